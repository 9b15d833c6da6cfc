-- Monthly cancellation rates: cancellation invoices (lines) over all invoices
-- (lines) of the month, and cancelled revenue over gross revenue.

with monthly as (

    select
        cast(date_trunc('month', sales.invoice_ts) as date) as month_start,
        count(distinct sales.invoice_no) filter (where not sales.is_cancellation) as invoice_count,
        count(distinct sales.invoice_no) filter (where sales.is_cancellation) as cancellation_count,
        count(*) filter (where not sales.is_cancellation) as line_count,
        count(*) filter (where sales.is_cancellation) as cancelled_line_count,
        coalesce(sum(sales.revenue) filter (where not sales.is_cancellation), 0) as gross_revenue,
        coalesce(-sum(sales.revenue) filter (where sales.is_cancellation), 0) as cancelled_revenue
    from {{ ref('fact_sales') }} as sales
    group by cast(date_trunc('month', sales.invoice_ts) as date)

)

select
    month_start,
    strftime(month_start, '%Y-%m') as year_month,
    invoice_count,
    cancellation_count,
    cast(cancellation_count as double) / nullif(invoice_count + cancellation_count, 0) as invoice_cancellation_rate,
    line_count,
    cancelled_line_count,
    cast(cancelled_line_count as double) / nullif(line_count + cancelled_line_count, 0) as line_cancellation_rate,
    gross_revenue,
    cancelled_revenue,
    cast(cancelled_revenue as double) / nullif(cast(gross_revenue as double), 0) as revenue_cancellation_rate
from monthly
