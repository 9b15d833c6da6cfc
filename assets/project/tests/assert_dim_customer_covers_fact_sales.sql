-- dim_customer has exactly the customers of fact_sales (the relationships
-- tests check one direction; this checks the other), and dim_product and
-- dim_country exactly its stock codes and countries.

select 'dim_customer' as dimension, count(*) as dimension_rows, (
    select count(distinct customer_id) from {{ ref('fact_sales') }}
) as fact_distinct
from {{ ref('dim_customer') }}
having count(*) <> (select count(distinct customer_id) from {{ ref('fact_sales') }})

union all

select 'dim_product', count(*), (
    select count(distinct stock_code) from {{ ref('fact_sales') }}
)
from {{ ref('dim_product') }}
having count(*) <> (select count(distinct stock_code) from {{ ref('fact_sales') }})

union all

select 'dim_country', count(*), (
    select count(distinct country) from {{ ref('fact_sales') }}
)
from {{ ref('dim_country') }}
having count(*) <> (select count(distinct country) from {{ ref('fact_sales') }})
