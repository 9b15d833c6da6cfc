//! The runner's error: a problem with a project or a run, phrased for the user with
//! its file and line where there is one.

use std::path::PathBuf;

/// A problem with a project or a run, phrased for the user with its file and line.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: {message}")]
    Project { path: PathBuf, message: String },
    #[error("{path}:{line}: {message}")]
    Jinja {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Graph(String),
    #[error("{0}")]
    Selector(String),
    #[error("{0}")]
    Warehouse(#[from] crate::warehouse::WarehouseError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl ModelError {
    pub fn project(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Project {
            path: path.into(),
            message: message.into(),
        }
    }
}
