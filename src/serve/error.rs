//! [`ServeError`]: what can go wrong setting the server up or answering outside a
//! handler's own checks (the sandbox, the connection pool, writing an answer). Handlers
//! turn these into a [`super::problem::Problem`]; the CLI shows their sentences.

use std::path::PathBuf;

use duckdb::arrow::error::ArrowError;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("creating {}", dir.display())]
    CreateDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("resolving {}", dir.display())]
    Resolve {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--addr {addr}: cannot listen there")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Tokens(#[from] super::tokens::TokenError),
    #[error("locking the database's file access and settings")]
    Lock(#[source] duckdb::Error),
    /// The pool's turns were closed (the server is going away).
    #[error(transparent)]
    Closed(#[from] tokio::sync::AcquireError),
    /// A pooled call panicked or was cancelled.
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Db(#[from] duckdb::Error),
    #[error(transparent)]
    Arrow(#[from] ArrowError),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
