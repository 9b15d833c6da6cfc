//! Reading the project's files: YAML documents and the values in them, and the files
//! of a folder.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::models::error::ModelError;

pub fn read_yaml(path: &Path) -> Result<Value, ModelError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ModelError::project(path, format!("cannot read it: {e}")))?;
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_norway::from_str(&text).map_err(|e| ModelError::project(path, e.to_string()))
}

pub fn string_list(value: Option<&Value>, default: &str) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![default.to_string()],
    }
}

/// Files under `dir` with one of `extensions`, sorted, as paths relative to `root`.
pub fn files_under(root: &Path, dir: &str, extensions: &[&str]) -> Vec<PathBuf> {
    fn walk(path: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for entry in entries {
            if entry.is_dir() {
                walk(&entry, extensions, out);
            } else if entry
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
            {
                out.push(entry);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root.join(dir), extensions, &mut out);
    out.into_iter()
        .filter_map(|p| p.strip_prefix(root).ok().map(Path::to_path_buf))
        .collect()
}

/// The items of a list under `key` (none when absent or not a list).
pub fn list<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The text under `key`, when it is text.
pub fn text_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}
