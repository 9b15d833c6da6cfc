-- One row per country name found in the data, with reference data from the
-- countries seed where the name is known there.

with lines as (

    select
        country_key,
        country,
        customer_id,
        invoice_no,
        invoice_ts
    from {{ ref('stg_order_lines') }}

),

countries as (

    select
        country_key,
        country,
        count(distinct customer_id) as customer_count,
        count(distinct invoice_no) as invoice_count,
        count(*) as line_count,
        min(invoice_ts) as first_invoice_ts,
        max(invoice_ts) as last_invoice_ts
    from lines
    group by country_key, country

)

select
    countries.country_key,
    countries.country,
    reference.iso_alpha2,
    coalesce(reference.region, 'Unknown') as region,
    countries.country = 'United Kingdom' as is_domestic,
    countries.customer_count,
    countries.invoice_count,
    countries.line_count,
    countries.first_invoice_ts,
    countries.last_invoice_ts
from countries
left join {{ ref('countries') }} as reference
    on countries.country = reference.country
