//! The shop's headline figures: `/api/v1/summary`, `/api/v1/sales` (per day or month)
//! and `/api/v1/countries`.

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::need::need;
use super::paging::{PageParams, paged, paged_params};
use crate::serve::answer::answer;
use crate::serve::auth::Caller;
use crate::serve::cache::Answer;
use crate::serve::problem::Problem;
use crate::serve::rows::{Page, typed};
use crate::serve::state::Shared;

/// Headline figures over every ingested invoice line (`raw.order_lines`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    /// Invoice lines, cancellations included.
    lines: i64,
    invoices: i64,
    /// Distinct customer ids (lines without one are not a customer).
    customers: i64,
    countries: i64,
    products: i64,
    /// sum(quantity × unit_price) over all lines, cancellations included.
    revenue: f64,
    /// First and last day with invoice lines (YYYY-MM-DD).
    first_day: Option<String>,
    last_day: Option<String>,
}

const SUMMARY_SQL: &str = "
SELECT count(*) AS lines, count(DISTINCT invoice_no) AS invoices,
       count(DISTINCT customer_id) AS customers, count(DISTINCT country) AS countries,
       count(DISTINCT stock_code) AS products,
       coalesce(sum(quantity * unit_price), 0)::DOUBLE AS revenue,
       min(invoice_ts)::DATE::VARCHAR AS first_day, max(invoice_ts)::DATE::VARCHAR AS last_day
FROM raw.order_lines";

#[utoipa::path(get, path = "/api/v1/summary", tag = "figures", security(("bearer" = [])), responses(
    (status = 200, body = Summary), (status = 401, body = Problem), (status = 404, body = Problem)
))]
pub(super) async fn summary(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
) -> Response {
    answer(&state, &caller, "summary", String::new(), |conn| {
        need(conn, "raw.order_lines", "ecom ingest PATH")?;
        let row = typed::<Summary>(conn, SUMMARY_SQL, &[])?.pop();
        Answer::json(&row).map_err(Problem::internal)
    })
    .await
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Grain {
    #[default]
    Day,
    Month,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SalesParams {
    /// `day` (default) or `month`.
    grain: Option<Grain>,
    /// First day included (YYYY-MM-DD).
    from: Option<chrono::NaiveDate>,
    /// Last day included (YYYY-MM-DD).
    to: Option<chrono::NaiveDate>,
    /// Only this country (as in the data, e.g. `United Kingdom`).
    country: Option<String>,
    /// Periods per page (1 to 1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    cursor: Option<String>,
}

paged_params!(SalesParams);

/// One period of sales.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SalesPeriod {
    /// First day of the period (YYYY-MM-DD).
    period: String,
    /// Net revenue: sales minus cancellations.
    revenue: f64,
    /// Invoices that are not cancellations.
    orders: i64,
    /// Units sold (cancellations not counted).
    items: i64,
    /// Customers who bought (cancellations alone do not count).
    customers: i64,
}

const SALES_SQL: &str = "
SELECT date_trunc(?, invoice_ts)::DATE::VARCHAR AS period,
       sum(revenue)::DOUBLE AS revenue,
       count(DISTINCT invoice_no) FILTER (WHERE NOT is_cancellation) AS orders,
       coalesce(sum(quantity) FILTER (WHERE NOT is_cancellation), 0)::BIGINT AS items,
       count(DISTINCT customer_id) FILTER (WHERE NOT is_cancellation) AS customers
FROM marts.fact_sales
WHERE (?::DATE IS NULL OR invoice_ts >= ?::DATE)
  AND (?::DATE IS NULL OR invoice_ts < ?::DATE + 1)
  AND (?::VARCHAR IS NULL OR country = ?)
GROUP BY 1 ORDER BY 1";

/// Revenue, orders, items and customers per day or month, from the marts.
#[utoipa::path(get, path = "/api/v1/sales", tag = "figures", params(SalesParams), security(("bearer" = [])), responses(
    (status = 200, body = Page<SalesPeriod>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)
))]
pub(super) async fn sales(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    params: Result<Query<SalesParams>, QueryRejection>,
) -> Response {
    let (params, page) = match paged(params) {
        Ok(parsed) => parsed,
        Err(response) => return *response,
    };
    let grain = params.grain.unwrap_or_default();
    let key = format!(
        "{grain:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        params.from, params.to, params.country, params.limit, params.cursor
    );
    answer(&state, &caller, "sales", key, move |conn| {
        need(conn, "marts.fact_sales", "ecom models build")?;
        let unit = if grain == Grain::Month {
            "month"
        } else {
            "day"
        };
        let rows = typed::<SalesPeriod>(
            conn,
            &format!("{SALES_SQL} {}", page.sql()),
            &[
                &unit,
                &params.from,
                &params.from,
                &params.to,
                &params.to,
                &params.country,
                &params.country,
            ],
        )?;
        Answer::json(&page.page(rows)).map_err(Problem::internal)
    })
    .await
}

/// Sales of one country.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Country {
    country: String,
    iso_alpha2: Option<String>,
    region: Option<String>,
    customers: i64,
    orders: i64,
    net_revenue: f64,
    net_revenue_share: Option<f64>,
    avg_order_value: Option<f64>,
    rank: i64,
}

/// Countries by net revenue, largest first.
#[utoipa::path(get, path = "/api/v1/countries", tag = "figures", params(PageParams), security(("bearer" = [])), responses(
    (status = 200, body = Page<Country>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)
))]
pub(super) async fn countries(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Response {
    let (params, page) = match paged(params) {
        Ok(parsed) => parsed,
        Err(response) => return *response,
    };
    answer(&state, &caller, "countries", params.key(), move |conn| {
        need(conn, "marts.sales_by_country", "ecom models build")?;
        let sql = format!(
            "SELECT s.country, d.iso_alpha2, d.region, s.customer_count AS customers, \
             s.invoice_count AS orders, s.net_revenue::DOUBLE AS net_revenue, s.net_revenue_share, \
             s.avg_order_value, s.net_revenue_rank AS rank \
             FROM marts.sales_by_country s LEFT JOIN marts.dim_country d USING (country_key) \
             ORDER BY s.net_revenue_rank, s.country {}",
            page.sql()
        );
        Answer::json(&page.page(typed::<Country>(conn, &sql, &[])?)).map_err(Problem::internal)
    })
    .await
}
