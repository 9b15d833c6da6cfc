//! What `POST /api/v1/query` may run: one `SELECT` over the warehouse's own tables and
//! views, nothing that reads files or the network, nothing that writes.
//!
//! The check is made on what DuckDB itself parsed, not on words in the text: DuckDB's
//! `json_serialize_sql` turns the request into its syntax tree, and refuses anything
//! that is not a `SELECT` (writes, DDL, `COPY`, `ATTACH`, `INSTALL`/`LOAD`, `SET`,
//! `PRAGMA`, `CALL`, …). The whole tree is then walked, CTEs and subqueries included:
//! every table function must be one of a few that read nothing (`range`, …), and every
//! table name must be a table or view of the warehouse (or a CTE), which rules out
//! DuckDB's replacement scans (`FROM '/etc/passwd'`, `FROM 'https://…'`). The query
//! then runs in a `READ ONLY` transaction, so DuckDB refuses any write that got this far.

use std::collections::HashSet;

use duckdb::Connection;
use serde_json::Value;

/// Table functions that read nothing outside the query.
const HARMLESS_TABLE_FUNCTIONS: [&str; 4] =
    ["range", "generate_series", "unnest", "generate_subscripts"];

/// Why a query was refused, in a sentence for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("send one SELECT statement per request; this request holds {0}")]
    Statements(usize),
    #[error("only a SELECT can run here: {0}")]
    NotSelect(String),
    #[error(
        "the table function `{0}` is not allowed here: the query route reads the \
         warehouse's tables and views only (range, generate_series and unnest are allowed)"
    )]
    TableFunction(String),
    #[error(
        "`{0}` is not a table or view of the warehouse (files and URLs cannot be read \
         here); GET /api/v1/tables lists what can be queried"
    )]
    UnknownRelation(String),
    #[error("the function `{0}` changes state and is not allowed here")]
    Function(String),
}

/// Scalar functions that change the database or session state.
const STATEFUL_FUNCTIONS: [&str; 3] = ["nextval", "setseed", "setval"];

/// Checks `sql` against the rules above: [`CheckError::Refused`] is the client's
/// fault, [`CheckError::Internal`] the database failing to answer.
pub fn check(conn: &Connection, sql: &str) -> Result<(), CheckError> {
    let text: String =
        conn.query_row("SELECT json_serialize_sql(?::VARCHAR)", [sql], |r| r.get(0))?;
    let tree: Value =
        serde_json::from_str(&text).map_err(|e| CheckError::Internal(e.to_string()))?;
    if tree["error"].as_bool() == Some(true) {
        let message = tree["error_message"].as_str().unwrap_or("not a SELECT");
        let message = if message.contains("Only SELECT statements") {
            "this statement does not read, it changes something or the session".to_string()
        } else {
            message.lines().next().unwrap_or(message).to_string()
        };
        return Err(Refusal::NotSelect(message).into());
    }
    let statements = tree["statements"].as_array().map(Vec::len).unwrap_or(0);
    if statements != 1 {
        return Err(Refusal::Statements(statements).into());
    }
    let mut found = Found::default();
    walk(&tree["statements"][0], &mut found)?;
    let known = relations(conn)?;
    for (catalog, schema, name) in &found.tables {
        let is_cte =
            catalog.is_empty() && schema.is_empty() && found.ctes.contains(&name.to_lowercase());
        let exists = known.iter().any(|(c, s, n)| {
            n.eq_ignore_ascii_case(name)
                && (schema.is_empty() || s.eq_ignore_ascii_case(schema))
                && (catalog.is_empty() || c.eq_ignore_ascii_case(catalog))
        });
        if !is_cte && !exists {
            let shown = [catalog, schema, name]
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(".");
            return Err(Refusal::UnknownRelation(shown).into());
        }
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("{0}")]
    Internal(String),
}

impl From<duckdb::Error> for CheckError {
    fn from(e: duckdb::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

#[derive(Default)]
struct Found {
    tables: Vec<(String, String, String)>,
    ctes: HashSet<String>,
}

fn walk(node: &Value, found: &mut Found) -> Result<(), Refusal> {
    match node {
        Value::Array(items) => items.iter().try_for_each(|item| walk(item, found)),
        Value::Object(map) => {
            let kind = map.get("type").and_then(Value::as_str).unwrap_or("");
            match kind {
                "TABLE_FUNCTION" => {
                    let name = map
                        .get("function")
                        .and_then(|f| f.get("function_name"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_lowercase();
                    if !HARMLESS_TABLE_FUNCTIONS.contains(&name.as_str()) {
                        return Err(Refusal::TableFunction(name));
                    }
                }
                "BASE_TABLE" => {
                    let field = |key: &str| {
                        map.get(key)
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string()
                    };
                    found.tables.push((
                        field("catalog_name"),
                        field("schema_name"),
                        field("table_name"),
                    ));
                }
                "FUNCTION" => {
                    let name = map
                        .get("function_name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_lowercase();
                    if STATEFUL_FUNCTIONS.contains(&name.as_str()) {
                        return Err(Refusal::Function(name));
                    }
                }
                _ => {}
            }
            if let Some(ctes) = map
                .get("cte_map")
                .and_then(|m| m.get("map"))
                .and_then(Value::as_array)
            {
                found.ctes.extend(
                    ctes.iter()
                        .filter_map(|c| c.get("key").and_then(Value::as_str))
                        .map(str::to_lowercase),
                );
            }
            map.values().try_for_each(|value| walk(value, found))
        }
        _ => Ok(()),
    }
}

/// Every table and view DuckDB knows: the warehouse's, plus the system views
/// (`information_schema`, `pg_catalog`) that describe it.
fn relations(conn: &Connection) -> Result<Vec<(String, String, String)>, duckdb::Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT database_name, schema_name, table_name FROM duckdb_tables() \
         UNION ALL SELECT database_name, schema_name, view_name FROM duckdb_views()",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(conn: &Connection, sql: &str) -> Option<Refusal> {
        match check(conn, sql) {
            Ok(()) => None,
            Err(CheckError::Refused(r)) => Some(r),
            Err(CheckError::Internal(e)) => panic!("{sql}: {e}"),
        }
    }

    #[test]
    fn reads_of_tables_pass_and_everything_else_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE SCHEMA raw; CREATE TABLE raw.t (x INT); CREATE VIEW v AS SELECT 1 AS y",
        )
        .unwrap();
        for ok in [
            "SELECT * FROM raw.t",
            "with c as (select x from raw.t) select * from c join v on true",
            "SELECT * FROM range(3)",
            "SELECT count(*) FROM information_schema.tables",
            "FROM raw.t",
        ] {
            assert_eq!(refusal(&conn, ok), None, "{ok}");
        }
        let cases = [
            ("DROP TABLE raw.t", "only a SELECT"),
            ("INSERT INTO raw.t VALUES (1)", "only a SELECT"),
            ("SELECT 1; DROP TABLE raw.t", "only a SELECT"),
            ("SELECT 1; SELECT 2", "one SELECT"),
            ("COPY raw.t TO '/tmp/x.csv'", "only a SELECT"),
            ("ATTACH '/tmp/x.duckdb'", "only a SELECT"),
            ("INSTALL httpfs", "only a SELECT"),
            ("LOAD httpfs", "only a SELECT"),
            ("SET threads = 1", "only a SELECT"),
            ("PRAGMA version", "only a SELECT"),
            ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
            ("SELECT * FROM '/etc/passwd'", "/etc/passwd"),
            (
                "WITH x AS (SELECT * FROM glob('/*')) SELECT * FROM x",
                "glob",
            ),
            (
                "SELECT * FROM raw.t WHERE x IN (SELECT 1 FROM read_parquet('a.parquet'))",
                "read_parquet",
            ),
            ("SELECT nextval('s')", "nextval"),
            ("SELECT * FROM nowhere", "nowhere"),
        ];
        for (sql, says) in cases {
            let refused = refusal(&conn, sql).unwrap_or_else(|| panic!("{sql} passed"));
            assert!(refused.to_string().contains(says), "{sql}: {refused}");
        }
    }
}
