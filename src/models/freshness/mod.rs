//! `ecom models source freshness`: how long ago each source table was last loaded,
//! against its `warn_after` / `error_after` thresholds, as `dbt source freshness`
//! judges it and with its `target/sources.json`.
//!
//! A source's `freshness:` and `loaded_at_field:` apply to its tables; a table's own
//! keys override them and `freshness: null` turns the check off. The age is the
//! current UTC time minus `max(loaded_at_field)` (a naive timestamp read as UTC, as
//! dbt reads it; with the table's `filter`); an empty table is as old as year 1.
//!
//! `rules` reads the rule from the property files; this file checks it.

pub mod rules;

use duckdb::Connection;
use serde::Serialize;
use serde_json::{Value, json};

use super::project::SourceTable;
use rules::{Freshness, Threshold};

/// One table's result.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub unique_id: String,
    /// `pass`, `warn`, `error` or `runtime error`.
    pub status: &'static str,
    pub max_loaded_at: Option<String>,
    pub snapshotted_at: Option<String>,
    pub max_loaded_at_time_ago_in_s: Option<f64>,
    pub message: Option<String>,
    pub criteria: Option<Freshness>,
    pub execution_time: f64,
}

/// Checks one table.
pub fn check(conn: &Connection, project: &str, table: &SourceTable) -> Option<Checked> {
    let rule = table.freshness.as_ref()?;
    let started = std::time::Instant::now();
    let unique_id = format!("source.{project}.{}.{}", table.source, table.name);
    let filter = rule
        .filter
        .as_ref()
        .map(|f| format!(" where {f}"))
        .unwrap_or_default();
    let sql = format!(
        "select strftime(max({field})::timestamp, '%Y-%m-%dT%H:%M:%S.%f+00:00'), \
         strftime(now() AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f+00:00'), \
         epoch((now() AT TIME ZONE 'UTC') - coalesce(max({field})::timestamp, timestamp '0001-01-01')) \
         from {}{filter}",
        table.relation(),
        field = rule.loaded_at_field
    );
    let measured = conn.query_row(&sql, [], |r| {
        Ok((
            r.get::<_, Option<String>>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, f64>(2)?,
        ))
    });
    let execution_time = started.elapsed().as_secs_f64();
    Some(match measured {
        Ok((max_loaded_at, snapshotted_at, age)) => {
            let beyond = |t: &Option<Threshold>| t.as_ref().is_some_and(|t| age > t.seconds());
            let status = if beyond(&rule.error_after) {
                "error"
            } else if beyond(&rule.warn_after) {
                "warn"
            } else {
                "pass"
            };
            Checked {
                unique_id,
                status,
                max_loaded_at: Some(
                    max_loaded_at.unwrap_or_else(|| "0001-01-01T00:00:00+00:00".into()),
                ),
                snapshotted_at: Some(snapshotted_at),
                max_loaded_at_time_ago_in_s: Some(age),
                message: None,
                criteria: Some(rule.clone()),
                execution_time,
            }
        }
        Err(e) => Checked {
            unique_id,
            status: "runtime error",
            max_loaded_at: None,
            snapshotted_at: None,
            max_loaded_at_time_ago_in_s: None,
            message: Some(e.to_string()),
            criteria: Some(rule.clone()),
            execution_time,
        },
    })
}

/// `target/sources.json` (dbt's sources v3 shape).
pub fn sources_json(results: &[Checked], elapsed: f64) -> Value {
    json!({
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/sources/v3.json",
            "dbt_version": format!("ecom-{}", env!("CARGO_PKG_VERSION")),
            "generated_at": chrono::Utc::now().to_rfc3339(),
        },
        "results": results,
        "elapsed_time": elapsed,
    })
}
