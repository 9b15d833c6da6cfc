-- cohort_retention: one row per (cohort_month, months_since_first); month 0
-- retains the whole cohort; rates lie in [0, 1]; cohort sizes add up to the
-- customers with a purchase.

with keys as (

    select
        'duplicate cohort row' as problem,
        cohort_month,
        months_since_first
    from {{ ref('cohort_retention') }}
    group by cohort_month, months_since_first
    having count(*) > 1

),

rates as (

    select
        case
            when months_since_first = 0 and active_customers <> cohort_size then 'month 0 is not the whole cohort'
            when retention_rate < 0 or retention_rate > 1 then 'retention rate out of [0, 1]'
            when active_customers > cohort_size then 'more active customers than the cohort'
        end as problem,
        cohort_month,
        months_since_first
    from {{ ref('cohort_retention') }}

),

sizes as (

    select
        'cohort sizes do not add up to the customers with a purchase' as problem,
        null as cohort_month,
        null as months_since_first
    from (
        select sum(cohort_size) as customers
        from {{ ref('cohort_retention') }}
        where months_since_first = 0
    ) as cohorts
    where cohorts.customers <> (
        select count(*)
        from {{ ref('dim_customer') }}
        where first_purchase_ts is not null
    )

)

select problem, cohort_month, months_since_first from keys
union all
select problem, cohort_month, months_since_first from rates where problem is not null
union all
select problem, cohort_month, months_since_first from sizes
