-- One row per day with invoice lines. gross = non-cancellation lines,
-- cancelled = cancellation lines (as a positive amount), net = gross - cancelled.

select
    sales.date_key,
    cast(sales.invoice_ts as date) as sales_date,
    count(distinct sales.invoice_no) filter (where not sales.is_cancellation) as invoice_count,
    count(distinct sales.invoice_no) filter (where sales.is_cancellation) as cancellation_count,
    count(*) as line_count,
    count(distinct sales.customer_id) as customer_count,
    coalesce(sum(sales.quantity) filter (where not sales.is_cancellation), 0) as units_sold,
    coalesce(sum(sales.revenue) filter (where not sales.is_cancellation), 0) as gross_revenue,
    coalesce(-sum(sales.revenue) filter (where sales.is_cancellation), 0) as cancelled_revenue,
    sum(sales.revenue) as net_revenue,
    coalesce(sum(sales.revenue) filter (where sales.is_product), 0) as product_net_revenue,
    coalesce(sum(sales.revenue) filter (where not sales.is_cancellation), 0)
        / nullif(count(distinct sales.invoice_no) filter (where not sales.is_cancellation), 0) as avg_order_value
from {{ ref('fact_sales') }} as sales
group by sales.date_key, cast(sales.invoice_ts as date)
