-- Grain: one row per distinct invoice line. Cancellations (negative
-- quantities), non-product codes and lines without a customer are included;
-- filter on is_cancellation, is_product and customer_key as the question needs.

select
    order_line_key as sales_key,
    customer_key,
    product_key,
    date_key,
    country_key,
    invoice_no,
    stock_code,
    customer_id,
    country,
    invoice_ts,
    quantity,
    unit_price,
    revenue,
    is_cancellation,
    is_product
from {{ ref('stg_order_lines') }}
