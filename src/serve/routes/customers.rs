//! `/api/v1/customers/{id}`: one customer's profile, and its recommendations.

use axum::Extension;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::need::{exists, need};
use crate::serve::answer::answer;
use crate::serve::auth::Caller;
use crate::serve::cache::Answer;
use crate::serve::problem::Problem;
use crate::serve::rejection::bad_query;
use crate::serve::rows::typed;
use crate::serve::state::Shared;

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
pub(super) async fn customer(
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
pub(super) async fn recommendations(
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
