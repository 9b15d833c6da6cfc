//! Typed progress details: what a job reports beside `done`/`total`, so a build's
//! nodes, an export's files and the tail's live figures ride the same channel as every
//! other progress record and reach the CLI, the workbench and `serve` alike.

use serde::Serialize;

/// What one progress record says beyond its counters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "detail", rename_all = "snake_case")]
pub enum Detail {
    /// A node of a model build finished with `status` (dbt's words: success, pass,
    /// warn, error, fail, skipped).
    Node { name: String, status: String },
    /// A file was written (export) or read (ingest).
    File { path: String, rows: Option<u64> },
}
