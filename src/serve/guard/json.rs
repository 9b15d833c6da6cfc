//! DuckDB's syntax trees and plans as JSON, however deeply the query nests.
//!
//! A legitimate `a + b + … + z` of a few dozen terms already nests past serde_json's
//! default depth of 128, and DuckDB itself allows expressions 1,000 levels deep. So the
//! text is parsed without that limit on a stack that grows as needed, and the trees
//! are walked with an explicit stack, never by recursion.

use duckdb::Connection;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::verdict::CheckError;

/// DuckDB's JSON reading of `sql`: its syntax tree (`json_serialize_sql`) or its bound
/// plan (`json_serialize_plan`), whichever `function` names.
pub(super) fn serialized(
    conn: &Connection,
    function: &str,
    sql: &str,
) -> Result<Value, CheckError> {
    let text: String = conn.query_row(&format!("SELECT {function}(?::VARCHAR)"), [sql], |r| {
        r.get(0)
    })?;
    parse(&text).map_err(|e| CheckError::Internal(e.to_string()))
}

/// The SQL DuckDB writes back from a `json_serialize_sql` document.
pub(super) fn deserialized(conn: &Connection, document: &Value) -> Result<String, CheckError> {
    let sql: String = conn.query_row(
        "SELECT json_deserialize_sql(?::JSON)",
        [document.to_string()],
        |r| r.get(0),
    )?;
    Ok(sql)
}

/// Parses JSON of any depth.
pub(super) fn parse(text: &str) -> Result<Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.disable_recursion_limit();
    let value = Value::deserialize(serde_stacker::Deserializer::new(&mut deserializer))?;
    deserializer.end()?;
    Ok(value)
}

/// Every object in `root`, parents before children.
pub(super) fn objects(root: &Value) -> impl Iterator<Item = &Map<String, Value>> {
    let mut stack = vec![root];
    std::iter::from_fn(move || {
        while let Some(value) = stack.pop() {
            match value {
                Value::Array(items) => stack.extend(items.iter().rev()),
                Value::Object(map) => {
                    stack.extend(map.values().rev());
                    return Some(map);
                }
                _ => {}
            }
        }
        None
    })
}

/// A string field of `node`, `""` when absent.
pub(super) fn text<'a>(node: &'a Map<String, Value>, key: &str) -> &'a str {
    node.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The first line of a DuckDB message: what went wrong, without its suggestions (a
/// "Did you mean …" may name a table the route does not serve).
pub(super) fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_documents_parse_and_walk_without_recursion() {
        let depth = 50_000;
        let text = format!(
            "{}{{\"type\":\"x\"}}{}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let value = parse(&text).unwrap();
        assert_eq!(objects(&value).count(), 1);
        // Dropping a deep value recurses in serde_json; take it apart here instead.
        let mut stack = vec![value];
        while let Some(mut v) = stack.pop() {
            if let Value::Array(items) = &mut v {
                stack.append(items);
            }
        }
    }
}
