//! `POST /api/v1/dashboards/bind` and `/panel`: the dashboards core evaluated here for a
//! dashboard file the client sends as TOML, so a remote workbench draws the same
//! [`Figure`]s it would draw locally.
//!
//! A dashboard's SQL is a client's SQL: each variable's and panel's query passes the
//! query route's guard before it runs (a refusal names the panel or variable), runs on a
//! pooled connection of the locked database, in a read-only transaction, within the
//! query route's limits and one of its turns.

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use duckdb::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::dashboards::{Bindings, Dashboard, DashboardError, Figure, Panel, Selection};
use crate::serve::answer::answer_within;
use crate::serve::auth::Caller;
use crate::serve::cache::Answer;
use crate::serve::guard;
use crate::serve::problem::Problem;
use crate::serve::query::{check_problem, limits, turn};
use crate::serve::rejection::bad_body;
use crate::serve::state::Shared;
use crate::serve::tokens::Scope;

/// What a workbench binds: the dashboard file and the user's picks.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BindRequest {
    /// The dashboard file's text (TOML, docs/DASHBOARDS.md).
    pub dashboard: String,
    /// `[name, value]` pairs the user picked; variables not named take their default.
    #[serde(default)]
    #[schema(value_type = Vec<Vec<String>>)]
    pub selection: Vec<(String, String)>,
}

/// One panel to run, with the bindings `bind` answered.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PanelRequest {
    /// The dashboard file's text (TOML).
    pub dashboard: String,
    /// The panel's place in the file, from 0.
    #[schema(minimum = 0)]
    pub index: usize,
    /// The `bindings` of `POST /api/v1/dashboards/bind`'s answer, as it came.
    #[schema(value_type = Object)]
    pub bindings: Bindings,
}

/// A panel's figure.
#[derive(Debug, Serialize, Deserialize)]
pub struct PanelAnswer {
    pub figure: Figure,
}

const BIND_EXAMPLE: &str = r#"{"dashboard": "title = …", "selection": [["period", "all"]]}"#;
const PANEL_EXAMPLE: &str = r#"{"dashboard": "title = …", "index": 0, "bindings": {…}}"#;

/// Resolves a dashboard's variables and lists each one's choices (query scope).
#[utoipa::path(post, path = "/api/v1/dashboards/bind", tag = "dashboards", request_body = BindRequest, security(("bearer" = [])), responses(
    (status = 200, description = "`{bindings, choices}`: the variables' values and each one's choices, in the file's order", body = Object),
    (status = 400, body = Problem, description = "The file or a variable is wrong (with its line)"),
    (status = 401, body = Problem),
    (status = 403, body = Problem, description = "The token lacks the query scope, or a query of the dashboard is refused (naming it)"),
    (status = 503, body = Problem)
))]
pub(super) async fn bind(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    body: Result<Json<BindRequest>, JsonRejection>,
) -> Response {
    if let Err(problem) = caller.require(Scope::Query) {
        return problem.into_response();
    }
    let Json(request) = match body {
        Ok(body) => body,
        Err(e) => return bad_body(e, BIND_EXAMPLE),
    };
    let dashboard = match parse(&request.dashboard) {
        Ok(dashboard) => dashboard,
        Err(problem) => return problem.into_response(),
    };
    let _turn = match turn(&state).await {
        Ok(turn) => turn,
        Err(busy) => return busy,
    };
    let key = serde_json::to_string(&request).unwrap_or_default();
    let selection = Selection(request.selection);
    answer_within(
        &state,
        &caller,
        "dashboards/bind",
        key,
        limits(&state.options),
        move |conn| {
            let dashboard = guarded(conn, dashboard)?;
            conn.execute_batch("BEGIN TRANSACTION READ ONLY")
                .map_err(Problem::internal)?;
            let bound = crate::dashboards::bind(conn, &dashboard, &selection);
            let _ = conn.execute_batch("ROLLBACK");
            Answer::json(&bound.map_err(dashboard_problem)?).map_err(Problem::internal)
        },
    )
    .await
}

/// Runs one panel with the bindings `bind` gave, and shapes its rows (query scope).
#[utoipa::path(post, path = "/api/v1/dashboards/panel", tag = "dashboards", request_body = PanelRequest, security(("bearer" = [])), responses(
    (status = 200, description = "`{figure}`: what the panel draws", body = Object),
    (status = 400, body = Problem, description = "The file, the index or the panel's query is wrong (with its line)"),
    (status = 401, body = Problem),
    (status = 403, body = Problem, description = "The token lacks the query scope, or the panel's query is refused (naming the panel)"),
    (status = 503, body = Problem)
))]
pub(super) async fn panel(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    body: Result<Json<PanelRequest>, JsonRejection>,
) -> Response {
    if let Err(problem) = caller.require(Scope::Query) {
        return problem.into_response();
    }
    let Json(request) = match body {
        Ok(body) => body,
        Err(e) => return bad_body(e, PANEL_EXAMPLE),
    };
    let panel = match parse(&request.dashboard).and_then(|d| nth_panel(d, request.index)) {
        Ok(panel) => panel,
        Err(problem) => return problem.into_response(),
    };
    let _turn = match turn(&state).await {
        Ok(turn) => turn,
        Err(busy) => return busy,
    };
    let key = serde_json::to_string(&request).unwrap_or_default();
    let bindings = request.bindings;
    answer_within(
        &state,
        &caller,
        "dashboards/panel",
        key,
        limits(&state.options),
        move |conn| {
            let mut panel = panel;
            panel.sql = checked(conn, &panel.sql, &panel_place(&panel))?;
            let figure = crate::dashboards::evaluate_panel(conn, &panel, &bindings)
                .map_err(dashboard_problem)?;
            Answer::json(&PanelAnswer { figure }).map_err(Problem::internal)
        },
    )
    .await
}

/// The dashboard of `text`, or its mistake with its line (400).
fn parse(text: &str) -> Result<Dashboard, Problem> {
    crate::dashboards::spec::parse(text, "the dashboard").map_err(dashboard_problem)
}

fn nth_panel(dashboard: Dashboard, index: usize) -> Result<Panel, Problem> {
    let count = dashboard.panels.len();
    dashboard.panels.into_iter().nth(index).ok_or_else(|| {
        Problem::bad_request(format!(
            "the dashboard has {count} panels: `index` is 0 to {}, not {index}",
            count.saturating_sub(1)
        ))
    })
}

/// `dashboard` with every query of its variables and panels passed through the guard
/// (as the guard would run it), or the first refusal, naming where it is.
fn guarded(conn: &Connection, mut dashboard: Dashboard) -> Result<Dashboard, Problem> {
    for variable in &mut dashboard.variables {
        let place = format!("variable `{}` (line {}): ", variable.name, variable.line);
        for sql in [&mut variable.sql, &mut variable.range_sql]
            .into_iter()
            .flatten()
        {
            *sql = checked(conn, sql, &place)?;
        }
    }
    for panel in &mut dashboard.panels {
        panel.sql = checked(conn, &panel.sql, &panel_place(panel))?;
    }
    Ok(dashboard)
}

fn panel_place(panel: &Panel) -> String {
    format!("panel `{}` (line {}): ", panel.title, panel.line)
}

/// `sql` as the guard lets it run (parameters and all), or its verdict after `place`.
fn checked(conn: &Connection, sql: &str, place: &str) -> Result<String, Problem> {
    guard::check_with_parameters(conn, sql).map_err(|e| check_problem(e, place))
}

/// A dashboard's mistake (400, its sentence with the line), or the server's (500).
fn dashboard_problem(error: DashboardError) -> Problem {
    match error {
        DashboardError::Db(e) => Problem::internal(e),
        DashboardError::Cancelled => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the dashboard was stopped before it finished",
        ),
        other => Problem::bad_request(other.to_string()),
    }
}
