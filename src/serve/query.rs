//! `POST /api/v1/query`: read-only SQL for tokens with the `query` scope, answered as
//! JSON, CSV or Arrow IPC as the `Accept` header asks.
//!
//! [`super::guard`] decides what may run; the query then runs in a `READ ONLY`
//! transaction on a pooled connection of a database that reaches no file
//! ([`super::sandbox`]), interrupted past `--query-timeout`. Rows stream out of DuckDB
//! into an answer cut at `limit` rows (capped by `--max-rows`) and at
//! `--max-answer-bytes` ([`super::encode`]), with `truncated` / `X-Truncated` saying
//! whether rows were cut. At most `--max-queries` run at once; a query that waits
//! longer than `--queue-timeout` for its turn is answered 503 with `Retry-After`.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use duckdb::Connection;
use serde::{Deserialize, Serialize};
use tokio::sync::OwnedSemaphorePermit;
use utoipa::ToSchema;

use super::answer::{answer_within, cached};
use super::auth::Caller;
use super::cache::Answer;
use super::encode::{ARROW_STREAM, CappedAnswer, Cut, Format};
use super::guard::{self, CheckError};
use super::options::ServeOptions;
use super::pool::Limits;
use super::problem::Problem;
use super::rejection::bad_body;
use super::state::AppState;
use super::tokens::Scope;

#[derive(Debug, Deserialize, ToSchema)]
pub struct QueryRequest {
    /// One SELECT over the warehouse's tables and views.
    #[schema(min_length = 1)]
    sql: String,
    /// Rows to return at most (default 1000, capped by the server's --max-rows, 100,000
    /// unless set).
    #[schema(minimum = 1)]
    limit: Option<usize>,
    /// Rows to skip before the first one returned (default 0): the next page of the
    /// same query.
    #[serde(default)]
    #[schema(minimum = 0)]
    offset: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueryAnswer {
    columns: Vec<String>,
    /// Rows as arrays in column order; numbers are numbers, times are text.
    #[schema(value_type = Vec<Vec<Value>>)]
    rows: Vec<Vec<serde_json::Value>>,
    /// Whether the query had more rows than were returned.
    truncated: bool,
}

fn format_from_accept(headers: &HeaderMap) -> Format {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains("text/csv") {
        Format::Csv
    } else if accept.contains(ARROW_STREAM) {
        Format::Arrow
    } else {
        Format::Json
    }
}

/// Runs one read-only SELECT (query scope). `Accept: text/csv` answers CSV,
/// `Accept: application/vnd.apache.arrow.stream` Arrow IPC; otherwise JSON.
#[utoipa::path(post, path = "/api/v1/query", tag = "query", request_body = QueryRequest, security(("bearer" = [])), responses(
    (status = 200, description = "The rows, as JSON, or CSV / Arrow IPC per the Accept header; header X-Truncated says whether rows were cut (at `limit` or at --max-answer-bytes)",
        content((QueryAnswer = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.apache.arrow.stream"))),
    (status = 400, body = Problem, description = "The SQL does not parse or bind, or `limit` is out of range"),
    (status = 403, body = Problem, description = "The token lacks the query scope, or the SQL reads outside the served schemas, reads settings or files, or writes"),
    (status = 413, body = Problem, description = "The first row alone is larger than --max-answer-bytes, or the body larger than --max-body"),
    (status = 503, body = Problem, description = "The query ran past --query-timeout or out of memory, or waited past --queue-timeout for its turn (then with Retry-After)")
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
        Err(e) => return bad_body(e, r#"{"sql": "SELECT …", "limit": 100}"#),
    };
    let limit = request.limit.unwrap_or(1000);
    if limit == 0 || limit > state.options.max_rows {
        return Problem::bad_request(format!(
            "limit must be between 1 and {} (--max-rows); it was {limit}",
            state.options.max_rows
        ))
        .into_response();
    }
    let format = format_from_accept(&headers);
    let sql = request.sql;
    let window = Window {
        offset: request.offset,
        limit,
    };
    let parameters = format!("{format:?}|{limit}|{}|{sql}", window.offset);
    // A cached answer needs no turn.
    if let Some(hit) = cached(&state, &caller, "query", &parameters) {
        return hit;
    }
    // (After the wait for a turn the cache is looked at again: the same query may have
    // been answered.)
    let _turn = match turn(&state).await {
        Ok(turn) => turn,
        Err(busy) => return busy,
    };
    let max_bytes = state.options.max_answer_bytes;
    answer_within(
        &state,
        &caller,
        "query",
        parameters,
        limits(&state.options),
        move |conn| run_read_only(conn, &sql, window, max_bytes, format),
    )
    .await
}

/// A bounded wait for one of `--max-queries` turns, else 503: a queue without a
/// deadline lets a burst of slow queries hold every client forever. Every route that
/// runs a client's SQL (queries, dashboards) takes one.
pub(crate) async fn turn(state: &AppState) -> Result<OwnedSemaphorePermit, Response> {
    let waited = tokio::time::timeout(
        state.options.queue_timeout,
        Arc::clone(&state.query_turns).acquire_owned(),
    )
    .await;
    match waited {
        Ok(Ok(turn)) => Ok(turn),
        _ => Err(busy(&state.options)),
    }
}

/// What a client's SQL may use before it is interrupted (`--query-timeout`,
/// `--query-memory`).
pub(crate) fn limits(options: &ServeOptions) -> Limits {
    Limits {
        time: Some(options.query_timeout),
        memory: Some(options.query_memory),
    }
}

/// 503 with `Retry-After`: every query turn stayed taken past --queue-timeout.
fn busy(options: &ServeOptions) -> Response {
    let mut response = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "the server is running its {} queries at once and none finished within {}: try again shortly",
            options.max_queries,
            humantime::format_duration(options.queue_timeout)
        ),
    )
    .into_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(options.queue_timeout.as_secs().max(1)),
    );
    response
}

/// Which rows of a query's result an answer holds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    /// Rows skipped first.
    pub offset: usize,
    /// Rows returned at most.
    pub limit: usize,
}

/// Checks `sql`, runs it in a read-only transaction and writes the rows of `window`,
/// at most `max_bytes` bytes of answer.
fn run_read_only(
    conn: &Connection,
    sql: &str,
    window: Window,
    max_bytes: usize,
    format: Format,
) -> Result<Answer, Problem> {
    let checked = guard::check(conn, sql).map_err(|e| check_problem(e, ""))?;
    execute(conn, &checked, window, max_bytes, format)
}

/// The guard's verdict as a problem, its sentence after `place` (which SQL it was,
/// when a request holds several).
pub(crate) fn check_problem(error: CheckError, place: &str) -> Problem {
    match error {
        CheckError::Refused(refusal) => {
            Problem::new(StatusCode::FORBIDDEN, format!("{place}{refusal}"))
        }
        CheckError::Invalid(why) => Problem::bad_request(format!("{place}{why}")),
        CheckError::Internal(e) => Problem::internal(e),
    }
}

/// Runs SQL that passed the check, in a `READ ONLY` transaction, streaming its rows
/// into a capped answer. Split from the check so tests can show the database itself
/// refuses what the check would have caught.
pub(super) fn execute(
    conn: &Connection,
    sql: &str,
    window: Window,
    max_bytes: usize,
    format: Format,
) -> Result<Answer, Problem> {
    conn.execute_batch("BEGIN TRANSACTION READ ONLY")
        .map_err(Problem::internal)?;
    let result = stream(conn, sql, window, max_bytes, format);
    let _ = conn.execute_batch("ROLLBACK");
    result
}

fn stream(
    conn: &Connection,
    sql: &str,
    window: Window,
    max_bytes: usize,
    format: Format,
) -> Result<Answer, Problem> {
    let mut stmt = conn.prepare(sql).map_err(sql_problem)?;
    let rows = stmt.stream_arrow([]).map_err(sql_problem)?;
    let mut answer = CappedAnswer::new(format, rows.get_schema(), window.limit, max_bytes)
        .map_err(Problem::internal)?;
    let mut skip = window.offset;
    for batch in rows {
        let batch = batch.map_err(sql_problem)?;
        if skip >= batch.num_rows() {
            skip -= batch.num_rows();
            continue;
        }
        let batch = batch.slice(skip, batch.num_rows() - skip);
        skip = 0;
        answer.push(&batch).map_err(Problem::internal)?;
        if answer.cut.is_some() {
            break;
        }
    }
    if answer.cut == Some(Cut::Bytes) && answer.rows == 0 {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the first row alone is larger than this server's answer limit of {max_bytes} bytes \
                 (--max-answer-bytes): select fewer or shorter columns"
            ),
        ));
    }
    let truncated = answer.cut.is_some();
    Ok(Answer {
        content_type: format.content_type(),
        body: answer.finish().map_err(Problem::internal)?.into(),
        truncated,
    })
}
/// A database error in the client's SQL, as a sentence: DuckDB's first line without
/// the C++ detail that may follow. Internal errors are logged, not shown.
fn sql_problem(error: duckdb::Error) -> Problem {
    let text = error.to_string();
    if text.contains("INTERNAL") {
        return Problem::internal(text);
    }
    // DuckDB 1.x and 2.x word it differently.
    if text.contains("read-only transaction") || text.contains("launched in read-only mode") {
        return Problem::new(
            StatusCode::FORBIDDEN,
            "the query tried to change the warehouse, which this route never does",
        );
    }
    if text.contains("Permission Error") {
        return Problem::new(StatusCode::FORBIDDEN, guard::Refusal::Files.to_string());
    }
    if text.contains("Out of Memory") {
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the query needs more memory than this server gives its database (--memory-limit): \
             aggregate or filter before returning rows",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::sandbox::Sandbox;

    const FIRST_TEN: Window = Window {
        offset: 0,
        limit: 10,
    };

    /// The second wall alone: SQL sent straight to the execution layer, past the check,
    /// finds the database itself refusing every file outside the allowed folders.
    #[test]
    fn the_locked_database_refuses_files_even_past_the_check() {
        let root = tempfile::tempdir().unwrap();
        let secret = root.path().join("secret.csv");
        std::fs::write(&secret, "secret\nhunter2\n").unwrap();
        let conn = Connection::open(root.path().join("w.duckdb")).unwrap();
        Sandbox {
            allowed_dirs: vec![root.path().join("allowed")],
            memory_limit: None,
        }
        .lock(&conn)
        .unwrap();
        let conn = conn.try_clone().unwrap();
        let s = secret.display();
        for sql in [
            format!("SELECT * FROM '{s}'"),
            format!("SELECT * FROM read_csv('{s}')"),
            format!("WITH \"{s}\" AS (SELECT * FROM '{s}') SELECT * FROM \"{s}\""),
            format!("SELECT * FROM read_text('{s}')"),
            format!("SELECT * FROM glob('{}/*')", root.path().display()),
        ] {
            let problem = execute(&conn, &sql, FIRST_TEN, 1 << 20, Format::Json)
                .err()
                .unwrap_or_else(|| panic!("{sql} ran"));
            assert_eq!(problem.status, 403, "{sql}: {}", problem.detail);
            assert!(!problem.detail.contains("hunter2"));
        }
        // And writes stop at the read-only transaction.
        conn.execute_batch("CREATE TABLE t (x INT)").unwrap();
        let problem = execute(
            &conn,
            "INSERT INTO t VALUES (1)",
            FIRST_TEN,
            1 << 20,
            Format::Json,
        )
        .err()
        .expect("refused");
        assert_eq!(problem.status, 403, "{}", problem.detail);
    }
}
