//! `/api/v1/jobs`: the server's jobs (`--pipeline`, `--tail`, and those admin clients
//! started), what each last reported, one by id, and cancelling one. A remote workbench
//! polls `GET /api/v1/jobs/{id}` to show a job's progress on its Jobs screen.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::jobs::{JobRecord, Outcome};
use crate::serve::auth::Caller;
use crate::serve::problem::Problem;
use crate::serve::rejection::bad_path;
use crate::serve::state::Shared;
use crate::serve::tokens::Scope;

/// A job of this server.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobInfo {
    /// Its number in this server (`GET /api/v1/jobs/{id}`).
    pub id: u64,
    /// `models`, `ml`, `tail`, `pipeline`, `alerts`…
    pub kind: String,
    pub name: String,
    /// `running`, `succeeded`, `failed` or `cancelled`.
    pub state: String,
    pub running: bool,
    pub runs: u64,
    pub failures: u64,
    /// Units done and the total of its current step, from its latest progress.
    pub done: Option<u64>,
    pub total: Option<u64>,
    /// Its latest progress message; once it ended, its summary or why it failed.
    pub message: Option<String>,
    /// What it last reported.
    pub last_progress: Option<String>,
    pub last_error: Option<String>,
}

impl JobInfo {
    pub(super) fn of(job: JobRecord) -> Self {
        let state = match job.outcome() {
            None => "running",
            Some(Outcome::Succeeded { .. }) => "succeeded",
            Some(Outcome::Cancelled { .. }) => "cancelled",
            Some(Outcome::Failed { .. } | Outcome::DataChecksFailed { .. }) => "failed",
        };
        let progress = job.last.as_ref();
        let message = match job.outcome() {
            Some(outcome) => Some(outcome.text().to_string()),
            None => progress
                .map(|p| p.message.clone())
                .filter(|m| !m.is_empty()),
        };
        Self {
            id: job.id,
            kind: job.kind.name().to_string(),
            state: state.to_string(),
            running: job.is_running(),
            runs: u64::from(!job.is_running()),
            failures: u64::from(state == "failed"),
            done: progress.map(|p| p.done),
            total: progress.and_then(|p| p.total),
            message,
            last_progress: progress.map(|p| {
                if p.message.is_empty() {
                    format!("{}: {}", p.job, p.done)
                } else {
                    format!("{}: {}", p.job, p.message)
                }
            }),
            last_error: job.failure().map(str::to_string),
            name: job.name,
        }
    }
}

/// The server's jobs and what they last reported, oldest first (admin scope).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, body = Vec<JobInfo>), (status = 401, body = Problem), (status = 403, body = Problem)
))]
pub(super) async fn jobs(State(state): Shared, Extension(caller): Extension<Caller>) -> Response {
    if let Err(problem) = caller.require(Scope::Admin) {
        return problem.into_response();
    }
    let jobs: Vec<JobInfo> = state.jobs.jobs().into_iter().map(JobInfo::of).collect();
    Json(jobs).into_response()
}

/// One job, by its number (admin scope): poll it to follow a job's progress.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "admin", params(("id" = u64, Path, minimum = 0)), security(("bearer" = [])), responses(
    (status = 200, body = JobInfo), (status = 400, body = Problem), (status = 401, body = Problem),
    (status = 403, body = Problem), (status = 404, body = Problem)
))]
pub(super) async fn job(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    id: Result<Path<u64>, PathRejection>,
) -> Response {
    let id = match admin_job_id(&caller, id) {
        Ok(id) => id,
        Err(refused) => return *refused,
    };
    match state.jobs.record(id) {
        Some(record) => Json(JobInfo::of(record)).into_response(),
        None => unknown(id).into_response(),
    }
}

/// Asks a running job to stop (admin scope); it ends `cancelled` at its next
/// cancellation point. 202 with the job as it stands; a job that already ended is left
/// as it is (200).
#[utoipa::path(delete, path = "/api/v1/jobs/{id}", tag = "admin", params(("id" = u64, Path, minimum = 0)), security(("bearer" = [])), responses(
    (status = 202, body = JobInfo, description = "Asked to stop"), (status = 200, body = JobInfo, description = "It had already ended"),
    (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
))]
pub(super) async fn cancel_job(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    id: Result<Path<u64>, PathRejection>,
) -> Response {
    let id = match admin_job_id(&caller, id) {
        Ok(id) => id,
        Err(refused) => return *refused,
    };
    let asked = state.cancel_job(id);
    match state.jobs.record(id) {
        Some(record) => {
            let status = if asked {
                axum::http::StatusCode::ACCEPTED
            } else {
                axum::http::StatusCode::OK
            };
            (status, Json(JobInfo::of(record))).into_response()
        }
        None => unknown(id).into_response(),
    }
}

/// The job number of a `/api/v1/jobs/{id}` route, for an admin token only.
fn admin_job_id(
    caller: &Caller,
    id: Result<Path<u64>, PathRejection>,
) -> Result<u64, Box<Response>> {
    caller
        .require(Scope::Admin)
        .map_err(|problem| Box::new(problem.into_response()))?;
    id.map(|Path(id)| id).map_err(|e| Box::new(bad_path(e)))
}

fn unknown(id: u64) -> Problem {
    Problem::not_found(format!(
        "this server has no job {id}: GET /api/v1/jobs lists them"
    ))
}
