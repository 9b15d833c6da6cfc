-- One row per customer (lines without a customer have none).
-- Purchases are non-cancellation invoices; lifetime_value is the net revenue
-- of all the customer's lines, cancellations subtracted.

with lines as (

    select
        customer_key,
        customer_id,
        country,
        invoice_no,
        invoice_ts,
        revenue,
        is_cancellation
    from {{ ref('stg_order_lines') }}
    where customer_id is not null

),

countries as (

    select
        customer_id,
        country,
        row_number() over (
            partition by customer_id
            order by count(*) desc, max(invoice_ts) desc, country
        ) as country_rank
    from lines
    group by customer_id, country

),

customers as (

    select
        customer_key,
        customer_id,
        count(distinct country) as country_count,
        min(invoice_ts) as first_invoice_ts,
        max(invoice_ts) as last_invoice_ts,
        min(invoice_ts) filter (where not is_cancellation) as first_purchase_ts,
        max(invoice_ts) filter (where not is_cancellation) as last_purchase_ts,
        count(distinct invoice_no) filter (where not is_cancellation) as order_count,
        count(distinct invoice_no) filter (where is_cancellation) as cancellation_count,
        count(*) as line_count,
        coalesce(sum(revenue) filter (where not is_cancellation), 0) as gross_revenue,
        coalesce(-sum(revenue) filter (where is_cancellation), 0) as cancelled_revenue,
        sum(revenue) as lifetime_value
    from lines
    group by customer_key, customer_id

)

select
    customers.customer_key,
    customers.customer_id,
    countries.country,
    {{ surrogate_key(['countries.country']) }} as country_key,
    customers.country_count,
    customers.first_invoice_ts,
    customers.last_invoice_ts,
    customers.first_purchase_ts,
    customers.last_purchase_ts,
    cast(date_trunc('month', customers.first_purchase_ts) as date) as cohort_month,
    customers.order_count,
    customers.cancellation_count,
    customers.line_count,
    customers.gross_revenue,
    customers.cancelled_revenue,
    customers.lifetime_value
from customers
inner join countries
    on customers.customer_id = countries.customer_id
    and countries.country_rank = 1
