//! How a read route answers: from the answer cache when it can, else by running its
//! work on a pooled connection (interrupted past its limits) and caching the result.
//! Shared by the routes over the tables and by `POST /api/v1/query`.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use duckdb::Connection;

use super::auth::Caller;
use super::cache::{Answer, AnswerCache};
use super::pool::Limits;
use super::problem::Problem;
use super::state::AppState;

/// Answers from the cache, or computes on a pooled connection and caches the answer.
pub(crate) async fn answer(
    state: &Arc<AppState>,
    caller: &Caller,
    route: &str,
    parameters: String,
    work: impl FnOnce(&Connection) -> Result<Answer, Problem> + Send + 'static,
) -> Response {
    answer_within(state, caller, route, parameters, Limits::default(), work).await
}

/// The cached answer of `route` with `parameters` for the caller's scope, if any.
pub(crate) fn cached(
    state: &AppState,
    caller: &Caller,
    route: &str,
    parameters: &str,
) -> Option<Response> {
    let key = AnswerCache::key(route, parameters, caller.scope.as_str());
    state.cache.get(&key).map(|answer| answer.respond(true))
}

/// [`answer`], with DuckDB interrupted when the call passes its `limits` (503).
pub(crate) async fn answer_within(
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
