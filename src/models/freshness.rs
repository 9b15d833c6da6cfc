//! `ecom models source freshness`: how long ago each source table was last loaded,
//! against its `warn_after` / `error_after` thresholds, as `dbt source freshness`
//! judges it and with its `target/sources.json`.
//!
//! A source's `freshness:` and `loaded_at_field:` apply to its tables; a table's own
//! keys override them and `freshness: null` turns the check off. The age is the
//! current UTC time minus `max(loaded_at_field)` (a naive timestamp read as UTC, as
//! dbt reads it; with the table's `filter`); an empty table is as old as year 1.

use duckdb::Connection;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::project::SourceTable;

/// A source table's freshness rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Freshness {
    pub loaded_at_field: String,
    pub warn_after: Option<Threshold>,
    pub error_after: Option<Threshold>,
    pub filter: Option<String>,
}

/// `{count: 1, period: hour}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    pub count: i64,
    pub period: String,
}

impl Threshold {
    fn read(value: Option<&Value>) -> Option<Self> {
        let value = value?;
        Some(Self {
            count: value.get("count")?.as_i64()?,
            period: value.get("period")?.as_str()?.to_string(),
        })
    }

    fn seconds(&self) -> f64 {
        let unit = match self.period.as_str() {
            "minute" => 60.0,
            "hour" => 3600.0,
            "day" => 86_400.0,
            _ => f64::INFINITY,
        };
        self.count as f64 * unit
    }
}

/// The rule of a table: the source's `freshness` and `loaded_at_field` with the
/// table's keys over them; none when either is missing or the table says `null`.
pub fn rule(source: &Value, table: &Value) -> Option<Freshness> {
    if table.get("freshness").is_some_and(Value::is_null) {
        return None;
    }
    let mut merged: Map<String, Value> = source
        .get("freshness")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(own) = table.get("freshness").and_then(Value::as_object) {
        merged.extend(own.clone());
    }
    let field = table
        .get("loaded_at_field")
        .or(source.get("loaded_at_field"))
        .and_then(Value::as_str)?;
    let warn_after = Threshold::read(merged.get("warn_after"));
    let error_after = Threshold::read(merged.get("error_after"));
    if warn_after.is_none() && error_after.is_none() {
        return None;
    }
    Some(Freshness {
        loaded_at_field: field.to_string(),
        warn_after,
        error_after,
        filter: merged
            .get("filter")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_overrides_its_source_and_null_turns_the_check_off() {
        let source = json!({"loaded_at_field": "at", "freshness": {"warn_after": {"count": 1, "period": "hour"}, "error_after": {"count": 1, "period": "day"}}});
        let table = json!({"freshness": {"warn_after": {"count": 12, "period": "hour"}, "filter": "id = 1"}});
        let rule = rule(&source, &table).unwrap();
        assert_eq!(rule.warn_after.unwrap().seconds(), 12.0 * 3600.0);
        assert_eq!(rule.error_after.unwrap().seconds(), 86_400.0);
        assert_eq!(rule.filter.as_deref(), Some("id = 1"));
        assert!(super::rule(&source, &json!({"freshness": null})).is_none());
        assert!(super::rule(&json!({}), &json!({})).is_none());
    }
}
