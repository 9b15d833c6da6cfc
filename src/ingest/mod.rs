//! `ecom ingest`: loading any shop's order lines into `raw.order_lines`.
//!
//! The UCI CSV is parsed line by line ([`parse`]); every other shape and format (Excel,
//! Parquet, JSON, Shopify, WooCommerce, a user's mapping) is read into a text table
//! ([`formats`]) and mapped by [`engine`]. Both give the same Arrow rows.
//!
//! Files are read, decoded and parsed on worker threads into Arrow batches; one writer
//! appends them to the warehouse. Each file's rows, its rejected lines and its record
//! in `meta.ingested_files` (keyed by a hash of its content) commit in the same
//! transaction, several files per transaction. So a file loads exactly once: a re-run
//! skips what is recorded, and a run killed mid-way lost only uncommitted work.

mod customers;
pub mod dialect;
mod engine;
mod error;
pub mod formats;
mod large;
pub mod mapping;
pub mod mapping_error;
mod options;
pub mod parse;
mod prepare;
mod quarantine;
pub mod read_error;
pub mod rejection;
mod report;
pub mod row_error;
mod rows;
pub mod sources;
pub mod suggest;
pub mod values;
mod writer;

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Instant;

use duckdb::Connection;

use crate::jobs::{CancelToken, Progress, ProgressSink, Unit};
pub use error::IngestError;
pub use options::{DEFAULT_MAX_INFLATED_BYTES, IngestOptions};
use prepare::{Prepared, prepare_guarded};
pub use prepare::{Read, read_bytes};
pub use quarantine::quarantine_cause;
pub use report::{FileReport, FileStatus, IngestSummary};
pub use sources::{Source, SourceKind, expand};

/// Loads `sources` into the warehouse. Bad rows are quarantined and bad files rejected;
/// neither stops the run. Cancelling commits what is parsed and stops.
pub fn ingest(
    conn: &Connection,
    sources: Vec<Source>,
    options: &IngestOptions,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<IngestSummary, IngestError> {
    if sources.is_empty() {
        return Err(IngestError::NoSources);
    }
    let started = Instant::now();
    let mut writer = writer::Writer::begin(conn, options.batch_rows)?;
    let ingest_id = writer.ingest_id();
    tracing::info!(ingest_id, files = sources.len(), "ingest started");
    let total_bytes: u64 = sources.iter().map(|s| s.size).sum();
    let file_count = sources.len() as u64;
    let known = writer.known_hashes()?;
    let queue = Mutex::new(sources.into_iter());
    let (tx, rx) = mpsc::sync_channel::<Prepared>(options.workers * 2);
    let result = std::thread::scope(|scope| {
        for _ in 0..options.workers.max(1) {
            let tx = tx.clone();
            let (queue, known) = (&queue, &known);
            scope.spawn(move || {
                while !cancel.is_cancelled() {
                    let next = queue.lock().map(|mut q| q.next()).ok().flatten();
                    let Some(source) = next else { break };
                    let prepared = prepare_guarded(source, known, ingest_id, options);
                    if tx.send(prepared).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut bytes_done = 0;
        let mut seen: HashSet<String> = HashSet::new();
        for prepared in rx {
            bytes_done += match &prepared {
                Prepared::Parsed { source, .. }
                | Prepared::Duplicate { source }
                | Prepared::Large { source, .. }
                | Prepared::Rejected { source, .. } => source.size,
            };
            writer.accept(prepared, &mut seen, cancel)?;
            let files_done = writer.reports().len() as u64;
            progress.report(
                Progress::new("ingest", bytes_done, Some(total_bytes), Unit::Bytes).with_message(
                    format!(
                        "{files_done}/{file_count} files, {} rows, {} quarantined",
                        crate::format::thousands(writer.rows_loaded()),
                        crate::format::thousands(writer.rows_quarantined())
                    ),
                ),
            );
        }
        writer.flush()
    });
    if let Err(e) = result {
        writer.abandon();
        return Err(e);
    }
    let summary = writer.finish(cancel.is_cancelled(), started.elapsed())?;
    tracing::info!(
        ingest_id,
        rows = summary.rows_loaded,
        quarantined = summary.rows_quarantined,
        "ingest finished"
    );
    Ok(summary)
}
