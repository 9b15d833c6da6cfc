//! What the ML jobs found: `/api/v1/segments` and `/api/v1/anomalies`.

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
pub(super) async fn segments(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
) -> Response {
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

paged_params!(AnomalyParams);

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
pub(super) async fn anomalies(
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
