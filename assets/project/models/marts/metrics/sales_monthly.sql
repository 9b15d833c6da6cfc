-- One row per calendar month with invoice lines. new_customers are the
-- customers whose first purchase falls in the month.

with monthly as (

    select
        cast(date_trunc('month', sales.invoice_ts) as date) as month_start,
        count(distinct sales.invoice_no) filter (where not sales.is_cancellation) as invoice_count,
        count(distinct sales.invoice_no) filter (where sales.is_cancellation) as cancellation_count,
        count(*) as line_count,
        count(distinct sales.customer_id) filter (where not sales.is_cancellation) as active_customers,
        coalesce(sum(sales.quantity) filter (where not sales.is_cancellation), 0) as units_sold,
        coalesce(sum(sales.revenue) filter (where not sales.is_cancellation), 0) as gross_revenue,
        coalesce(-sum(sales.revenue) filter (where sales.is_cancellation), 0) as cancelled_revenue,
        sum(sales.revenue) as net_revenue,
        coalesce(sum(sales.revenue) filter (where sales.is_product), 0) as product_net_revenue
    from {{ ref('fact_sales') }} as sales
    group by cast(date_trunc('month', sales.invoice_ts) as date)

),

new_customers as (

    select
        cohort_month as month_start,
        count(*) as new_customers
    from {{ ref('dim_customer') }}
    where cohort_month is not null
    group by cohort_month

)

select
    monthly.month_start,
    cast(year(monthly.month_start) as integer) as year,
    cast(month(monthly.month_start) as integer) as month,
    strftime(monthly.month_start, '%Y-%m') as year_month,
    monthly.invoice_count,
    monthly.cancellation_count,
    monthly.line_count,
    monthly.active_customers,
    coalesce(new_customers.new_customers, 0) as new_customers,
    monthly.units_sold,
    monthly.gross_revenue,
    monthly.cancelled_revenue,
    monthly.net_revenue,
    monthly.product_net_revenue,
    monthly.gross_revenue / nullif(monthly.invoice_count, 0) as avg_order_value
from monthly
left join new_customers
    on monthly.month_start = new_customers.month_start
