{{ config(materialized='view') }}

-- Every raw line, with the key of the distinct line it is a copy of.
-- Lines identical on all eight source columns are copies of one invoice line;
-- copy 1 (the first loaded) is kept in stg_order_lines, the others are listed
-- in stg_duplicate_lines.

with source_lines as (

    select
        invoice_no,
        stock_code,
        description,
        quantity,
        invoice_ts,
        unit_price,
        customer_id,
        country,
        source_file,
        source_line,
        ingest_id
    from {{ source('raw', 'order_lines') }}

)

select
    {{ surrogate_key(['invoice_no', 'stock_code', 'description', 'quantity', 'invoice_ts', 'unit_price', 'customer_id', 'country']) }} as order_line_key,
    row_number() over (
        partition by invoice_no, stock_code, description, quantity, invoice_ts, unit_price, customer_id, country
        order by ingest_id, source_file, source_line
    ) as copy_number,
    count(*) over (
        partition by invoice_no, stock_code, description, quantity, invoice_ts, unit_price, customer_id, country
    ) as copy_count,
    invoice_no,
    stock_code,
    description,
    quantity,
    invoice_ts,
    unit_price,
    customer_id,
    country,
    source_file,
    source_line,
    ingest_id
from source_lines
