-- One row per distinct invoice line: exact duplicates removed, descriptions
-- trimmed, cancellations and non-product codes flagged, keys to the marts'
-- dimensions computed once here.

with first_copies as (

    select
        order_line_key,
        copy_count,
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
    from {{ ref('stg_raw_order_lines') }}
    where copy_number = 1

),

stock_code_types as (

    select
        codes.stock_code,
        coalesce(min(non_products.stock_code_type), 'product') as stock_code_type
    from (select distinct stock_code from first_copies) as codes
    left join {{ ref('non_product_stock_codes') }} as non_products
        on codes.stock_code like non_products.stock_code_pattern
    group by codes.stock_code

)

select
    lines.order_line_key,
    case
        when lines.customer_id is not null then {{ surrogate_key(['lines.customer_id']) }}
    end as customer_key,
    {{ surrogate_key(['lines.stock_code']) }} as product_key,
    {{ date_key('lines.invoice_ts') }} as date_key,
    {{ surrogate_key(['lines.country']) }} as country_key,
    lines.invoice_no,
    lines.stock_code,
    nullif(trim(lines.description), '') as description,
    lines.quantity,
    lines.invoice_ts,
    cast(lines.invoice_ts as date) as invoice_date,
    lines.unit_price,
    cast(lines.quantity * lines.unit_price as decimal(18, 3)) as revenue,
    lines.customer_id,
    lines.country,
    starts_with(lines.invoice_no, 'C') as is_cancellation,
    types.stock_code_type = 'product' as is_product,
    types.stock_code_type,
    lines.copy_count - 1 as removed_duplicates,
    lines.source_file,
    lines.source_line,
    lines.ingest_id
from first_copies as lines
inner join stock_code_types as types
    on lines.stock_code = types.stock_code
