//! `/api/v1/stream/windows`: the tail's closed windows.

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::need::need;
use super::paging::{paged, paged_params};
use crate::serve::answer::answer;
use crate::serve::auth::Caller;
use crate::serve::cache::Answer;
use crate::serve::problem::Problem;
use crate::serve::rows::{Page, typed};
use crate::serve::state::Shared;

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

paged_params!(WindowParams);

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
pub(super) async fn stream_windows(
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
