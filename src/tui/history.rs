//! The query history file: one JSON string per line, appended as queries run, the
//! latest 500 read back at start so `[` and `]` reach earlier sessions' queries.

use std::path::Path;

/// The most recent queries of the history file (at most 500), oldest first.
pub fn load(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let queries: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    queries[queries.len().saturating_sub(500)..].to_vec()
}

pub fn append(path: &Path, sql: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(file, "{}", serde_json::to_string(sql).unwrap_or_default())
}
