//! `/api/v1/jobs`: the server's background jobs and what they last reported.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use utoipa::ToSchema;

use crate::serve::auth::Caller;
use crate::serve::problem::Problem;
use crate::serve::state::Shared;
use crate::serve::tokens::Scope;

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
pub(super) async fn jobs(State(state): Shared, Extension(caller): Extension<Caller>) -> Response {
    if let Err(problem) = caller.require(Scope::Admin) {
        return problem.into_response();
    }
    let jobs: Vec<JobInfo> = state
        .jobs
        .jobs()
        .into_iter()
        .map(|job| JobInfo {
            running: job.is_running(),
            runs: u64::from(!job.is_running()),
            failures: u64::from(job.failure().is_some()),
            last_progress: job.last.as_ref().map(|p| {
                if p.message.is_empty() {
                    format!("{}: {}", p.job, p.done)
                } else {
                    format!("{}: {}", p.job, p.message)
                }
            }),
            last_error: job.failure().map(str::to_string),
            name: job.name,
        })
        .collect();
    Json(jobs).into_response()
}
