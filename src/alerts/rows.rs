//! A rule's rows as instances: every column as text (DuckDB's own `::VARCHAR`, so a
//! DATE reads `2011-01-05`), named by a fingerprint of its key columns.

use serde::Serialize;

use super::file::Rule;
use super::{AlertsError, Result};

/// One firing (or pending) instance of a rule: its labels in column order.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Stable across evaluations while the key columns keep their values.
    pub fingerprint: String,
    pub labels: Labels,
}

/// Column name and value as text (NULL reads as an empty string), in column order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Labels(pub Vec<(String, String)>);

impl Serialize for Labels {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl Labels {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// The labels stored by [`Self::to_json`] (in the stored object's order).
    pub fn from_json(text: &str) -> Self {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).unwrap_or_default();
        Self(
            map.into_iter()
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect(),
        )
    }
}

impl Serialize for Instance {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Instance", 2)?;
        out.serialize_field("fingerprint", &self.fingerprint)?;
        out.serialize_field("labels", &self.labels)?;
        out.end()
    }
}

/// Runs `rule`'s SQL on `conn`: one instance per distinct key.
pub(super) fn instances(conn: &duckdb::Connection, rule: &Rule) -> Result<Vec<Instance>> {
    query(conn, rule).map_err(|e| match e {
        AlertsError::Db(e) => AlertsError::Query(e),
        other => other,
    })
}

fn query(conn: &duckdb::Connection, rule: &Rule) -> Result<Vec<Instance>> {
    let sql = rule.sql.trim().trim_end_matches(';');
    let mut describe = conn.prepare(&format!("DESCRIBE SELECT * FROM ({sql}) AS alert_rows"))?;
    let columns: Vec<(String, String)> = describe
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<duckdb::Result<_>>()?;
    let key: Vec<usize> = match &rule.key {
        Some(key) => key
            .iter()
            .map(|k| {
                columns
                    .iter()
                    .position(|(name, _)| name == k)
                    .ok_or_else(|| AlertsError::KeyColumn {
                        rule: rule.name.clone(),
                        column: k.clone(),
                    })
            })
            .collect::<Result<_>>()?,
        None => {
            let text: Vec<usize> = (0..columns.len())
                .filter(|&i| !is_numeric(&columns[i].1))
                .collect();
            if text.is_empty() {
                (0..columns.len()).collect()
            } else {
                text
            }
        }
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT COLUMNS(*)::VARCHAR FROM ({sql}) AS alert_rows"
    ))?;
    let mut rows = stmt.query([])?;
    let mut out: Vec<Instance> = Vec::new();
    // Rows of one key are one instance: the first row's labels stand for it.
    let mut keys = std::collections::HashSet::new();
    while let Some(row) = rows.next()? {
        let mut labels = Vec::with_capacity(columns.len());
        for (i, (name, _)) in columns.iter().enumerate() {
            let value: Option<String> = row.get(i)?;
            labels.push((name.clone(), value.unwrap_or_default()));
        }
        let fingerprint = fingerprint(&rule.name, key.iter().map(|&i| &labels[i]));
        if keys.insert(fingerprint.clone()) {
            out.push(Instance {
                fingerprint,
                labels: Labels(labels),
            });
        }
    }
    Ok(out)
}

fn fingerprint<'a>(rule: &str, key: impl Iterator<Item = &'a (String, String)>) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(rule.as_bytes());
    for (name, value) in key {
        hasher.update(b"\0");
        hasher.update(name.as_bytes());
        hasher.update(b"=");
        hasher.update(value.as_bytes());
    }
    hasher.finalize().to_hex()[..16].to_string()
}

/// Whether a DuckDB type (as `DESCRIBE` names it) holds numbers: such columns are the
/// measured value, not the instance's identity.
fn is_numeric(column_type: &str) -> bool {
    let base = column_type.split('(').next().unwrap_or_default();
    matches!(
        base,
        "TINYINT"
            | "SMALLINT"
            | "INTEGER"
            | "BIGINT"
            | "HUGEINT"
            | "UTINYINT"
            | "USMALLINT"
            | "UINTEGER"
            | "UBIGINT"
            | "UHUGEINT"
            | "FLOAT"
            | "DOUBLE"
            | "DECIMAL"
    )
}
