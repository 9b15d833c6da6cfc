//! The routes over the warehouse's tables, the public ones (`/health`, `/metrics`,
//! `/openapi.json`) and the admin ones (tokens, jobs). Names are contracts: add routes,
//! rename none.
//!
//! Every read route answers through [`answer`]: the cache first, else the pool; each
//! checks the tables it reads and, when one is missing, says which command builds it.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Extension, Json, Router};
use duckdb::Connection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::cache::{Answer, AnswerCache};
use super::contract::SharedResponses;
use super::pool::Limits;
use super::problem::Problem;
use super::rows::{Page, PageRequest, typed};
use super::tokens::{self, Scope, TokenInfo};
use super::{AppState, Caller};
use crate::warehouse::catalog::relation_exists;

type Shared = State<Arc<AppState>>;

/// The routes without a token.
pub(super) fn public() -> Router<Arc<AppState>> {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
}

/// The routes behind a token.
pub(super) fn api() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/summary", get(summary))
        .route("/api/v1/sales", get(sales))
        .route("/api/v1/countries", get(countries))
        .route("/api/v1/products/{stock_code}", get(product))
        .route("/api/v1/customers/{id}", get(customer))
        .route(
            "/api/v1/customers/{id}/recommendations",
            get(recommendations),
        )
        .route("/api/v1/segments", get(segments))
        .route("/api/v1/anomalies", get(anomalies))
        .route("/api/v1/stream/windows", get(stream_windows))
        .route("/api/v1/tables", get(tables))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{name}", delete(revoke_token))
        .route("/api/v1/jobs", get(jobs))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ecom API",
        description = "The shop's figures from an ecom warehouse: token auth (Bearer), cached answers, read-only SQL."
    ),
    paths(
        health, metrics, openapi, summary, sales, countries, product, customer, recommendations,
        segments, anomalies, stream_windows, tables, list_tokens, create_token, revoke_token, jobs,
        super::query::query
    ),
    // Types used only in query parameters are not collected from the paths.
    components(schemas(Grain)),
    modifiers(&BearerAuth, &SharedResponses)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Answers from the cache, or computes on a pooled connection and caches the answer.
pub(super) async fn answer(
    state: &Arc<AppState>,
    caller: &Caller,
    route: &str,
    parameters: String,
    work: impl FnOnce(&Connection) -> Result<Answer, Problem> + Send + 'static,
) -> Response {
    answer_within(state, caller, route, parameters, Limits::default(), work).await
}

/// The cached answer of `route` with `parameters` for the caller's scope, if any.
pub(super) fn cached(
    state: &AppState,
    caller: &Caller,
    route: &str,
    parameters: &str,
) -> Option<Response> {
    let key = AnswerCache::key(route, parameters, caller.scope.as_str());
    state.cache.get(&key).map(|answer| answer.respond(true))
}

/// [`answer`], with DuckDB interrupted when the call passes its `limits` (503).
pub(super) async fn answer_within(
    state: &Arc<AppState>,
    caller: &Caller,
    route: &str,
    parameters: String,
    limits: Limits,
    work: impl FnOnce(&Connection) -> Result<Answer, Problem> + Send + 'static,
) -> Response {
    if let Some(hit) = cached(state, caller, route, &parameters) {
        return hit;
    }
    let key = AnswerCache::key(route, &parameters, caller.scope.as_str());
    match state.pool.run(limits, work).await {
        Ok(ran) if ran.timed_out => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the query ran past the server's {} limit and was stopped: narrow it, or aggregate before returning rows",
                humantime::format_duration(limits.time.unwrap_or_default())
            ),
        )
        .into_response(),
        Ok(ran) if ran.over_memory => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the query needed more than the {} of memory this server gives one query (--query-memory) and was stopped: narrow it, or aggregate before returning rows",
                indicatif::HumanBytes(limits.memory.unwrap_or_default())
            ),
        )
        .into_response(),
        Ok(ran) => match ran.value {
            Ok(answer) => {
                state.cache.insert(key, answer.clone());
                answer.respond(false)
            }
            Err(problem) => problem.into_response(),
        },
        Err(e) => Problem::internal(e).into_response(),
    }
}

/// Whether `relation` exists, remembered for the current data generation: tables
/// appear and go only with commits, and asking DuckDB's catalog costs more than most
/// answers do.
fn exists(conn: &Connection, relation: &str) -> Result<bool, Problem> {
    type Known = (u64, std::collections::HashMap<String, bool>);
    static KNOWN: std::sync::Mutex<Option<Known>> = std::sync::Mutex::new(None);
    let generation = crate::warehouse::generation();
    if let Some((seen, known)) = KNOWN.lock().expect("catalog cache lock").as_ref()
        && *seen == generation
        && let Some(&found) = known.get(relation)
    {
        return Ok(found);
    }
    let found = relation_exists(conn, relation).map_err(Problem::internal)?;
    let mut guard = KNOWN.lock().expect("catalog cache lock");
    let entry = guard.get_or_insert_with(|| (generation, Default::default()));
    if entry.0 != generation {
        *entry = (generation, Default::default());
    }
    entry.1.insert(relation.to_string(), found);
    Ok(found)
}

/// Fails with the command that builds `relation` when it does not exist.
fn need(conn: &Connection, relation: &str, command: &str) -> Result<(), Problem> {
    if exists(conn, relation)? {
        Ok(())
    } else {
        Err(Problem::missing(relation, command))
    }
}

fn bad_query(rejection: QueryRejection) -> Response {
    Problem::bad_request(format!(
        "the query string is not valid here: {}",
        rejection.body_text()
    ))
    .into_response()
}

fn bad_path(rejection: PathRejection) -> Response {
    Problem::bad_request(format!(
        "the path is not valid here: {}",
        rejection.body_text()
    ))
    .into_response()
}

/// Query parameters of a paged list: `limit` and `cursor`.
trait Paged {
    fn limit(&self) -> Option<u64>;
    fn cursor(&self) -> Option<&str>;
}

macro_rules! paged_params {
    ($($t:ty),*) => {$(
        impl Paged for $t {
            fn limit(&self) -> Option<u64> {
                self.limit
            }
            fn cursor(&self) -> Option<&str> {
                self.cursor.as_deref()
            }
        }
    )*};
}

paged_params!(SalesParams, PageParams, AnomalyParams, WindowParams);

/// A list route's parameters and the page they ask for, or the answer to a bad request.
fn paged<T: Paged>(
    params: Result<Query<T>, QueryRejection>,
) -> Result<(T, PageRequest), Box<Response>> {
    let Query(params) = params.map_err(|e| Box::new(bad_query(e)))?;
    let page = PageRequest::parse(params.limit(), params.cursor())
        .map_err(|problem| Box::new(problem.into_response()))?;
    Ok((params, page))
}

// ----- public -----

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    status: &'static str,
    version: &'static str,
    /// The warehouse file this server reads: shown to a caller holding an admin token
    /// only (`Authorization: Bearer`), since it names a folder of the host.
    #[serde(skip_serializing_if = "Option::is_none")]
    warehouse: Option<String>,
    schema_version: i32,
    /// Commits of new data since the server started.
    data_generation: u64,
}

/// Whether the server is up and its version (no token); with an admin token, also
/// which warehouse file it serves.
#[utoipa::path(get, path = "/health", tag = "service", responses((status = 200, body = Health)))]
async fn health(State(state): Shared, headers: HeaderMap) -> Json<Health> {
    let admin = state
        .caller(&headers)
        .is_some_and(|caller| caller.scope >= Scope::Admin);
    Json(Health {
        status: "ok",
        version: crate::VERSION,
        warehouse: admin.then(|| state.warehouse_path.clone()),
        schema_version: crate::warehouse::latest_version(),
        data_generation: crate::warehouse::generation(),
    })
}

/// Prometheus text: requests, latency, cache, connections and background jobs (no token
/// unless the server was started with `--metrics-token`).
#[utoipa::path(get, path = "/metrics", tag = "service", responses(
    (status = 200, description = "Prometheus text format", content_type = "text/plain"),
    (status = 401, body = Problem)
))]
async fn metrics(State(state): Shared, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.options.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Compared as hashes: constant time, like the API tokens.
        if blake3::hash(presented.as_bytes()) != blake3::hash(expected.as_bytes()) {
            return super::unauthorized(
                "/metrics needs `Authorization: Bearer` with the --metrics-token value",
            );
        }
    }
    let mut text = state.metrics.render(
        state.cache.hits.load(std::sync::atomic::Ordering::Relaxed),
        state
            .cache
            .misses
            .load(std::sync::atomic::Ordering::Relaxed),
    );
    for job in &state.job_metrics {
        text.push_str(&job());
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// This document: OpenAPI 3.1, generated from the handlers' own types (no token).
#[utoipa::path(get, path = "/openapi.json", tag = "service", responses((status = 200, description = "The OpenAPI document", body = Object, content_type = "application/json")))]
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

// ----- figures -----

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
async fn summary(State(state): Shared, Extension(caller): Extension<Caller>) -> Response {
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
async fn sales(
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page (1 to 1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    cursor: Option<String>,
}

impl PageParams {
    fn key(&self) -> String {
        format!("{:?}|{:?}", self.limit, self.cursor)
    }
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
async fn countries(
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

/// A product with its sales and, once `ecom ml recommend` ran, the products bought with it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Product {
    stock_code: String,
    description: Option<String>,
    is_product: bool,
    median_unit_price: Option<f64>,
    first_seen: Option<String>,
    last_seen: Option<String>,
    orders: Option<i64>,
    customers: Option<i64>,
    units_sold: Option<i64>,
    net_revenue: Option<f64>,
    rank: Option<i64>,
    /// Absent until `ecom ml recommend` has run.
    #[serde(default)]
    similar: Option<Vec<SimilarProduct>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SimilarProduct {
    stock_code: String,
    description: Option<String>,
    rank: i64,
    score: f64,
}

/// One product: description, prices, sales, and similar products (when the ML tables exist).
#[utoipa::path(get, path = "/api/v1/products/{stock_code}", tag = "figures",
    params(("stock_code" = String, Path, description = "e.g. 85123A")), security(("bearer" = [])), responses(
    (status = 200, body = Product), (status = 401, body = Problem), (status = 404, body = Problem)
))]
async fn product(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    stock_code: Result<Path<String>, PathRejection>,
) -> Response {
    let Path(code) = match stock_code {
        Ok(p) => p,
        Err(e) => return bad_path(e),
    };
    answer(&state, &caller, "product", code.clone(), move |conn| {
        need(conn, "marts.dim_product", "ecom models build")?;
        let sql = "SELECT p.stock_code, p.description, p.is_product, p.median_unit_price::DOUBLE AS median_unit_price, \
             p.first_seen_ts::VARCHAR AS first_seen, p.last_seen_ts::VARCHAR AS last_seen, \
             s.invoice_count AS orders, s.customer_count AS customers, s.units_sold::BIGINT AS units_sold, \
             s.net_revenue::DOUBLE AS net_revenue, s.net_revenue_rank AS rank \
             FROM marts.dim_product p LEFT JOIN marts.sales_by_product s USING (product_key) WHERE p.stock_code = ?";
        let mut product = typed::<Product>(conn, sql, &[&code])?
            .pop()
            .ok_or_else(|| Problem::not_found(format!("no product has the stock code `{code}`")))?;
        if exists(conn, "ml.similar_products")? {
            product.similar = Some(typed::<SimilarProduct>(
                conn,
                "SELECT s.similar_stock_code AS stock_code, p.description, s.rank, s.score \
                 FROM ml.similar_products s LEFT JOIN marts.dim_product p ON p.stock_code = s.similar_stock_code \
                 WHERE s.stock_code = ? ORDER BY s.rank",
                &[&code],
            )?);
        }
        Answer::json(&product).map_err(Problem::internal)
    })
    .await
}

/// A customer's profile and, once `ecom ml segment` ran, segment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    customer_id: i64,
    country: Option<String>,
    first_invoice: Option<String>,
    last_invoice: Option<String>,
    cohort_month: Option<String>,
    orders: i64,
    cancellations: i64,
    lines: i64,
    gross_revenue: f64,
    lifetime_value: f64,
    /// Absent until `ecom ml segment` has run.
    #[serde(default)]
    segment: Option<String>,
}

fn customer_id(id: Result<Path<i64>, PathRejection>) -> Result<i64, Problem> {
    id.map(|Path(id)| id).map_err(|_| {
        Problem::bad_request("a customer id is a whole number, e.g. /api/v1/customers/17850")
    })
}

/// One customer: profile, lifetime value, segment (when `ecom ml segment` ran).
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "figures",
    params(("id" = i64, Path, description = "e.g. 17850")), security(("bearer" = [])), responses(
    (status = 200, body = Customer), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)
))]
async fn customer(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    let id = match customer_id(id) {
        Ok(id) => id,
        Err(problem) => return problem.into_response(),
    };
    answer(&state, &caller, "customer", id.to_string(), move |conn| {
        need(conn, "marts.dim_customer", "ecom models build")?;
        let segments = exists(conn, "ml.customer_segments")?;
        let sql = format!(
            "SELECT c.customer_id, c.country, c.first_invoice_ts::VARCHAR AS first_invoice, \
             c.last_invoice_ts::VARCHAR AS last_invoice, c.cohort_month::VARCHAR AS cohort_month, \
             c.order_count AS orders, c.cancellation_count AS cancellations, c.line_count AS lines, \
             c.gross_revenue::DOUBLE AS gross_revenue, c.lifetime_value::DOUBLE AS lifetime_value, {} AS segment \
             FROM marts.dim_customer c WHERE c.customer_id = $1",
            // A scalar subquery reads one segment; a join would hash every one.
            if segments {
                "(SELECT s.segment FROM ml.customer_segments s WHERE s.customer_id = $1)"
            } else {
                "NULL::VARCHAR"
            },
        );
        let found = typed::<Customer>(conn, &sql, &[&id])?
            .pop()
            .ok_or_else(|| Problem::not_found(format!("no customer has the id {id}")))?;
        Answer::json(&found).map_err(Problem::internal)
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecommendationParams {
    /// How many products (1 to 100, default 10).
    #[param(minimum = 1, maximum = 100)]
    k: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Recommendation {
    rank: i64,
    stock_code: String,
    description: Option<String>,
    score: f64,
}

/// Products to suggest to a customer, best first (from `ecom ml recommend`).
#[utoipa::path(get, path = "/api/v1/customers/{id}/recommendations", tag = "ml",
    params(("id" = i64, Path, description = "e.g. 17850"), RecommendationParams), security(("bearer" = [])), responses(
    (status = 200, body = Vec<Recommendation>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)
))]
async fn recommendations(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    id: Result<Path<i64>, PathRejection>,
    params: Result<Query<RecommendationParams>, QueryRejection>,
) -> Response {
    let id = match customer_id(id) {
        Ok(id) => id,
        Err(problem) => return problem.into_response(),
    };
    let k = match params {
        Ok(Query(p)) => p.k.unwrap_or(10),
        Err(e) => return bad_query(e),
    };
    if !(1..=100).contains(&k) {
        return Problem::bad_request(format!("k must be between 1 and 100; it was {k}"))
            .into_response();
    }
    answer(&state, &caller, "recommendations", format!("{id}|{k}"), move |conn| {
        need(conn, "ml.recommendations", "ecom ml recommend")?;
        let rows = typed::<Recommendation>(
            conn,
            "SELECT r.rank, r.stock_code, p.description, r.score FROM ml.recommendations r \
             LEFT JOIN marts.dim_product p USING (stock_code) WHERE r.customer_id = ? AND r.rank <= ? ORDER BY r.rank",
            &[&id, &k],
        )?;
        if rows.is_empty() {
            return Err(Problem::not_found(format!(
                "no recommendations for customer {id}: it is not a customer with a purchase"
            )));
        }
        Answer::json(&rows).map_err(Problem::internal)
    })
    .await
}

/// One customer segment's profile.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Segment {
    segment: String,
    size: i64,
    recency_days: f64,
    frequency: f64,
    monetary: f64,
    revenue_share: f64,
}

/// The customer segments of `ecom ml segment`, largest revenue share first.
#[utoipa::path(get, path = "/api/v1/segments", tag = "ml", security(("bearer" = [])), responses(
    (status = 200, body = Vec<Segment>), (status = 401, body = Problem), (status = 404, body = Problem)
))]
async fn segments(State(state): Shared, Extension(caller): Extension<Caller>) -> Response {
    answer(&state, &caller, "segments", String::new(), |conn| {
        need(conn, "ml.segment_profiles", "ecom ml segment")?;
        let rows = typed::<Segment>(
            conn,
            "SELECT segment, size, recency_days, frequency, monetary, revenue_share FROM ml.segment_profiles \
             ORDER BY revenue_share DESC, segment",
            &[],
        )?;
        Answer::json(&rows).map_err(Problem::internal)
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnomalyParams {
    /// Only this kind: `daily_revenue`, `daily_orders`, `line_quantity`, `line_price`.
    kind: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnomalyRow {
    kind: String,
    what: String,
    when: String,
    score: f64,
    reason: String,
    value: f64,
    expected: f64,
    invoice_no: Option<String>,
    stock_code: Option<String>,
    customer_id: Option<i64>,
}

/// Unusual days and invoice lines from `ecom ml anomalies`, strongest first.
#[utoipa::path(get, path = "/api/v1/anomalies", tag = "ml", params(AnomalyParams), security(("bearer" = [])), responses(
    (status = 200, body = Page<AnomalyRow>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)
))]
async fn anomalies(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    params: Result<Query<AnomalyParams>, QueryRejection>,
) -> Response {
    let (params, page) = match paged(params) {
        Ok(parsed) => parsed,
        Err(response) => return *response,
    };
    let key = format!("{:?}|{:?}|{:?}", params.kind, params.limit, params.cursor);
    answer(&state, &caller, "anomalies", key, move |conn| {
        need(conn, "ml.anomalies", "ecom ml anomalies")?;
        let sql = format!(
            "SELECT kind, what, \"when\"::VARCHAR AS \"when\", score, reason, value, expected, invoice_no, stock_code, customer_id \
             FROM ml.anomalies WHERE (?::VARCHAR IS NULL OR kind = ?) \
             ORDER BY abs(score) DESC, \"when\", what {}",
            page.sql()
        );
        let rows = typed::<AnomalyRow>(conn, &sql, &[&params.kind, &params.kind])?;
        Answer::json(&page.page(rows)).map_err(Problem::internal)
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowParams {
    /// Only windows ending after this time (`YYYY-MM-DD HH:MM:SS`, the data's clock).
    since: Option<chrono::NaiveDateTime>,
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    cursor: Option<String>,
}

/// One closed window of the tail, merged over partitions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WindowRow {
    window_start: String,
    window_end: String,
    /// A country, or `*` for all.
    country: String,
    window_seconds: i64,
    revenue: f64,
    orders: i64,
    items: i64,
    customers: i64,
    cancellations: i64,
    views: i64,
    carts: i64,
    purchases: i64,
    conversion: Option<f64>,
}

/// The tail's closed windows (`stream.window_totals`), oldest first.
#[utoipa::path(get, path = "/api/v1/stream/windows", tag = "stream", params(WindowParams), security(("bearer" = [])), responses(
    (status = 200, body = Page<WindowRow>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)
))]
async fn stream_windows(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    params: Result<Query<WindowParams>, QueryRejection>,
) -> Response {
    let (params, page) = match paged(params) {
        Ok(parsed) => parsed,
        Err(response) => return *response,
    };
    let key = format!("{:?}|{:?}|{:?}", params.since, params.limit, params.cursor);
    answer(&state, &caller, "stream_windows", key, move |conn| {
        need(conn, "stream.window_totals", "ecom tail")?;
        let sql = format!(
            "SELECT window_start::VARCHAR AS window_start, window_end::VARCHAR AS window_end, country, window_seconds, \
             revenue::DOUBLE AS revenue, orders::BIGINT AS orders, items::BIGINT AS items, customers::BIGINT AS customers, \
             cancellations::BIGINT AS cancellations, views::BIGINT AS views, carts::BIGINT AS carts, \
             purchases::BIGINT AS purchases, conversion \
             FROM stream.window_totals WHERE (?::TIMESTAMP IS NULL OR window_end > ?) \
             ORDER BY window_start, window_seconds, country {}",
            page.sql()
        );
        let rows = typed::<WindowRow>(conn, &sql, &[&params.since, &params.since])?;
        Answer::json(&page.page(rows)).map_err(Problem::internal)
    })
    .await
}

/// A table or view the query route can read.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TableInfo {
    schema: String,
    name: String,
    /// `table` or `view`.
    kind: String,
    /// Rows (tables only; an estimate DuckDB keeps).
    rows: Option<i64>,
}

/// The tables and views of the served schemas: what `POST /api/v1/query` can read.
#[utoipa::path(get, path = "/api/v1/tables", tag = "query", security(("bearer" = [])), responses(
    (status = 200, body = Vec<TableInfo>), (status = 401, body = Problem)
))]
async fn tables(State(state): Shared, Extension(caller): Extension<Caller>) -> Response {
    answer(&state, &caller, "tables", String::new(), |conn| {
        let served = super::guard::SERVED_SCHEMAS
            .iter()
            .map(|s| crate::warehouse::quote_literal(s))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = typed::<TableInfo>(
            conn,
            &format!(
                "SELECT schema_name AS schema, table_name AS name, 'table' AS kind, estimated_size AS rows \
                 FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal \
                 AND schema_name IN ({served}) \
                 UNION ALL SELECT schema_name, view_name, 'view', NULL FROM duckdb_views() \
                 WHERE database_name = current_database() AND NOT internal AND schema_name IN ({served}) \
                 ORDER BY 1, 2"
            ),
            &[],
        )?;
        Answer::json(&rows).map_err(Problem::internal)
    })
    .await
}

// ----- admin -----

/// Runs an admin action on a pooled connection (never cached).
async fn admin<T: Serialize + Send + 'static>(
    state: &Arc<AppState>,
    caller: &Caller,
    work: impl FnOnce(&Connection, &AppState) -> Result<T, Problem> + Send + 'static,
    status: StatusCode,
) -> Response {
    if let Err(problem) = caller.require(Scope::Admin) {
        return problem.into_response();
    }
    let shared = Arc::clone(state);
    match state
        .pool
        .run(Limits::default(), move |conn| work(conn, &shared))
        .await
    {
        Ok(ran) => match ran.value {
            Ok(value) => (status, Json(value)).into_response(),
            Err(problem) => problem.into_response(),
        },
        Err(e) => Problem::internal(e).into_response(),
    }
}

fn token_problem(error: tokens::TokenError) -> Problem {
    match error {
        tokens::TokenError::Db(e) => Problem::internal(e),
        tokens::TokenError::Random(e) => Problem::internal(e),
        tokens::TokenError::Unknown(_) => Problem::not_found(error.to_string()),
        tokens::TokenError::Exists(_) => Problem::new(StatusCode::CONFLICT, error.to_string()),
        other => Problem::bad_request(other.to_string()),
    }
}

/// Every token (revoked ones too), never the tokens themselves (admin scope).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, body = Vec<TokenInfo>), (status = 401, body = Problem), (status = 403, body = Problem)
))]
async fn list_tokens(State(state): Shared, Extension(caller): Extension<Caller>) -> Response {
    admin(
        &state,
        &caller,
        |conn, _| tokens::list(conn).map_err(token_problem),
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    /// 1 to 64 letters, digits, `-`, `_` or `.`.
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    name: String,
    /// `read`, `query` or `admin`.
    #[schema(pattern = "^(read|query|admin)$")]
    scope: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    name: String,
    scope: Scope,
    /// Shown this once: only its hash is kept.
    token: String,
}

/// Creates a token (admin scope); the answer holds the token, shown this once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = NewToken, security(("bearer" = [])), responses(
    (status = 201, body = CreatedToken), (status = 400, body = Problem), (status = 401, body = Problem),
    (status = 403, body = Problem), (status = 409, body = Problem)
))]
async fn create_token(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    body: Result<Json<NewToken>, JsonRejection>,
) -> Response {
    let Json(request) = match body {
        Ok(body) => body,
        Err(e) => return super::query::bad_body(e),
    };
    admin(
        &state,
        &caller,
        move |conn, state| {
            let scope: Scope = request.scope.parse().map_err(token_problem)?;
            let token = tokens::create(conn, &request.name, scope).map_err(token_problem)?;
            state.reload_tokens(conn).map_err(token_problem)?;
            Ok(CreatedToken {
                name: request.name,
                scope,
                token,
            })
        },
        StatusCode::CREATED,
    )
    .await
}

/// Revokes a token by name (admin scope); it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{name}", tag = "admin", params(("name" = String, Path)),
    security(("bearer" = [])), responses(
    (status = 200, body = Vec<TokenInfo>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
))]
async fn revoke_token(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    name: Result<Path<String>, PathRejection>,
) -> Response {
    let Path(name) = match name {
        Ok(p) => p,
        Err(e) => return bad_path(e),
    };
    admin(
        &state,
        &caller,
        move |conn, state| {
            tokens::revoke(conn, &name).map_err(token_problem)?;
            state.reload_tokens(conn).map_err(token_problem)?;
            tokens::list(conn).map_err(token_problem)
        },
        StatusCode::OK,
    )
    .await
}

/// A background job of this server (`--pipeline`, `--tail`).
#[derive(Debug, Serialize, ToSchema)]
pub struct JobInfo {
    name: String,
    running: bool,
    runs: u64,
    failures: u64,
    /// What it last reported.
    last_progress: Option<String>,
    last_error: Option<String>,
}

/// The server's background jobs and what they last reported (admin scope).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, body = Vec<JobInfo>), (status = 401, body = Problem), (status = 403, body = Problem)
))]
async fn jobs(State(state): Shared, Extension(caller): Extension<Caller>) -> Response {
    if let Err(problem) = caller.require(Scope::Admin) {
        return problem.into_response();
    }
    let jobs: Vec<JobInfo> = state
        .metrics
        .jobs
        .lock()
        .expect("metrics lock")
        .iter()
        .map(|(name, job)| JobInfo {
            name: name.clone(),
            running: job.running,
            runs: job.runs,
            failures: job.failures,
            last_progress: job.last.as_ref().map(|p| {
                if p.message.is_empty() {
                    format!("{}: {}", p.job, p.done)
                } else {
                    format!("{}: {}", p.job, p.message)
                }
            }),
            last_error: job.last_error.clone(),
        })
        .collect();
    Json(jobs).into_response()
}
