//! What an ingest run reports: how each source ended and the run's totals (printed by
//! `ecom ingest`, serialised by `--json`, shown by the workbench).

use std::time::Duration;

use serde::Serialize;

use super::dialect::{Encoding, TimestampFormat};
use super::formats::Format;

/// How one source ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Loaded,
    /// Its content was loaded before (or earlier in this run): nothing added.
    Duplicate,
    /// Not this data at all; nothing loaded from it.
    Rejected,
}

/// What happened to one source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileReport {
    pub source: String,
    pub status: FileStatus,
    pub rows: u64,
    pub quarantined: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// The preset or mapping that read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// How its InvoiceDate values were read, decided once for the whole file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp_format: Option<TimestampFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The result of an ingest run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestSummary {
    pub ingest_id: i64,
    pub files_loaded: u64,
    pub files_duplicate: u64,
    pub files_rejected: u64,
    pub rows_loaded: u64,
    pub rows_quarantined: u64,
    pub cancelled: bool,
    pub elapsed_seconds: f64,
    pub files: Vec<FileReport>,
}

impl IngestSummary {
    /// Lines read from files that were loaded in this run (rows plus quarantined).
    pub fn lines_read(&self) -> u64 {
        self.rows_loaded + self.rows_quarantined
    }
}

/// Elapsed time as seconds, rounded to milliseconds, for summaries.
pub(super) fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}
