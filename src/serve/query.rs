//! `POST /api/v1/query`: read-only SQL for tokens with the `query` scope, answered as
//! JSON, CSV or Arrow IPC as the `Accept` header asks.
//!
//! [`super::guard`] decides what may run; the query then runs in a `READ ONLY`
//! transaction on a pooled connection, interrupted past `--query-timeout`, and at most
//! `limit` rows (capped by `--max-rows`) come back, with `truncated` saying whether
//! there were more. A tower concurrency limit bounds how many run at once.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use duckdb::Connection;
use duckdb::arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cache::Answer;
use super::guard::{self, CheckError};
use super::problem::Problem;
use super::tokens::Scope;
use super::{AppState, Caller, ServeOptions};
use crate::warehouse::query::{batch_to_json_rows, batch_to_text};

/// The query route with its concurrency bound.
pub(super) fn route(options: &ServeOptions) -> Router<Arc<AppState>> {
    Router::new().route(
        "/api/v1/query",
        post(query).layer(tower::limit::ConcurrencyLimitLayer::new(
            options.max_queries.max(1),
        )),
    )
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct QueryRequest {
    /// One SELECT over the warehouse's tables and views.
    sql: String,
    /// Rows to return at most (default 1000, capped by the server's --max-rows).
    limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueryAnswer {
    columns: Vec<String>,
    /// Rows as arrays in column order; numbers are numbers, times are text.
    #[schema(value_type = Vec<Vec<Object>>)]
    rows: Vec<Vec<serde_json::Value>>,
    /// Whether the query had more rows than were returned.
    truncated: bool,
}

/// The formats the route can answer in.
#[derive(Debug, Clone, Copy)]
enum Format {
    Json,
    Csv,
    Arrow,
}

const ARROW_STREAM: &str = "application/vnd.apache.arrow.stream";

impl Format {
    fn from_accept(headers: &HeaderMap) -> Self {
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if accept.contains("text/csv") {
            Self::Csv
        } else if accept.contains(ARROW_STREAM) {
            Self::Arrow
        } else {
            Self::Json
        }
    }
}

pub(super) fn bad_body(rejection: JsonRejection) -> Response {
    let status = rejection.status();
    let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "the request body is larger than this server accepts (--max-body)".to_string()
    } else {
        format!(
            "the body must be JSON like {{\"sql\": \"SELECT …\", \"limit\": 100}}: {}",
            rejection.body_text()
        )
    };
    Problem::new(status, detail).into_response()
}

/// Runs one read-only SELECT (query scope). `Accept: text/csv` answers CSV,
/// `Accept: application/vnd.apache.arrow.stream` Arrow IPC; otherwise JSON.
#[utoipa::path(post, path = "/api/v1/query", tag = "query", request_body = QueryRequest, security(("bearer" = [])), responses(
    (status = 200, body = QueryAnswer, description = "JSON, or CSV / Arrow IPC per the Accept header; header X-Truncated says whether rows were cut"),
    (status = 400, body = Problem, description = "The SQL does not parse or bind"),
    (status = 401, body = Problem), (status = 403, body = Problem, description = "The token lacks the query scope, or the SQL reads outside the warehouse or writes"),
    (status = 413, body = Problem), (status = 503, body = Problem, description = "The query ran past --query-timeout")
))]
pub(super) async fn query(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Result<Json<QueryRequest>, JsonRejection>,
) -> Response {
    if let Err(problem) = caller.require(Scope::Query) {
        return problem.into_response();
    }
    let Json(request) = match body {
        Ok(body) => body,
        Err(e) => return bad_body(e),
    };
    let limit = request.limit.unwrap_or(1000);
    if limit == 0 || limit > state.options.max_rows {
        return Problem::bad_request(format!(
            "limit must be between 1 and {} (--max-rows); it was {limit}",
            state.options.max_rows
        ))
        .into_response();
    }
    let format = Format::from_accept(&headers);
    let sql = request.sql;
    super::routes::answer_within(
        &state,
        &caller,
        "query",
        format!("{format:?}|{limit}|{sql}"),
        Some(state.options.query_timeout),
        move |conn| run_read_only(conn, &sql, limit, format),
    )
    .await
}

/// Checks `sql`, runs it in a read-only transaction and renders at most `limit` rows.
fn run_read_only(
    conn: &Connection,
    sql: &str,
    limit: usize,
    format: Format,
) -> Result<Answer, Problem> {
    guard::check(conn, sql).map_err(|e| match e {
        CheckError::Refused(refusal) => Problem::new(StatusCode::FORBIDDEN, refusal.to_string()),
        CheckError::Internal(e) => Problem::internal(e),
    })?;
    conn.execute_batch("BEGIN TRANSACTION READ ONLY")
        .map_err(Problem::internal)?;
    let result = fetch(conn, sql, limit);
    let _ = conn.execute_batch("ROLLBACK");
    let (schema, batches, truncated) = result?;
    render(&schema, &batches, truncated, format).map_err(Problem::internal)
}

type Fetched = (duckdb::arrow::datatypes::SchemaRef, Vec<RecordBatch>, bool);

/// The first `limit` rows, and whether there were more.
fn fetch(conn: &Connection, sql: &str, limit: usize) -> Result<Fetched, Problem> {
    let mut stmt = conn.prepare(sql).map_err(sql_problem)?;
    let arrow = stmt.query_arrow([]).map_err(sql_problem)?;
    let schema = arrow.get_schema();
    let mut batches = Vec::new();
    let mut rows = 0;
    let mut truncated = false;
    for batch in arrow {
        if rows + batch.num_rows() > limit {
            batches.push(batch.slice(0, limit - rows));
            truncated = true;
            break;
        }
        rows += batch.num_rows();
        batches.push(batch);
    }
    Ok((schema, batches, truncated))
}

/// A database error in the client's SQL, as a sentence: DuckDB's first line without
/// the C++ detail that may follow. Internal errors are logged, not shown.
fn sql_problem(error: duckdb::Error) -> Problem {
    let text = error.to_string();
    if text.contains("INTERNAL") {
        return Problem::internal(text);
    }
    if text.contains("read-only transaction") {
        return Problem::new(
            StatusCode::FORBIDDEN,
            "the query tried to change the warehouse, which this route never does",
        );
    }
    if text.contains("Interrupted") {
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the query was stopped before it finished",
        );
    }
    let first = text.lines().next().unwrap_or(&text).trim();
    Problem::bad_request(format!("the query failed: {first}"))
}

fn render(
    schema: &duckdb::arrow::datatypes::SchemaRef,
    batches: &[RecordBatch],
    truncated: bool,
    format: Format,
) -> anyhow::Result<Answer> {
    let mut answer = match format {
        Format::Json => Answer::json(&QueryAnswer {
            columns: schema.fields().iter().map(|f| f.name().clone()).collect(),
            rows: batches.iter().flat_map(batch_to_json_rows).collect(),
            truncated,
        })?,
        Format::Csv => {
            let mut out = csv::Writer::from_writer(Vec::new());
            out.write_record(schema.fields().iter().map(|f| f.name()))?;
            for row in batches.iter().flat_map(|b| batch_to_text(b, "")) {
                out.write_record(&row)?;
            }
            Answer {
                content_type: "text/csv",
                body: out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?.into(),
                truncated: false,
            }
        }
        Format::Arrow => {
            let mut out = Vec::new();
            {
                let mut writer =
                    duckdb::arrow::ipc::writer::StreamWriter::try_new(&mut out, schema)?;
                for batch in batches {
                    writer.write(batch)?;
                }
                writer.finish()?;
            }
            Answer {
                content_type: ARROW_STREAM,
                body: out.into(),
                truncated: false,
            }
        }
    };
    answer.truncated = truncated;
    Ok(answer)
}
