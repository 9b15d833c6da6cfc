-- One row per stock code. The description is the most frequent one (ties go
-- to the most recent, then alphabetical). Price statistics are over sold
-- lines: no cancellation, unit price above zero.

with lines as (

    select
        product_key,
        stock_code,
        description,
        unit_price,
        invoice_ts,
        is_cancellation,
        is_product,
        stock_code_type
    from {{ ref('stg_order_lines') }}

),

descriptions as (

    select
        stock_code,
        description,
        row_number() over (
            partition by stock_code
            order by count(*) desc, max(invoice_ts) desc, description
        ) as description_rank
    from lines
    where description is not null
    group by stock_code, description

),

prices as (

    select
        stock_code,
        min(unit_price) as min_unit_price,
        max(unit_price) as max_unit_price,
        cast(avg(unit_price) as decimal(18, 3)) as avg_unit_price,
        cast(median(unit_price) as decimal(18, 3)) as median_unit_price
    from lines
    where not is_cancellation
        and unit_price > 0
    group by stock_code

),

products as (

    select
        product_key,
        stock_code,
        stock_code_type,
        is_product,
        count(distinct description) as description_count,
        count(*) as line_count,
        min(invoice_ts) as first_seen_ts,
        max(invoice_ts) as last_seen_ts
    from lines
    group by product_key, stock_code, stock_code_type, is_product

)

select
    products.product_key,
    products.stock_code,
    descriptions.description,
    products.stock_code_type,
    products.is_product,
    products.description_count,
    prices.min_unit_price,
    prices.max_unit_price,
    prices.avg_unit_price,
    prices.median_unit_price,
    products.line_count,
    products.first_seen_ts,
    cast(products.first_seen_ts as date) as first_seen_date,
    products.last_seen_ts
from products
left join descriptions
    on products.stock_code = descriptions.stock_code
    and descriptions.description_rank = 1
left join prices
    on products.stock_code = prices.stock_code
