-- One row per stock code: units, buyers and revenue. net_revenue_rank ranks
-- products only (NULL for non-product codes such as postage).

with products as (

    select
        sales.product_key,
        sales.stock_code,
        count(distinct sales.invoice_no) filter (where not sales.is_cancellation) as invoice_count,
        count(distinct sales.customer_id) filter (where not sales.is_cancellation) as customer_count,
        coalesce(sum(sales.quantity) filter (where not sales.is_cancellation), 0) as units_sold,
        coalesce(-sum(sales.quantity) filter (where sales.is_cancellation), 0) as units_cancelled,
        coalesce(sum(sales.revenue) filter (where not sales.is_cancellation), 0) as gross_revenue,
        coalesce(-sum(sales.revenue) filter (where sales.is_cancellation), 0) as cancelled_revenue,
        sum(sales.revenue) as net_revenue
    from {{ ref('fact_sales') }} as sales
    group by sales.product_key, sales.stock_code

)

select
    products.product_key,
    products.stock_code,
    dim.description,
    dim.is_product,
    products.invoice_count,
    products.customer_count,
    products.units_sold,
    products.units_cancelled,
    products.gross_revenue,
    products.cancelled_revenue,
    products.net_revenue,
    case
        when dim.is_product then rank() over (
            partition by dim.is_product
            order by products.net_revenue desc
        )
    end as net_revenue_rank
from products
inner join {{ ref('dim_product') }} as dim
    on products.product_key = dim.product_key
