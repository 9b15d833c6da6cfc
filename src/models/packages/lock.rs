//! `package-lock.yml`: the git revisions `deps` pinned, under dbt's `sha1_hash` of the
//! package list (the same hash dbt computes, so either tool reads the other's lock).

use std::path::Path;

use serde_json::{Map, Value};

use super::spec::Spec;
use crate::models::error::ModelError;

/// dbt's `sha1_hash` of a package list: SHA-1 of the sorted JSON of each entry.
pub fn lock_hash(specs: &[Spec]) -> String {
    use sha1::Digest;
    let mut lines: Vec<String> = specs.iter().map(|s| python_json(&s.hash_entry())).collect();
    lines.sort();
    let digest = sha1::Sha1::digest(lines.join("\n").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// JSON as Python's `json.dumps(value, sort_keys=True)` writes it (ASCII only,
/// `", "` and `": "` separators), which is what dbt hashes.
fn python_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}: {}", python_string(k), python_json(&map[k])))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(python_json).collect::<Vec<_>>().join(", ")
        ),
        Value::String(s) => python_string(s),
        Value::Bool(true) => "true".into(),
        Value::Bool(false) => "false".into(),
        Value::Null => "null".into(),
        Value::Number(n) => n.to_string(),
    }
}

fn python_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The lock's entries, when its hash says it was written for these packages.
pub fn read_lock(path: &Path, hash: &str) -> Option<Vec<Map<String, Value>>> {
    let text = std::fs::read_to_string(path).ok()?;
    let doc: Value = serde_norway::from_str(&text).ok()?;
    if doc.get("sha1_hash").and_then(Value::as_str) != Some(hash) {
        return None;
    }
    doc.get("packages")?
        .as_array()?
        .iter()
        .map(|e| e.as_object().cloned())
        .collect()
}

pub fn write_lock(
    path: &Path,
    entries: &[Map<String, Value>],
    hash: &str,
) -> Result<(), ModelError> {
    let doc = serde_json::json!({ "packages": entries, "sha1_hash": hash });
    let text =
        serde_norway::to_string(&doc).map_err(|e| ModelError::project(path, e.to_string()))?;
    std::fs::write(path, text)
        .map_err(|e| ModelError::project(path, format!("cannot write it: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash dbt 1.9 wrote for this packages.yml (`dbt deps`, recorded).
    #[test]
    fn the_lock_hash_is_dbts() {
        let specs = vec![
            Spec::Local {
                path: "../pkg_local".into(),
                raw: serde_json::json!({"local": "../pkg_local"})
                    .as_object()
                    .unwrap()
                    .clone(),
            },
            Spec::Git {
                url: "file:///tmp/depsx/pkg_git".into(),
                revision: Some("v1.0".into()),
                subdirectory: None,
                raw: serde_json::json!({"git": "file:///tmp/depsx/pkg_git", "revision": "v1.0"})
                    .as_object()
                    .unwrap()
                    .clone(),
            },
        ];
        assert_eq!(
            lock_hash(&specs),
            "88e1d5a70961a895488630c17d1ff0dad6ec9f9d"
        );
    }

    #[test]
    fn python_json_escapes_as_python_does() {
        assert_eq!(
            python_json(&serde_json::json!({"b": [1, null], "a": "é\""})),
            r#"{"a": "\u00e9\"", "b": [1, null]}"#
        );
    }
}
