-- On the full public UCI Online Retail data set (541,909 raw lines worth
-- 9,747,747.93), fact_sales holds its 536,641 distinct lines worth
-- 9,726,006.95: the total less the 5,268 exact duplicates worth 21,740.98.
-- On any other data (e.g. the bundled sample) this test checks nothing.

with raw_lines as (

    select
        count(*) as line_count,
        round(sum(quantity * unit_price), 2) as revenue
    from {{ source('raw', 'order_lines') }}

),

fact as (

    select
        count(*) as line_count,
        round(sum(revenue), 2) as revenue
    from {{ ref('fact_sales') }}

),

duplicates as (

    select
        count(*) as line_count,
        round(sum(revenue), 2) as revenue
    from {{ ref('stg_duplicate_lines') }}

)

select
    fact.line_count as fact_line_count,
    fact.revenue as fact_revenue,
    duplicates.line_count as duplicate_line_count,
    duplicates.revenue as duplicate_revenue
from raw_lines
cross join fact
cross join duplicates
where raw_lines.line_count = 541909
    and raw_lines.revenue = 9747747.93
    and (
        fact.line_count <> 536641
        or fact.revenue <> 9726006.95
        or duplicates.line_count <> 5268
        or duplicates.revenue <> 21740.98
    )
