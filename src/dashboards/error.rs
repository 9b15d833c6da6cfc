//! [`DashboardError`]: what can be wrong with a dashboard file or one of its panels, in
//! the sentences shown in place of the panels (file, line, what is wrong).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// The file is not valid TOML, or a field has the wrong type or name.
    #[error("{file} line {line}: {message}")]
    Syntax {
        file: String,
        line: usize,
        message: String,
    },
    /// The TOML is fine but the dashboard is not (a duplicate name, a bad width).
    #[error("{file} line {line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no dashboard is named `{name}` (there are: {known})")]
    NotFound { name: String, known: String },
    #[error("{} already exists: edit it, or pick another name", path.display())]
    Exists { path: PathBuf },
    #[error("`{0}` is not a dashboard name: use letters, digits, - and _")]
    BadName(String),
    /// A panel's query failed; `line` is the panel's in its file.
    #[error("panel `{panel}` (line {line}): {message}")]
    Panel {
        panel: String,
        line: usize,
        message: String,
    },
    /// A variable's choices or value are wrong.
    #[error("variable `{name}` (line {line}): {message}")]
    Variable {
        name: String,
        line: usize,
        message: String,
    },
    /// `--var KEY=VALUE` names no variable, or is not KEY=VALUE.
    #[error("--var {0}")]
    BadVar(String),
    #[error("cancelled")]
    Cancelled,
    #[error(transparent)]
    Db(#[from] duckdb::Error),
}

/// The 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
