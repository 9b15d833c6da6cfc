//! `GET /api/v1/workbench/{part}`: what the workbench's own loaders return, as JSON, so
//! a workbench opened against this server (`--remote`) deserializes into the very types
//! it builds locally and draws its screens unchanged.
//!
//! The loaders run fixed SQL of ecom's (not a client's), on a pooled connection; each
//! answer is cached for the current data generation only, so live figures are fresh
//! after every commit of the tail or the pipeline.

use std::path::PathBuf;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use duckdb::Connection;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::ml::recommend::{Lookup, Suggestion, lookup};
use crate::serve::answer::answer;
use crate::serve::auth::Caller;
use crate::serve::cache::Answer;
use crate::serve::guard::SERVED_SCHEMAS;
use crate::serve::problem::Problem;
use crate::serve::rejection::bad_query;
use crate::serve::state::Shared;

/// The parts, by the name of the route's last segment.
pub const PARTS: [&str; 7] = [
    "catalog", "quality", "runs", "ml", "stream", "models", "lookup",
];

/// Runs the workbench shows at most (its Jobs screen's history).
const RECENT_RUNS: usize = 50;
/// Rows of each of the tail's tables the Stream screen shows.
const STREAM_ROWS: usize = 12;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupParams {
    /// For `lookup`: a customer id, or a stock code.
    text: Option<String>,
}

/// The answer of `lookup`: a title and the list (`null` when the recommendation job has
/// not run yet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LookupAnswer {
    pub title: String,
    pub list: Vec<Suggestion>,
}

/// One part of the workbench, as its local loader returns it: `catalog` (the served
/// schemas' relations), `quality`, `runs`, `ml`, `stream`, `models`, `lookup?text=`.
#[utoipa::path(get, path = "/api/v1/workbench/{part}", tag = "workbench",
    params(("part" = String, Path, description = "catalog, quality, runs, ml, stream, models or lookup"), LookupParams),
    security(("bearer" = [])), responses(
    (status = 200, description = "The loader's value as JSON (the workbench's own types)", body = Value),
    (status = 400, body = Problem), (status = 401, body = Problem),
    (status = 404, body = Problem, description = "No such part")
))]
pub(super) async fn part(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    Path(part): Path<String>,
    params: Result<Query<LookupParams>, QueryRejection>,
) -> Response {
    let Query(params) = match params {
        Ok(params) => params,
        Err(e) => return bad_query(e),
    };
    if !PARTS.contains(&part.as_str()) {
        return Problem::not_found(format!(
            "the workbench has no part `{part}`: ask for one of {}",
            PARTS.join(", ")
        ))
        .into_response();
    }
    let text = params.text.unwrap_or_default();
    if part == "lookup" && text.trim().is_empty() {
        return Problem::bad_request(
            "lookup needs `?text=`: a customer id, or a product's stock code",
        )
        .into_response();
    }
    let project = state.project.clone();
    let key = format!("{part}|{text}");
    answer(&state, &caller, "workbench", key, move |conn| {
        load(conn, &part, &text, project)
    })
    .await
}

/// The loader of `part`, serialized.
fn load(conn: &Connection, part: &str, text: &str, project: PathBuf) -> Result<Answer, Problem> {
    use crate::warehouse::{catalog, history};
    match part {
        "catalog" => {
            let served: Vec<_> = catalog::relations(conn)
                .map_err(Problem::internal)?
                .into_iter()
                .filter(|r| SERVED_SCHEMAS.contains(&r.schema.as_str()))
                .collect();
            json(&served)
        }
        "quality" => json(&catalog::quality(conn).map_err(Problem::internal)?),
        "runs" => json(&history::recent_runs(conn, RECENT_RUNS).map_err(Problem::internal)?),
        "ml" => json(&crate::ml::summary::summary(conn).map_err(Problem::internal)?),
        "stream" => {
            json(&crate::stream::recent::load(conn, STREAM_ROWS).map_err(Problem::internal)?)
        }
        "models" => json(&crate::models::overview::load(&project).map_err(Problem::internal)?),
        _ => {
            let what = Lookup::parse(text);
            let found = match lookup(conn, &what) {
                Ok(found) => found,
                Err(
                    e @ (crate::ml::MlError::UnknownCustomer(_)
                    | crate::ml::MlError::UnknownProduct(_)),
                ) => return Err(Problem::not_found(e.to_string())),
                Err(e) => return Err(Problem::internal(e)),
            };
            json(&found.map(|list| LookupAnswer {
                title: what.title(),
                list,
            }))
        }
    }
}

fn json(value: &impl Serialize) -> Result<Answer, Problem> {
    Answer::json(value).map_err(Problem::internal)
}
