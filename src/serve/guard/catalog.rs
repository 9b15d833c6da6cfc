//! `information_schema`, narrowed to what the route serves: each reference to one of
//! its views becomes a subquery of that view filtered to this warehouse's served
//! schemas, written into DuckDB's own syntax tree and turned back into SQL by DuckDB
//! (`json_deserialize_sql`). A client listing tables or columns this way sees the
//! analytics schemas and never `meta`.

use duckdb::Connection;
use serde_json::Value;

use super::json::{self, text};
use super::verdict::{CheckError, Refusal, SERVED_SCHEMAS};
use crate::warehouse::{quote_ident, quote_literal};

/// The views of `information_schema` and the columns naming each row's catalog and
/// schema (none for `character_sets`, which lists no object of any schema).
const VIEWS: [(&str, &str, &str); 11] = [
    ("character_sets", "", ""),
    ("tables", "table_catalog", "table_schema"),
    ("columns", "table_catalog", "table_schema"),
    ("views", "table_catalog", "table_schema"),
    ("schemata", "catalog_name", "schema_name"),
    ("table_constraints", "table_catalog", "table_schema"),
    ("key_column_usage", "table_catalog", "table_schema"),
    ("constraint_column_usage", "table_catalog", "table_schema"),
    ("constraint_table_usage", "table_catalog", "table_schema"),
    (
        "referential_constraints",
        "constraint_catalog",
        "constraint_schema",
    ),
    (
        "check_constraints",
        "constraint_catalog",
        "constraint_schema",
    ),
];

/// The SQL of `document` (one parsed statement) with every `information_schema` view
/// replaced by its narrowed subquery.
pub(super) fn narrow(conn: &Connection, mut document: Value) -> Result<String, CheckError> {
    let mut stack = vec![&mut document];
    while let Some(value) = stack.pop() {
        if is_information_schema(value) {
            *value = narrowed(conn, value)?;
            continue;
        }
        match value {
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
    json::deserialized(conn, &document)
}

fn is_information_schema(value: &Value) -> bool {
    value.as_object().is_some_and(|node| {
        text(node, "type") == "BASE_TABLE"
            && text(node, "schema_name").eq_ignore_ascii_case("information_schema")
    })
}

/// The subquery node that stands for one `information_schema` view, under the
/// reference's alias (or the view's name) so the query's column references still bind.
fn narrowed(conn: &Connection, reference: &Value) -> Result<Value, CheckError> {
    let name = reference["table_name"]
        .as_str()
        .unwrap_or("")
        .to_lowercase();
    let (view, catalog, schema) = VIEWS
        .iter()
        .find(|(view, _, _)| *view == name)
        .ok_or_else(|| Refusal::Catalog(format!("information_schema.{name}")))?;
    let alias = match reference["alias"].as_str() {
        Some(alias) if !alias.is_empty() => alias.to_string(),
        _ => name.clone(),
    };
    let served = SERVED_SCHEMAS
        .iter()
        .map(|s| quote_literal(s))
        .collect::<Vec<_>>()
        .join(", ");
    let filter = if catalog.is_empty() {
        String::new()
    } else {
        format!(
            " WHERE {} = current_database() AND {} IN ({served})",
            quote_ident(catalog),
            quote_ident(schema)
        )
    };
    let sql = format!(
        "SELECT * FROM (SELECT * FROM information_schema.{}{filter}) AS {}",
        quote_ident(view),
        quote_ident(&alias),
    );
    let mut template = json::serialized(conn, "json_serialize_sql", &sql)?;
    let mut subquery = template["statements"][0]["node"]["from_table"].take();
    if subquery.is_null() {
        return Err(CheckError::Internal(format!(
            "DuckDB serialized no subquery for information_schema.{view}"
        )));
    }
    // `FROM information_schema.tables AS t(a, b)` keeps its column aliases.
    if let Some(aliases) = reference.get("column_name_alias").filter(|a| !a.is_null()) {
        subquery["column_name_alias"] = aliases.clone();
    }
    Ok(subquery)
}
