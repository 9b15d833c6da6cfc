-- Every day from the first to the last invoice day, with or without sales.

with bounds as (

    select
        min(invoice_date) as first_day,
        max(invoice_date) as last_day
    from {{ ref('stg_order_lines') }}

),

days as (

    select
        cast(unnest(generate_series(
            cast(first_day as timestamp),
            cast(last_day as timestamp),
            interval 1 day
        )) as date) as calendar_date
    from bounds

),

sales_days as (

    select distinct invoice_date
    from {{ ref('stg_order_lines') }}

)

select
    {{ date_key('days.calendar_date') }} as date_key,
    days.calendar_date,
    cast(year(days.calendar_date) as integer) as year,
    cast(quarter(days.calendar_date) as integer) as quarter,
    cast(month(days.calendar_date) as integer) as month,
    monthname(days.calendar_date) as month_name,
    strftime(days.calendar_date, '%Y-%m') as year_month,
    cast(date_trunc('month', days.calendar_date) as date) as month_start,
    cast(isoyear(days.calendar_date) as integer) as iso_year,
    cast(weekofyear(days.calendar_date) as integer) as week_of_year,
    cast(day(days.calendar_date) as integer) as day_of_month,
    cast(isodow(days.calendar_date) as integer) as day_of_week,
    dayname(days.calendar_date) as weekday_name,
    isodow(days.calendar_date) in (6, 7) as is_weekend,
    sales_days.invoice_date is not null as has_sales
from days
left join sales_days
    on days.calendar_date = sales_days.invoice_date
