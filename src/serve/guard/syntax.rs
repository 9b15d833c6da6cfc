//! The first look, at what DuckDB parsed (`json_serialize_sql`): one `SELECT`, no
//! table function but a few generators, no function that reads settings or changes
//! state, no `SHOW` of settings or of every schema, and no name of DuckDB's own catalog
//! views except `information_schema`, which [`super::catalog`] narrows to the served
//! schemas.
//!
//! Table names are not judged here: whether `x` is a CTE, a table or a file depends on
//! DuckDB's scoping, which only the binder knows. [`super::plan`] judges what it bound.

use duckdb::Connection;
use serde_json::{Map, Value};

use super::json::{self, first_line, objects, text};
use super::verdict::{CheckError, Refusal, SERVED_SCHEMAS};

/// Table functions that read nothing but their arguments.
pub(super) const GENERATORS: [&str; 4] =
    ["range", "generate_series", "unnest", "generate_subscripts"];

/// Scalar functions that read settings, the environment or catalog text, or change
/// the session's or the database's state.
const DENIED_FUNCTIONS: [&str; 14] = [
    "current_setting",
    "getenv",
    "nextval",
    "currval",
    "setval",
    "setseed",
    "which_secret",
    "pg_get_viewdef",
    "pg_get_constraintdef",
    "pg_get_expr",
    "obj_description",
    "col_description",
    "shobj_description",
    "current_schemas",
];

/// Prefixes of DuckDB's catalog views and functions (`duckdb_settings`,
/// `pragma_database_list`, `pg_tables`, `sqlite_master`, …).
const CATALOG_PREFIXES: [&str; 4] = ["duckdb_", "pragma_", "pg_", "sqlite_"];

/// What the syntax tree holds that the later steps need.
pub(super) struct Parsed {
    /// The whole `json_serialize_sql` document (one statement).
    pub document: Value,
    /// Whether it reads `information_schema` (to be narrowed before it runs).
    pub information_schema: bool,
    /// The queries of `DESCRIBE (query)` / `DESCRIBE table`: their plans are checked
    /// too, since a `DESCRIBE` plan scans nothing.
    pub described: Vec<Value>,
    /// `SHOW name`: a table to describe, or a setting.
    pub shown: Vec<String>,
}

/// Parses `sql` with DuckDB: a syntax error is the client's (400), a statement that is
/// not a `SELECT` is refused (403).
pub(super) fn parse(conn: &Connection, sql: &str) -> Result<Parsed, CheckError> {
    let document = json::serialized(conn, "json_serialize_sql", sql)?;
    if document["error"].as_bool() == Some(true) {
        let message = document["error_message"]
            .as_str()
            .unwrap_or("it does not parse");
        if document["error_type"].as_str() == Some("parser") {
            return Err(CheckError::Invalid(format!(
                "the SQL does not parse: {}",
                first_line(message)
            )));
        }
        return Err(Refusal::NotSelect.into());
    }
    let statements = document["statements"].as_array().map_or(0, Vec::len);
    match statements {
        0 => return Err(CheckError::Invalid("the SQL holds no statement".into())),
        1 => {}
        n => return Err(Refusal::Statements(n).into()),
    }
    let mut parsed = Parsed {
        document: Value::Null,
        information_schema: false,
        described: Vec::new(),
        shown: Vec::new(),
    };
    for node in objects(&document["statements"][0]) {
        match text(node, "type") {
            "TABLE_FUNCTION" => table_function(node)?,
            "FUNCTION" => function(node)?,
            "BASE_TABLE" => parsed.information_schema |= base_table(node)?,
            "SHOW_REF" => show(node, &mut parsed)?,
            _ => {}
        }
    }
    parsed.document = document;
    Ok(parsed)
}

fn table_function(node: &Map<String, Value>) -> Result<(), Refusal> {
    let name = node
        .get("function")
        .and_then(Value::as_object)
        .map(|f| text(f, "function_name"))
        .unwrap_or("")
        .to_lowercase();
    if GENERATORS.contains(&name.as_str()) {
        Ok(())
    } else {
        Err(Refusal::TableFunction(name))
    }
}

fn function(node: &Map<String, Value>) -> Result<(), Refusal> {
    let name = text(node, "function_name").to_lowercase();
    if DENIED_FUNCTIONS.contains(&name.as_str()) {
        return Err(Refusal::Function(name));
    }
    Ok(())
}

/// Refuses DuckDB's catalog views; says whether the name is `information_schema`'s.
fn base_table(node: &Map<String, Value>) -> Result<bool, Refusal> {
    let schema = text(node, "schema_name").to_lowercase();
    let name = text(node, "table_name").to_lowercase();
    if schema == "information_schema" {
        return Ok(true);
    }
    let served = SERVED_SCHEMAS.contains(&schema.as_str());
    if schema == "pg_catalog" || (!served && CATALOG_PREFIXES.iter().any(|p| name.starts_with(p))) {
        return Err(Refusal::Catalog(qualified(node)));
    }
    // A qualified name is never a CTE: one outside the served schemas is refused here,
    // before binding, so a bind error cannot tell a client which of its columns exist.
    if !schema.is_empty() && !served {
        return Err(Refusal::Relation(qualified(node)));
    }
    Ok(false)
}

/// `DESCRIBE`/`SUMMARIZE` of a query, `SHOW TABLES`, or `SHOW name`; every other
/// `SHOW` lists settings, databases or every schema.
fn show(node: &Map<String, Value>, parsed: &mut Parsed) -> Result<(), Refusal> {
    match text(node, "show_type") {
        "DESCRIBE" => {
            if let Some(query) = node.get("query").filter(|q| !q.is_null()) {
                parsed.described.push(query.clone());
            }
            Ok(())
        }
        "SUMMARY" => Ok(()),
        "SHOW" if !text(node, "table_name").is_empty() => {
            parsed.shown.push(qualified(node));
            Ok(())
        }
        "SHOW_SPECIAL" if text(node, "table_name").trim_matches('"') == "tables" => Ok(()),
        _ => Err(Refusal::Show),
    }
}

/// `catalog.schema.table` of a table reference, each part quoted for SQL.
fn qualified(node: &Map<String, Value>) -> String {
    ["catalog_name", "schema_name", "table_name"]
        .iter()
        .map(|key| text(node, key))
        .filter(|part| !part.is_empty())
        .map(|part| crate::warehouse::quote_ident(part.trim_matches('"')))
        .collect::<Vec<_>>()
        .join(".")
}
