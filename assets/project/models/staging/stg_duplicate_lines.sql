-- The raw lines removed as exact duplicates (copies 2, 3, ... of a distinct
-- line), with the key of the line that was kept. Count and revenue here
-- reconcile raw.order_lines with stg_order_lines.

select
    order_line_key,
    copy_number,
    invoice_no,
    stock_code,
    quantity,
    unit_price,
    cast(quantity * unit_price as decimal(18, 3)) as revenue,
    customer_id,
    source_file,
    source_line,
    ingest_id
from {{ ref('stg_raw_order_lines') }}
where copy_number > 1
