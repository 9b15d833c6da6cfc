//! The tail's live figures ([`TailStatus`]) and the one place they are shared
//! ([`SharedStatus`]): the loop publishes them, the `--metrics-addr` exporter, the
//! workbench's Stream screen and `ecom serve`'s `/metrics` read them.

use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use serde::Serialize;

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

/// The status the loop publishes and the server reads.
pub type SharedStatus = Arc<Mutex<TailStatus>>;

/// One line of live status.
pub fn describe(status: &TailStatus) -> String {
    let lag = status
        .partitions
        .iter()
        .map(|p| {
            format!(
                "p{}:{}",
                p.partition,
                p.lag.map_or("?".into(), |l| l.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let watermark = status
        .partitions
        .iter()
        .filter_map(|p| p.watermark)
        .min()
        .map_or("-".to_string(), |w| w.format("%Y-%m-%d %H:%M").to_string());
    format!(
        "{:.0} ev/s, lag [{lag}], watermark {watermark}, {} windows, {} late, {} dead letters, {} duplicates{}",
        status.events_per_second,
        status.windows_emitted,
        status.late_events,
        status.dead_letters,
        status.duplicates,
        status
            .last_broker_error
            .as_ref()
            .map(|e| format!(", broker: {e}"))
            .unwrap_or_default()
    )
}
