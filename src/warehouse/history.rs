//! What ran in this warehouse, whoever ran it (the CLI, the pipeline scheduler, `ecom
//! serve`, the workbench): ingests, pipeline jobs with their retries and errors, and ML
//! runs, newest first. The workbench's Jobs screen lists them under the session's own
//! jobs.

use chrono::NaiveDateTime;
use duckdb::Connection;
use serde::{Deserialize, Serialize};

use super::WarehouseError;

/// One finished (or still running) piece of work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentRun {
    /// `ingest`, `pipeline` or `ml`.
    pub kind: String,
    /// The pipeline job's name, the ML model, or the ingest's files.
    pub name: String,
    pub status: String,
    pub started_at: NaiveDateTime,
    pub seconds: Option<f64>,
    /// Attempts beyond the first (pipeline jobs).
    pub retries: i64,
    pub rows: Option<i64>,
    /// The last attempt's error, else its message.
    pub detail: Option<String>,
}

/// The `limit` most recent runs of every kind.
pub fn recent_runs(conn: &Connection, limit: usize) -> Result<Vec<RecentRun>, WarehouseError> {
    let sql = "
        WITH pipeline AS (
            -- One row per job of a run: its last attempt, timed from the first.
            SELECT 'pipeline' AS kind, job AS name, status,
                   min(started_at) OVER attempts AS started_at, finished_at,
                   attempt - 1 AS retries, rows, coalesce(error, message) AS detail
            FROM meta.job_runs
            WINDOW attempts AS (PARTITION BY run_id, job)
            QUALIFY row_number() OVER (PARTITION BY run_id, job ORDER BY attempt DESC) = 1
        ), ingests AS (
            SELECT 'ingest', format('{} file(s)', coalesce(files_loaded, 0)), coalesce(status, 'running'),
                   started_at, finished_at, 0, rows_loaded,
                   format('{} rows quarantined, {} file(s) rejected, {} skipped',
                          coalesce(rows_quarantined, 0), coalesce(files_rejected, 0),
                          coalesce(files_skipped, 0))
            FROM meta.ingests WHERE started_at IS NOT NULL
        ), ml AS (
            SELECT 'ml', model || ' (' || algorithm || ')', 'success', started_at, finished_at, 0,
                   output_rows, NULL
            FROM ml.model_runs
        )
        SELECT kind, name, status, started_at,
               epoch(finished_at) - epoch(started_at) AS seconds, retries, rows, detail
        FROM (FROM pipeline UNION ALL FROM ingests UNION ALL FROM ml)
        ORDER BY started_at DESC
        LIMIT ?";
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([limit as i64], |r| {
        Ok(RecentRun {
            kind: r.get(0)?,
            name: r.get(1)?,
            status: r.get(2)?,
            started_at: r.get(3)?,
            seconds: r.get(4)?,
            retries: r.get(5)?,
            rows: r.get(6)?,
            detail: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
