-- Monthly cohorts by first purchase month. One row per cohort and month since
-- the first purchase, up to the last month with data (zero-activity months
-- included): cohort size, customers with a purchase in that month, rate.

with customers as (

    select
        customer_id,
        cohort_month
    from {{ ref('dim_customer') }}
    where cohort_month is not null

),

cohorts as (

    select
        cohort_month,
        count(*) as cohort_size
    from customers
    group by cohort_month

),

last_month as (

    select cast(date_trunc('month', max(invoice_ts)) as date) as last_month
    from {{ ref('fact_sales') }}

),

cohort_months as (

    select
        cohorts.cohort_month,
        cohorts.cohort_size,
        cast(unnest(generate_series(
            0,
            datediff('month', cohorts.cohort_month, last_month.last_month)
        )) as integer) as months_since_first
    from cohorts
    cross join last_month

),

activity as (

    select distinct
        sales.customer_id,
        cast(date_trunc('month', sales.invoice_ts) as date) as activity_month
    from {{ ref('fact_sales') }} as sales
    where sales.customer_id is not null
        and not sales.is_cancellation

),

active as (

    select
        customers.cohort_month,
        cast(datediff('month', customers.cohort_month, activity.activity_month) as integer) as months_since_first,
        count(*) as active_customers
    from activity
    inner join customers
        on activity.customer_id = customers.customer_id
    group by 1, 2

)

select
    cohort_months.cohort_month,
    cohort_months.months_since_first,
    cast(cohort_months.cohort_month + to_months(cohort_months.months_since_first) as date) as activity_month,
    cohort_months.cohort_size,
    coalesce(active.active_customers, 0) as active_customers,
    cast(coalesce(active.active_customers, 0) as double) / cohort_months.cohort_size as retention_rate
from cohort_months
left join active
    on cohort_months.cohort_month = active.cohort_month
    and cohort_months.months_since_first = active.months_since_first
