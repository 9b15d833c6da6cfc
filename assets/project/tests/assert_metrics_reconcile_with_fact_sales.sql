-- Every metric model adds up to the fact: net revenue (and, for the daily
-- and monthly models, line counts) summed over the model equal fact_sales'.

with fact as (

    select
        count(*) as line_count,
        coalesce(sum(revenue), 0) as net_revenue
    from {{ ref('fact_sales') }}

),

metrics as (

    select 'sales_daily' as model, sum(line_count) as line_count, coalesce(sum(net_revenue), 0) as net_revenue
    from {{ ref('sales_daily') }}
    union all
    select 'sales_monthly', sum(line_count), coalesce(sum(net_revenue), 0)
    from {{ ref('sales_monthly') }}
    union all
    select 'sales_by_country', sum(line_count), coalesce(sum(net_revenue), 0)
    from {{ ref('sales_by_country') }}
    union all
    select 'sales_by_product', null, coalesce(sum(net_revenue), 0)
    from {{ ref('sales_by_product') }}
    union all
    select 'cancellation_rate_monthly', sum(line_count + cancelled_line_count), coalesce(sum(gross_revenue - cancelled_revenue), 0)
    from {{ ref('cancellation_rate_monthly') }}
    union all
    select 'dim_customer', null, coalesce(sum(lifetime_value), 0) + (
        select coalesce(sum(revenue), 0) from {{ ref('fact_sales') }} where customer_key is null
    )
    from {{ ref('dim_customer') }}

)

select
    metrics.model,
    metrics.line_count,
    fact.line_count as fact_line_count,
    metrics.net_revenue,
    fact.net_revenue as fact_net_revenue
from metrics
cross join fact
where metrics.net_revenue <> fact.net_revenue
    or (metrics.line_count is not null and metrics.line_count <> fact.line_count)
