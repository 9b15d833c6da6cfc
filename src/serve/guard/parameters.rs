//! Queries with `$name` parameters (a dashboard's panels and variables), which DuckDB
//! cannot plan before their values are bound: the check looks at a stand-in with every
//! parameter replaced by `NULL`. A parameter stands for a value, never for a name, so
//! the stand-in scans exactly what the query will.

use duckdb::Connection;
use serde_json::Value;

use super::json;
use super::verdict::CheckError;

/// The SQL of `sql` with every parameter as `NULL`, or `None` when it has none (or does
/// not parse: the check itself says why).
pub(super) fn stand_in(conn: &Connection, sql: &str) -> Result<Option<String>, CheckError> {
    let mut document = json::serialized(conn, "json_serialize_sql", sql)?;
    if document["error"].as_bool() == Some(true) {
        return Ok(None);
    }
    let template = json::serialized(conn, "json_serialize_sql", "SELECT NULL")?;
    let null = &template["statements"][0]["node"]["select_list"][0];
    if null.is_null() {
        return Err(CheckError::Internal(
            "DuckDB serialized no NULL constant".into(),
        ));
    }
    let mut replaced = 0;
    let mut stack = vec![&mut document];
    while let Some(value) = stack.pop() {
        if value.get("class").and_then(Value::as_str) == Some("PARAMETER") {
            *value = null.clone();
            replaced += 1;
            continue;
        }
        match value {
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
    if replaced == 0 {
        return Ok(None);
    }
    if let Some(statements) = document["statements"].as_array_mut() {
        for statement in statements {
            statement["named_param_map"] = Value::Array(Vec::new());
        }
    }
    json::deserialized(conn, &document).map(Some)
}
