-- Every raw line is either in fact_sales or listed as a removed duplicate:
-- line counts and revenue add up exactly. Holds on any data. Returns a row
-- (and fails) when they do not.

with raw_lines as (

    select
        count(*) as line_count,
        coalesce(sum(cast(quantity * unit_price as decimal(18, 3))), 0) as revenue
    from {{ source('raw', 'order_lines') }}

),

fact as (

    select
        count(*) as line_count,
        coalesce(sum(revenue), 0) as revenue
    from {{ ref('fact_sales') }}

),

duplicates as (

    select
        count(*) as line_count,
        coalesce(sum(revenue), 0) as revenue
    from {{ ref('stg_duplicate_lines') }}

)

select
    raw_lines.line_count as raw_line_count,
    fact.line_count as fact_line_count,
    duplicates.line_count as duplicate_line_count,
    raw_lines.revenue as raw_revenue,
    fact.revenue as fact_revenue,
    duplicates.revenue as duplicate_revenue
from raw_lines
cross join fact
cross join duplicates
where raw_lines.line_count <> fact.line_count + duplicates.line_count
    or raw_lines.revenue <> fact.revenue + duplicates.revenue
