//! `POST /api/v1/jobs`: an admin client starts a model build, an ML run or a tail inside
//! the server, the one process that may write the warehouse. The job runs in the
//! server's registry like `--pipeline` and `--tail`, with the core functions the
//! workbench's own jobs call, on a connection of its own; the client follows it with
//! `GET /api/v1/jobs/{id}`.

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::jobs::{JobKind, Outcome, Started};
use crate::ml::MlModel;
use crate::serve::auth::Caller;
use crate::serve::problem::Problem;
use crate::serve::rejection::bad_body;
use crate::serve::state::{AppState, Shared};
use crate::serve::tokens::Scope;
use crate::stream::tail::TailOptions;

/// The job to start, by `kind`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum JobRequest {
    /// Builds the bundled project's `select`ed nodes (dbt selectors; all when empty).
    Models {
        #[serde(default)]
        select: Vec<String>,
    },
    /// Runs one ML job with its default options.
    Ml {
        /// `segments`, `recommendations` or `anomalies`.
        #[schema(pattern = "^(segments?|recommend(ations)?|anomalies)$")]
        model: String,
    },
    /// Consumes a Kafka topic into `stream.*` until cancelled.
    Tail {
        #[schema(min_length = 1)]
        brokers: String,
        #[schema(min_length = 1)]
        topic: String,
        #[schema(min_length = 1)]
        group: String,
    },
}

/// The job just started.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StartedJob {
    pub id: u64,
    pub name: String,
}

/// Starts a model build, an ML run or a tail in the server (admin scope): 202 with the
/// job's number, to poll at `GET /api/v1/jobs/{id}`.
#[utoipa::path(post, path = "/api/v1/jobs", tag = "admin", request_body = JobRequest, security(("bearer" = [])), responses(
    (status = 202, body = StartedJob), (status = 400, body = Problem), (status = 401, body = Problem),
    (status = 403, body = Problem, description = "The token lacks the admin scope"),
    (status = 409, body = Problem, description = "A job of that name is running already")
))]
pub(super) async fn start_job(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    body: Result<Json<JobRequest>, JsonRejection>,
) -> Response {
    if let Err(problem) = caller.require(Scope::Admin) {
        return problem.into_response();
    }
    let Json(request) = match body {
        Ok(body) => body,
        Err(e) => return bad_body(e, r#"{"kind": "models", "select": ["marts"]}"#),
    };
    match start(&state, request) {
        Ok(started) => {
            tracing::info!(job = started.id, name = %started.name, by = %caller.name, "a client started a job");
            (StatusCode::ACCEPTED, Json(started)).into_response()
        }
        Err(problem) => problem.into_response(),
    }
}

/// Starts `request` in the server's registry, on a connection of its own. One job of a
/// name runs at a time: two builds of one project, or two tails, would write the same
/// tables.
fn start(state: &AppState, request: JobRequest) -> Result<StartedJob, Problem> {
    let name = match &request {
        JobRequest::Models { .. } => "models build".to_string(),
        JobRequest::Ml { model } => format!("ml {}", ml_model(model)?.name()),
        JobRequest::Tail { .. } => "tail".to_string(),
    };
    if let Some(running) = state
        .jobs
        .jobs()
        .into_iter()
        .find(|j| j.is_running() && j.name == name)
    {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            format!(
                "{name} is already running as job {id}: follow it at GET /api/v1/jobs/{id}, \
                 or stop it with DELETE /api/v1/jobs/{id}",
                id = running.id
            ),
        ));
    }
    let conn = state.pool.connection().map_err(Problem::internal)?;
    let statements = conn.interrupt_handle();
    let interruptible = !matches!(request, JobRequest::Tail { .. });
    let jobs = &state.jobs;
    let started: Started<Outcome> = match request {
        JobRequest::Models { select } => {
            let project = state.project.clone();
            jobs.start(JobKind::Models, &name, move |progress, cancel| {
                let threads = crate::jobs::background_threads();
                crate::models::outcome::build_job(
                    &conn, &project, select, threads, progress, cancel,
                )
            })
        }
        JobRequest::Ml { model } => {
            let model = ml_model(&model)?;
            jobs.start(JobKind::Ml, &name, move |progress, cancel| {
                crate::ml::job(&conn, model, progress, cancel)
            })
        }
        JobRequest::Tail {
            brokers,
            topic,
            group,
        } => {
            if [&brokers, &topic, &group]
                .iter()
                .any(|v| v.trim().is_empty())
            {
                return Err(Problem::bad_request(
                    "a tail needs `brokers`, `topic` and `group`, none empty",
                ));
            }
            let options = TailOptions::new(&brokers, &topic, &group);
            jobs.start(JobKind::Tail, &name, move |progress, cancel| {
                crate::stream::tail::tail_job(&conn, &options, progress, cancel)
            })
        }
    };
    // The tail stops between batches by itself; interrupting one would fail it.
    if interruptible {
        state.interrupt_on_cancel(started.id, statements);
    }
    Ok(StartedJob {
        id: started.id,
        name,
    })
}

/// The ML job a client names: the API's table names (`segments`, `recommendations`) or
/// the CLI's (`segment`, `recommend`).
fn ml_model(name: &str) -> Result<MlModel, Problem> {
    match name {
        "segments" => Ok(MlModel::Segment),
        "recommendations" => Ok(MlModel::Recommend),
        other => MlModel::parse(other).map_err(|_| {
            Problem::bad_request(format!(
                "unknown ML model `{other}`: use segments, recommendations or anomalies"
            ))
        }),
    }
}
