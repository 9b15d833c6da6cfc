//! The knobs of an ingest run (batch size, workers, size limit, shape, sheet, zone),
//! from their defaults and the configuration's `[ingest]`.

use super::mapping::ShapeChoice;

/// 4 GiB: past it a file is rejected (a gzip bomb, or one to split). Memory does not
/// depend on it: a file over 64 MiB is streamed in pieces.
pub const DEFAULT_MAX_INFLATED_BYTES: u64 = 4 << 30;

/// Knobs of a run.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Files are committed together until this many rows are pending.
    pub batch_rows: usize,
    /// Parser threads (the writer is one more).
    pub workers: usize,
    /// The most one file may hold once inflated; a larger one is rejected.
    pub max_inflated_bytes: u64,
    /// The preset or mapping asked for; detected from each file's header when empty.
    pub shape: ShapeChoice,
    /// The one sheet of workbooks to read (every sheet when `None`).
    pub sheet: Option<String>,
    /// The shop's zone: times with a UTC offset are stored as this zone's clock.
    pub timezone: chrono_tz::Tz,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            batch_rows: 300_000,
            workers: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(4),
            max_inflated_bytes: DEFAULT_MAX_INFLATED_BYTES,
            shape: ShapeChoice::default(),
            sheet: None,
            timezone: chrono_tz::UTC,
        }
    }
}
