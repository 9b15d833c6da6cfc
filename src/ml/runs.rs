//! `ml.model_runs`: one row per ML run, so runs can be compared over time.

use std::time::Duration;

use super::error::Result;
use chrono::NaiveDateTime;
use duckdb::Connection;
use serde::{Deserialize, Serialize};

/// What a finished run records about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRun {
    pub model: String,
    pub algorithm: String,
    pub parameters: serde_json::Value,
    pub metrics: serde_json::Value,
    /// The time span of the data the run learned from.
    pub data_from: Option<NaiveDateTime>,
    pub data_to: Option<NaiveDateTime>,
    pub input_rows: u64,
    pub output_rows: u64,
}

impl ModelRun {
    /// The result in a few words, from the metrics each job records.
    pub fn headline(&self) -> String {
        let m = &self.metrics;
        let number = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
        match self.model.as_str() {
            "segment" => format!("k = {}, silhouette {:.3}", m["k"], number(&m["silhouette"])),
            "recommend" => {
                let chosen = m["chosen"].as_str().unwrap_or("?");
                format!(
                    "{chosen}: precision@10 {:.4} (popularity {:.4})",
                    number(&m["evaluation"][chosen]["precision@10"]),
                    number(&m["evaluation"]["popularity"]["precision@10"])
                )
            }
            "anomalies" => format!(
                "{} days, {} lines; revenue recall {:.2}",
                m["flagged_days"],
                m["flagged_lines"],
                number(&m["evaluation"]["daily_revenue"]["robust-seasonal"]["recall"])
            ),
            _ => m.to_string(),
        }
    }
}

/// Inserts `run` (inside the caller's transaction) and returns its id.
pub(super) fn record(
    conn: &Connection,
    run: &ModelRun,
    started_at: NaiveDateTime,
    elapsed: Duration,
) -> Result<i64> {
    let finished_at = started_at + chrono::Duration::from_std(elapsed)?;
    let id = conn.query_row(
        "INSERT INTO ml.model_runs VALUES (nextval('ml.model_run_id_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING run_id",
        duckdb::params![
            run.model,
            run.algorithm,
            started_at,
            finished_at,
            elapsed.as_millis() as i64,
            run.parameters.to_string(),
            run.metrics.to_string(),
            run.data_from,
            run.data_to,
            run.input_rows as i64,
            run.output_rows as i64,
            crate::VERSION,
        ],
        |r| r.get(0),
    )?;
    Ok(id)
}

/// The latest `limit` runs of `model` (all models when `None`), newest first, as
/// `(run_id, started_at, ModelRun)`.
pub fn recent_runs(
    conn: &Connection,
    model: Option<&str>,
    limit: usize,
) -> Result<Vec<(i64, NaiveDateTime, ModelRun)>> {
    let mut stmt = conn.prepare(
        "SELECT run_id, started_at, model, algorithm, parameters::VARCHAR, metrics::VARCHAR,
                data_from, data_to, input_rows, output_rows
         FROM ml.model_runs WHERE ? IS NULL OR model = ?
         ORDER BY run_id DESC LIMIT ?",
    )?;
    let rows = stmt.query_map(duckdb::params![model, model, limit as i64], |r| {
        let parameters: String = r.get(4)?;
        let metrics: String = r.get(5)?;
        Ok((
            r.get(0)?,
            r.get(1)?,
            ModelRun {
                model: r.get(2)?,
                algorithm: r.get(3)?,
                parameters: serde_json::from_str(&parameters).unwrap_or_default(),
                metrics: serde_json::from_str(&metrics).unwrap_or_default(),
                data_from: r.get(6)?,
                data_to: r.get(7)?,
                input_rows: r.get::<_, i64>(8)? as u64,
                output_rows: r.get::<_, i64>(9)? as u64,
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Commits a job's tables and its run record together: `write` replaces the tables,
/// then the run is recorded, in one transaction.
pub(super) fn commit(
    conn: &Connection,
    run: &ModelRun,
    started_at: NaiveDateTime,
    started: std::time::Instant,
    write: impl FnOnce(&Connection) -> Result<()>,
) -> Result<i64> {
    let tx = conn.unchecked_transaction()?;
    write(&tx)?;
    let id = record(&tx, run, started_at, started.elapsed())?;
    crate::warehouse::commit::commit(tx)?;
    Ok(id)
}
