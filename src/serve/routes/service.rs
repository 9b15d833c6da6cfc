//! The routes without a token that say how the server is: `/health` and `/metrics`.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::serve::auth::unauthorized;
use crate::serve::metrics::Counts;
use crate::serve::problem::Problem;
use crate::serve::state::Shared;
use crate::serve::tokens::Scope;

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
pub(super) async fn health(State(state): Shared, headers: HeaderMap) -> Json<Health> {
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
pub(super) async fn metrics(State(state): Shared, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.options.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Compared as hashes: constant time, like the API tokens.
        if blake3::hash(presented.as_bytes()) != blake3::hash(expected.as_bytes()) {
            return unauthorized(
                "/metrics needs `Authorization: Bearer` with the --metrics-token value",
            );
        }
    }
    let counts = Counts {
        cache_hits: state.cache.hits.load(Ordering::Relaxed),
        cache_misses: state.cache.misses.load(Ordering::Relaxed),
        abandoned: state.pool.abandoned.load(Ordering::Relaxed),
    };
    let text = state.metrics.render(counts, &state.jobs.jobs());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
