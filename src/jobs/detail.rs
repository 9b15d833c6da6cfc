//! Typed progress details: what a job reports beside `done`/`total`, so a build's
//! nodes, an export's files and the tail's live figures ride the same channel as every
//! other progress record and reach the CLI, the workbench and `serve` alike.

use chrono::NaiveDateTime;
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
    /// The tail's live figures, published twice a second.
    Tail(Box<TailStatus>),
}

/// Live figures, for the terminal, the workbench and `--metrics-addr`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TailStatus {
    pub messages: u64,
    pub events: u64,
    pub duplicates: u64,
    pub late_events: u64,
    pub dead_letters: u64,
    pub windows_emitted: u64,
    /// Warehouse transactions committed (each a batch of messages with its offsets).
    pub batches_committed: u64,
    pub replayed: u64,
    pub events_per_second: f64,
    /// Per partition: (partition, lag, watermark).
    pub partitions: Vec<PartitionStatus>,
    pub broker_errors: u64,
    pub last_broker_error: Option<String>,
    pub rebalances: u64,
    /// From the first message to the end of the last commit: the time the work took,
    /// without the group join or the idle wait.
    pub active_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionStatus {
    pub partition: i32,
    pub next_offset: i64,
    /// From the high watermark of the fetch responses (librdkafka's statistics), never
    /// from a ListOffsets query.
    pub lag: Option<i64>,
    pub watermark: Option<NaiveDateTime>,
}
