//! dbt unit tests (`unit_tests:` in property files, dbt 1.8+): a model's SQL run on
//! given rows instead of its inputs, compared with the expected rows.
//!
//! As dbt does it: each `given` input (`ref`, `source`, `this`) becomes a CTE named
//! `__dbt__cte__<name>`; `dict` and `csv` rows are cast to the types of the real
//! input relation's columns (which must exist: dbt reads them from the warehouse), a
//! column a row leaves out is NULL, and `sql` rows are used as written. The expected
//! rows are cast to the types of the model's output and compared, as a multiset, on
//! the columns of the first expected row (all columns for `sql` or no rows). The test
//! fails with one failure when the two differ. Nothing is written to the warehouse.

use std::path::{Path, PathBuf};

use duckdb::Connection;
use serde_json::{Map, Value};

use super::catalog::Column;
use super::error::ModelError;
use crate::warehouse::{quote_ident, quote_literal};

/// Why a fixture's rows cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{0}")]
    Csv(#[from] csv::Error),
    #[error(
        "Invalid column name: '{unknown}' in unit test fixture for '{what}'. Accepted columns are: {accepted:?}"
    )]
    UnknownColumn {
        unknown: String,
        what: String,
        accepted: Vec<String>,
    },
}

/// One `unit_tests:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitTest {
    /// The model under test (its name).
    pub model: String,
    pub given: Vec<Given>,
    pub expect: Fixture,
    /// `overrides: vars:`.
    pub vars: Map<String, Value>,
    /// `overrides: env_vars:`.
    pub env_vars: std::collections::HashMap<String, String>,
    /// `overrides: macros: is_incremental:`.
    pub incremental: bool,
}

/// A `given` input: `ref('x')`, `source('s', 't')` or `this`, with its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Given {
    pub input: String,
    pub rows: Fixture,
}

/// A fixture row: (column, value) in the order written.
type Row = Vec<(String, Value)>;

/// Rows in one of dbt's three formats.
#[derive(Debug, Clone, PartialEq)]
pub enum Fixture {
    Dict(Vec<Map<String, Value>>),
    Csv(String),
    Sql(String),
}

impl Fixture {
    /// Reads `format`, `rows` and `fixture` (a file under `<test-path>/fixtures/`).
    fn read(entry: &Value, fixtures: &[PathBuf], file: &Path) -> Result<Self, ModelError> {
        let format = entry
            .get("format")
            .and_then(Value::as_str)
            .unwrap_or("dict");
        let from_file = |extension: &str| -> Result<String, ModelError> {
            let name = entry
                .get("fixture")
                .and_then(Value::as_str)
                .unwrap_or_default();
            // By file name, anywhere under the fixture folders, as dbt finds them; a
            // name is never a path.
            let wanted = format!("{name}.{extension}");
            let plain = !name.is_empty() && !name.contains(['/', '\\']) && name != "..";
            fixtures
                .iter()
                .filter(|_| plain)
                .find_map(|dir| find_file(dir, &wanted))
                .and_then(|p| std::fs::read_to_string(p).ok())
                .ok_or_else(|| {
                    ModelError::project(
                        file,
                        format!("File not found for fixture '{name}' in unit tests"),
                    )
                })
        };
        let rows = entry.get("rows");
        Ok(match (format, rows) {
            ("dict", Some(Value::Array(rows))) => Self::Dict(
                rows.iter()
                    .map(|r| r.as_object().cloned().unwrap_or_default())
                    .collect(),
            ),
            ("dict", None) => Self::Dict(Vec::new()),
            ("csv", Some(Value::String(text))) => Self::Csv(text.clone()),
            ("csv", None) => Self::Csv(from_file("csv")?),
            ("sql", Some(Value::String(text))) => Self::Sql(text.clone()),
            ("sql", None) => Self::Sql(from_file("sql")?),
            (format, _) => {
                return Err(ModelError::project(
                    file,
                    format!("unit test rows do not match format {format}"),
                ));
            }
        })
    }

    /// Rows as (column, value) lists; `None` for SQL.
    fn rows(&self) -> Result<Option<Vec<Row>>, FixtureError> {
        Ok(Some(match self {
            Self::Sql(_) => return Ok(None),
            Self::Dict(rows) => rows
                .iter()
                .map(|r| r.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .collect(),
            Self::Csv(text) => {
                let mut reader = csv::ReaderBuilder::new()
                    .trim(csv::Trim::All)
                    .from_reader(text.trim().as_bytes());
                let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
                let mut rows = Vec::new();
                for record in reader.records() {
                    let record = record?;
                    rows.push(
                        header
                            .iter()
                            .zip(record.iter())
                            .map(|(k, v)| {
                                let value = if v.is_empty() {
                                    Value::Null
                                } else {
                                    Value::from(v)
                                };
                                (k.clone(), value)
                            })
                            .collect(),
                    );
                }
                rows
            }
        }))
    }
}

/// The first file called `name` under `dir` (sorted walk).
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let direct = entries
        .iter()
        .find(|p| p.is_file() && p.file_name().is_some_and(|f| f == name));
    direct.cloned().or_else(|| {
        entries
            .iter()
            .filter(|p| p.is_dir())
            .find_map(|sub| find_file(sub, name))
    })
}

/// Reads a `unit_tests:` entry of a property file.
pub fn read(
    entry: &Value,
    fixtures: &[PathBuf],
    file: &Path,
) -> Result<(String, UnitTest), ModelError> {
    let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_string);
    let name =
        text("name").ok_or_else(|| ModelError::project(file, "a unit test has no `name`"))?;
    let model = text("model")
        .ok_or_else(|| ModelError::project(file, format!("unit test {name} has no `model`")))?;
    let given = entry
        .get("given")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|g| {
            Ok(Given {
                input: g
                    .get("input")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                rows: Fixture::read(g, fixtures, file)?,
            })
        })
        .collect::<Result<_, ModelError>>()?;
    let expect = Fixture::read(entry.get("expect").unwrap_or(&Value::Null), fixtures, file)?;
    let vars = entry
        .pointer("/overrides/vars")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let env_vars = entry
        .pointer("/overrides/env_vars")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            (k.clone(), text)
        })
        .collect();
    let incremental = entry
        .pointer("/overrides/macros/is_incremental")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok((
        name,
        UnitTest {
            model,
            given,
            expect,
            vars,
            env_vars,
            incremental,
        },
    ))
}

/// The CTE name dbt gives an input: `ref('x')` → `x`, `source('s', 't')` → `t`.
pub fn input_name(input: &str) -> Option<String> {
    let inner = input
        .strip_prefix("ref(")
        .or_else(|| input.strip_prefix("source("))?
        .strip_suffix(')')?;
    inner
        .split(',')
        .next_back()
        .map(|s| s.trim().trim_matches(['\'', '"']).to_string())
}

/// `source('s', 't')` → `("s", "t")`.
pub fn source_parts(input: &str) -> Option<(String, String)> {
    let inner = input.strip_prefix("source(")?.strip_suffix(')')?;
    let (source, table) = inner.split_once(',')?;
    let clean = |s: &str| s.trim().trim_matches(['\'', '"']).to_string();
    Some((clean(source), clean(table)))
}

fn literal(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::String(s) => quote_literal(s),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// A SELECT of `fixture`'s rows, cast to `columns` (every column, NULL where a row is
/// silent); `only` keeps just those columns, in that order.
pub fn fixture_sql(
    fixture: &Fixture,
    columns: &[Column],
    only: Option<&[String]>,
    what: &str,
) -> Result<String, FixtureError> {
    let Some(rows) = fixture.rows()? else {
        let Fixture::Sql(sql) = fixture else {
            unreachable!("rows() is None only for SQL")
        };
        return Ok(sql.trim().trim_end_matches(';').to_string());
    };
    for row in &rows {
        if let Some((unknown, _)) = row
            .iter()
            .find(|(k, _)| !columns.iter().any(|(c, _)| c == k))
        {
            return Err(FixtureError::UnknownColumn {
                unknown: unknown.clone(),
                what: what.to_string(),
                accepted: columns.iter().map(|(c, _)| c.clone()).collect(),
            });
        }
    }
    let chosen: Vec<&Column> = match only {
        Some(names) => names
            .iter()
            .filter_map(|n| columns.iter().find(|(c, _)| c == n))
            .collect(),
        None => columns.iter().collect(),
    };
    let select = |row: Option<&Row>| -> String {
        chosen
            .iter()
            .map(|(name, ty)| {
                let value = row
                    .and_then(|r| r.iter().find(|(k, _)| k == name))
                    .map(|(_, v)| literal(v))
                    .unwrap_or_else(|| "null".into());
                format!("cast({value} as {ty}) as {}", quote_ident(name))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if rows.is_empty() {
        return Ok(format!("select {} limit 0", select(None)));
    }
    Ok(rows
        .iter()
        .map(|row| format!("select {}", select(Some(row))))
        .collect::<Vec<_>>()
        .join("\nunion all\n"))
}

/// The columns the expected rows name (those of the first row), or `None` for all.
pub fn expected_columns(expect: &Fixture) -> Result<Option<Vec<String>>, FixtureError> {
    Ok(match expect.rows()? {
        Some(rows) => rows
            .first()
            .map(|r| r.iter().map(|(k, _)| k.clone()).collect()),
        None => None,
    })
}

/// The rows that differ between `actual` and `expected` as multisets, each marked
/// `actual` (only in the model's output) or `expected` (missing from it): none when
/// the test passes.
pub fn comparison_sql(actual: &str, expected: &str) -> String {
    format!(
        "with actual as (\n{actual}\n), expected as (\n{expected}\n)\n\
         select 'actual' as actual_or_expected, * from (select * from actual except all select * from expected) as only_actual\n\
         union all\n\
         select 'expected' as actual_or_expected, * from (select * from expected except all select * from actual) as only_expected"
    )
}

/// How many differing rows a failure message shows.
const SHOWN: usize = 20;

/// Runs a unit test's comparison: `None` when it passes, else the differing rows as
/// a small table (dbt prints a diff of the two sides).
pub fn differences(conn: &Connection, sql: &str) -> duckdb::Result<Option<String>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT COLUMNS(*)::VARCHAR FROM (\n{sql}\n) AS unit_test_diff ORDER BY ALL LIMIT {}",
        SHOWN + 1
    ))?;
    let mut rows_out: Vec<Vec<String>> = Vec::new();
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let width = row.as_ref().column_count();
        rows_out.push(
            (0..width)
                .map(|i| {
                    row.get::<_, Option<String>>(i)
                        .ok()
                        .flatten()
                        .unwrap_or_else(|| "NULL".into())
                })
                .collect(),
        );
    }
    if rows_out.is_empty() {
        return Ok(None);
    }
    let names = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
    let mut table = vec![names.join(" | ")];
    table.extend(rows_out.iter().take(SHOWN).map(|r| r.join(" | ")));
    if rows_out.len() > SHOWN {
        table.push("…".into());
    }
    Ok(Some(format!(
        "actual differs from expected (rows only in one side):\n{}",
        table.join("\n")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_files_are_found_in_subfolders_by_name_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("fixtures/orders")).unwrap();
        std::fs::write(dir.path().join("fixtures/orders/rows.csv"), "id\n1\n").unwrap();
        std::fs::write(dir.path().join("secret.csv"), "x\n").unwrap();
        let fixtures = vec![dir.path().join("fixtures")];
        let read = |name: &str| {
            Fixture::read(
                &serde_json::json!({"format": "csv", "fixture": name}),
                &fixtures,
                Path::new("models/t.yml"),
            )
        };
        assert_eq!(read("rows").unwrap(), Fixture::Csv("id\n1\n".into()));
        assert!(read("../secret").is_err());
    }

    #[test]
    fn inputs_are_named_as_dbt_names_their_ctes() {
        assert_eq!(
            input_name("ref('stg_orders')").as_deref(),
            Some("stg_orders")
        );
        assert_eq!(
            input_name("source('ecom', 'raw_stores')").as_deref(),
            Some("raw_stores")
        );
        assert_eq!(input_name("this"), None);
        assert_eq!(
            source_parts("source('ecom', \"raw_stores\")"),
            Some(("ecom".into(), "raw_stores".into()))
        );
    }

    #[test]
    fn fixture_rows_are_cast_to_the_relation_and_missing_columns_are_null() {
        let columns = vec![
            ("id".to_string(), "VARCHAR".to_string()),
            ("n".to_string(), "INTEGER".to_string()),
        ];
        let dict = Fixture::Dict(vec![
            serde_json::json!({"id": 1}).as_object().unwrap().clone(),
        ]);
        assert_eq!(
            fixture_sql(&dict, &columns, None, "t").unwrap(),
            "select cast(1 as VARCHAR) as \"id\", cast(null as INTEGER) as \"n\""
        );
        let csv = Fixture::Csv("id,n\na,\nb,2\n".into());
        assert_eq!(
            fixture_sql(&csv, &columns, Some(&["n".to_string()]), "t").unwrap(),
            "select cast(null as INTEGER) as \"n\"\nunion all\nselect cast('2' as INTEGER) as \"n\""
        );
        let wrong = Fixture::Dict(vec![
            serde_json::json!({"nope": 1}).as_object().unwrap().clone(),
        ]);
        assert!(
            fixture_sql(&wrong, &columns, None, "t")
                .unwrap_err()
                .to_string()
                .contains("'nope'")
        );
    }
}
