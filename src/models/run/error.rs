//! Why one node failed: the sentence its result carries (`NodeResult::message`). A
//! failed node fails alone; the run goes on with what does not depend on it.

use crate::models::error::ModelError;
use crate::models::seeds::SeedError;
use crate::models::snapshots::SnapshotError;

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Rendering or compiling the node.
    #[error("{0}")]
    Model(#[from] ModelError),
    /// A statement of ecom's own (a transaction, a count).
    #[error("{0}")]
    Database(#[from] duckdb::Error),
    /// A statement of the node's SQL; `context` says which.
    #[error("{context}: {}\ncompiled SQL:\n{}", .source.to_string().trim(), .sql.trim())]
    Statement {
        context: String,
        sql: String,
        source: duckdb::Error,
    },
    #[error("unknown materialization `{0}` (ecom knows view, table, incremental, ephemeral)")]
    UnknownMaterialization(String),
    #[error("seed {name} failed: {source}")]
    Seed { name: String, source: SeedError },
    #[error("{0}")]
    Snapshot(#[from] SnapshotError),
    #[error("unit test {name} could not run: {source}")]
    UnitTest { name: String, source: duckdb::Error },
    #[error("test {name} could not run: {source}\ncompiled SQL:\n{}", .sql.trim())]
    Test {
        name: String,
        sql: String,
        source: duckdb::Error,
    },
    #[error("ecom failed on this node with an internal error ({0})")]
    Panic(String),
}

impl NodeError {
    /// A failed statement of the node's SQL.
    pub fn statement(context: impl Into<String>, sql: &str, source: duckdb::Error) -> Self {
        Self::Statement {
            context: context.into(),
            sql: sql.to_string(),
            source,
        }
    }
}
