//! JSON lines (one object per line) or a single array of objects. Keys become columns
//! in order of first appearance; nested values are kept as JSON text.

use serde_json::{Map, Value};

use super::table::{MAX_COLUMNS, TextRow, TextTable, cell};
use crate::ingest::parse::Rejected;
use crate::ingest::read_error::ReadError;
use crate::ingest::row_error::RowError;

pub fn read(text: &str) -> Result<TextTable, ReadError> {
    let mut table = TextTable {
        parts: vec![String::new()],
        ..TextTable::default()
    };
    if text.trim_start().starts_with('[') {
        let values: Vec<Value> = serde_json::from_str(text).map_err(ReadError::JsonArray)?;
        for (i, value) in values.into_iter().enumerate() {
            add(&mut table, i as u64 + 1, value, String::new);
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let number = i as u64 + 1;
            match serde_json::from_str::<Value>(line) {
                Ok(value) => add(&mut table, number, value, || line.to_string()),
                Err(e) => table.rejected.push(Rejected {
                    part: None,
                    line: number,
                    raw: line.chars().take(4096).collect(),
                    reason: RowError::NotJson(e.to_string()).to_string(),
                }),
            }
        }
    }
    if table.columns.is_empty() {
        return Err(ReadError::NoJsonObject);
    }
    let width = table.columns.len();
    for row in &mut table.rows {
        row.cells.resize(width, None);
    }
    Ok(table)
}

fn add(table: &mut TextTable, line: u64, value: Value, raw: impl Fn() -> String) {
    let Value::Object(object) = value else {
        table.rejected.push(Rejected {
            part: None,
            line,
            raw: raw(),
            reason: RowError::NotAnObject.to_string(),
        });
        return;
    };
    let new_keys = object
        .keys()
        .filter(|k| !table.columns.iter().any(|c| c == *k))
        .count();
    if table.columns.len() + new_keys > MAX_COLUMNS {
        table.rejected.push(Rejected {
            part: None,
            line,
            raw: raw().chars().take(4096).collect(),
            reason: RowError::TooManyKeys(MAX_COLUMNS).to_string(),
        });
        return;
    }
    let cells = cells(table, object);
    table.rows.push(TextRow {
        part: 0,
        line,
        cells,
    });
}

/// The object's values in column order, adding columns for keys not seen before.
fn cells(table: &mut TextTable, object: Map<String, Value>) -> Vec<Option<String>> {
    let mut cells = vec![None; table.columns.len()];
    for (key, value) in object {
        let index = match table.columns.iter().position(|c| *c == key) {
            Some(i) => i,
            None => {
                table.columns.push(key);
                cells.push(None);
                table.columns.len() - 1
            }
        };
        cells[index] = match value {
            Value::Null => None,
            Value::String(s) => cell(&s),
            other => Some(other.to_string()),
        };
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_arrays_with_keys_in_any_order() {
        let t = read("{\"a\":1,\"b\":\"x\"}\n\nnot json\n{\"b\":null,\"c\":[1,2],\"a\":2.5}\n7\n")
            .unwrap();
        assert_eq!(t.columns, vec!["a", "b", "c"]);
        assert_eq!(t.rows[1].line, 4);
        assert_eq!(
            t.rows[1].cells,
            vec![Some("2.5".into()), None, Some("[1,2]".into())]
        );
        assert_eq!(t.rows[0].cells[2], None);
        let lines: Vec<u64> = t.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 5]);
        let t = read("[{\"a\": \"1\"}, {\"a\": \"2\"}]").unwrap();
        assert_eq!(t.rows.len(), 2);
    }
}
