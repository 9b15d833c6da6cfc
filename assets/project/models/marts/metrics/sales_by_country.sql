-- One row per country: sales, customers and share of the net revenue.

with countries as (

    select
        sales.country_key,
        sales.country,
        count(distinct sales.customer_id) as customer_count,
        count(distinct sales.invoice_no) filter (where not sales.is_cancellation) as invoice_count,
        count(distinct sales.invoice_no) filter (where sales.is_cancellation) as cancellation_count,
        count(*) as line_count,
        coalesce(sum(sales.quantity) filter (where not sales.is_cancellation), 0) as units_sold,
        coalesce(sum(sales.revenue) filter (where not sales.is_cancellation), 0) as gross_revenue,
        coalesce(-sum(sales.revenue) filter (where sales.is_cancellation), 0) as cancelled_revenue,
        sum(sales.revenue) as net_revenue
    from {{ ref('fact_sales') }} as sales
    group by sales.country_key, sales.country

)

select
    country_key,
    country,
    customer_count,
    invoice_count,
    cancellation_count,
    line_count,
    units_sold,
    gross_revenue,
    cancelled_revenue,
    net_revenue,
    cast(net_revenue as double) / nullif(sum(cast(net_revenue as double)) over (), 0) as net_revenue_share,
    gross_revenue / nullif(invoice_count, 0) as avg_order_value,
    rank() over (order by net_revenue desc) as net_revenue_rank
from countries
