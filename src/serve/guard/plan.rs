//! The decisive look, at what DuckDB bound (`json_serialize_plan`): every scan in the
//! plan must be a table of this warehouse in a served schema, a generator, or one of
//! the catalog functions behind the narrowed `information_schema`; no operator may
//! write. Views are already expanded here, CTEs resolved in their own scopes, and a
//! name that DuckDB would turn into a file read shows up as that read (or fails to
//! bind), so no spelling of a query can hide what it reads.

use duckdb::Connection;
use serde_json::{Map, Value};

use super::json::{self, first_line, objects, text};
use super::syntax::GENERATORS;
use super::verdict::{CheckError, Refusal, SERVED_SCHEMAS};

/// Catalog functions that `information_schema`'s views and `SHOW TABLES` scan. The
/// syntax check refuses naming them directly, so they appear in a plan only through
/// those views, which [`super::catalog`] has narrowed to the served schemas.
const CATALOG_FUNCTIONS: [&str; 5] = [
    "duckdb_tables",
    "duckdb_views",
    "duckdb_columns",
    "duckdb_schemas",
    "duckdb_constraints",
];

/// Operators that change data: DML inside a CTE is the one way a `SELECT` gets them.
const WRITES: [&str; 4] = [
    "LOGICAL_INSERT",
    "LOGICAL_DELETE",
    "LOGICAL_UPDATE",
    "LOGICAL_MERGE_INTO",
];

/// Binds `sql` and checks every operator of its plan. `database` is the warehouse's
/// catalog name.
pub(super) fn check(conn: &Connection, sql: &str, database: &str) -> Result<(), CheckError> {
    let document = json::serialized(conn, "json_serialize_plan", sql)?;
    if document["error"].as_bool() == Some(true) {
        return Err(plan_error(&document));
    }
    for node in objects(&document["plans"]) {
        let kind = text(node, "type");
        if WRITES.contains(&kind) || kind.starts_with("LOGICAL_CREATE") {
            return Err(Refusal::Writes.into());
        }
        if kind == "LOGICAL_GET" {
            scan(node, database)?;
        }
    }
    Ok(())
}

/// One scan: a served table of this warehouse, a generator or a catalog function.
fn scan(node: &Map<String, Value>, database: &str) -> Result<(), Refusal> {
    let function = node
        .get("qname")
        .and_then(|q| q.get("path"))
        .and_then(Value::as_array)
        .and_then(|path| path.last())
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_lowercase();
    if function == "seq_scan" {
        let table = node
            .get("function_data")
            .and_then(Value::as_object)
            .ok_or_else(|| Refusal::Uncheckable("a table scan without its table".into()))?;
        let (catalog, schema) = (text(table, "catalog"), text(table, "schema"));
        if catalog == database && SERVED_SCHEMAS.contains(&schema) {
            return Ok(());
        }
        return Err(Refusal::Relation(format!(
            "{catalog}.{schema}.{}",
            text(table, "table")
        )));
    }
    if GENERATORS.contains(&function.as_str()) || CATALOG_FUNCTIONS.contains(&function.as_str()) {
        return Ok(());
    }
    Err(Refusal::TableFunction(function))
}

/// Why DuckDB could not bind or plan the query: the client's SQL (400), a file or
/// function it may not use (403), or DuckDB itself (500).
fn plan_error(document: &Value) -> CheckError {
    let kind = document["error_type"].as_str().unwrap_or("").to_lowercase();
    let message = first_line(
        document["error_message"]
            .as_str()
            .unwrap_or("it does not bind"),
    );
    match kind.as_str() {
        "permission" | "io" | "http" | "missing extension" | "autoload" => Refusal::Files.into(),
        // A plan DuckDB cannot serialize holds an operator or function this check
        // cannot see into (a file reader's bind data, a dynamic PIVOT): refuse it.
        "not implemented" => Refusal::Uncheckable(message).into(),
        "invalid input" if message.contains("serializ") => Refusal::Uncheckable(message).into(),
        "internal" | "fatal" => CheckError::Internal(message),
        _ => CheckError::Invalid(format!("the query does not bind: {message}")),
    }
}
