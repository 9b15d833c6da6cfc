//! The router table: every route of the server and its handler, with auth on `/api/`,
//! the body limit, the request deadline and metrics around them. Names are contracts:
//! add routes, rename none.
//!
//! Each resource's handlers live in their own file; every read route answers through
//! [`crate::serve::answer`]: the cache first, else the pool, and each checks the tables
//! it reads and, when one is missing, says which command builds it ([`need`]).

mod customers;
pub(super) mod dashboards;
mod figures;
pub(super) mod job_start;
pub(super) mod jobs;
mod ml;
mod need;
pub(crate) mod openapi;
mod paging;
mod products;
mod service;
mod stream;
mod tables;
mod tokens;
pub(super) mod workbench;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};

use super::auth::authenticate;
use super::http::{deadline, measure};
use super::problem::Problem;
use super::query::query;
use super::state::AppState;

/// Every route, with auth on `/api/`, limits and metrics.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let public = Router::new()
        .route("/health", get(service::health))
        .route("/metrics", get(service::metrics))
        .route("/openapi.json", get(openapi::openapi));
    let api = Router::new()
        .route("/api/v1/summary", get(figures::summary))
        .route("/api/v1/sales", get(figures::sales))
        .route("/api/v1/countries", get(figures::countries))
        .route("/api/v1/products/{stock_code}", get(products::product))
        .route("/api/v1/customers/{id}", get(customers::customer))
        .route(
            "/api/v1/customers/{id}/recommendations",
            get(customers::recommendations),
        )
        .route("/api/v1/segments", get(ml::segments))
        .route("/api/v1/anomalies", get(ml::anomalies))
        .route("/api/v1/stream/windows", get(stream::stream_windows))
        .route("/api/v1/tables", get(tables::tables))
        .route(
            "/api/v1/tokens",
            get(tokens::list_tokens).post(tokens::create_token),
        )
        .route("/api/v1/tokens/{name}", delete(tokens::revoke_token))
        .route("/api/v1/jobs", get(jobs::jobs).post(job_start::start_job))
        .route("/api/v1/jobs/{id}", get(jobs::job).delete(jobs::cancel_job))
        .route("/api/v1/query", post(query))
        .route("/api/v1/workbench/{part}", get(workbench::part))
        .route("/api/v1/dashboards/bind", post(dashboards::bind))
        .route("/api/v1/dashboards/panel", post(dashboards::panel))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            authenticate,
        ));
    Router::new()
        .merge(public)
        .merge(api)
        .fallback(|| async {
            Problem::not_found("no such route: GET /openapi.json lists every route")
        })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "this route does not take that method: GET /openapi.json lists every route and its methods",
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(state.options.max_body))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            deadline,
        ))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), measure))
        .with_state(state)
}
