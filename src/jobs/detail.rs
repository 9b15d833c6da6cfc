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
    /// Where the CPU time went since the first message.
    pub stages: TailStages,
}

/// The tail's CPU seconds by stage since its first message, so the next thing to make
/// faster is visible (`ecom --json tail`, scripts/bench.sh). The consuming thread polls,
/// decodes, windows and builds the batch's rows; the writer thread appends and commits
/// them and hands the resume points to Kafka; everything else (librdkafka's fetchers, DuckDB's
/// background work such as checkpoints) is `other_threads`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TailStages {
    /// Taking messages from librdkafka's queue (and the rebalances it runs).
    pub poll: f64,
    /// UTF-8, JSON and the checks that make a message an event or a dead letter.
    pub decode: f64,
    /// Deduplication, windows and watermarks, late events, the batch.
    pub window: f64,
    /// The rest of the consuming thread: sealing batches, the live figures.
    pub consumer_other: f64,
    /// Appending the accepted events to the batch's Arrow columns.
    pub rows: f64,
    /// DuckDB's appender (late events, dead letters, windows and offsets included).
    pub append: f64,
    /// The DuckDB transaction's commit (the WAL, and a checkpoint when one is due).
    pub commit: f64,
    /// Resume points to the checkpoint topic and the group's offsets.
    pub kafka_commit: f64,
    /// The rest of the writer thread: publishing windows, waiting for batches.
    pub writer_other: f64,
    pub other_threads: f64,
    pub total: f64,
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
