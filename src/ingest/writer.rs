//! The single writer of an ingest run: appends parsed files to the warehouse and commits
//! rows, quarantined lines and file records together.

use std::collections::HashSet;
use std::time::Duration;

use duckdb::Connection;

use super::error::IngestError;
use super::large::{self, NotLoaded};
use super::prepare::Prepared;
use super::quarantine::append_quarantined;
use super::report::{FileReport, FileStatus, IngestSummary, seconds};
use crate::jobs::CancelToken;

/// A parsed file waiting for the next commit (its report says the rest).
struct Pending {
    report_index: usize,
    hash: String,
    file: super::parse::ParsedFile,
    size: u64,
}

pub(super) struct Writer<'c> {
    conn: &'c Connection,
    ingest_id: i64,
    batch_rows: usize,
    pending: Vec<Pending>,
    pending_rows: usize,
    reports: Vec<FileReport>,
}

impl<'c> Writer<'c> {
    /// Records the start of a run in `meta.ingests` (committed at once, so a killed run
    /// is visible as `running` with no finish time).
    pub fn begin(conn: &'c Connection, batch_rows: usize) -> Result<Self, IngestError> {
        let ingest_id: i64 = conn.query_row(
            "INSERT INTO meta.ingests (ingest_id, started_at, status, ecom_version)
             VALUES (nextval('meta.ingest_id_seq'), now()::TIMESTAMP, 'running', ?)
             RETURNING ingest_id",
            [crate::VERSION],
            |r| r.get(0),
        )?;
        Ok(Self {
            conn,
            ingest_id,
            batch_rows,
            pending: Vec::new(),
            pending_rows: 0,
            reports: Vec::new(),
        })
    }

    pub fn ingest_id(&self) -> i64 {
        self.ingest_id
    }

    pub fn reports(&self) -> &[FileReport] {
        &self.reports
    }

    /// Content hashes of every file loaded before this run.
    pub fn known_hashes(&self) -> Result<HashSet<String>, IngestError> {
        let mut stmt = self
            .conn
            .prepare("SELECT content_hash FROM meta.ingested_files")?;
        let hashes = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(hashes.collect::<Result<_, _>>()?)
    }

    fn count(&self, status: FileStatus, f: impl Fn(&FileReport) -> u64) -> u64 {
        self.reports
            .iter()
            .filter(|r| r.status == status)
            .map(f)
            .sum()
    }

    pub fn rows_loaded(&self) -> u64 {
        self.count(FileStatus::Loaded, |r| r.rows)
    }

    pub fn rows_quarantined(&self) -> u64 {
        self.count(FileStatus::Loaded, |r| r.quarantined)
    }

    /// Takes one prepared source; commits when enough rows are pending.
    pub fn accept(
        &mut self,
        prepared: Prepared,
        seen: &mut HashSet<String>,
        cancel: &CancelToken,
    ) -> Result<(), IngestError> {
        match prepared {
            Prepared::Large { source, hash } => {
                if !seen.insert(hash.clone()) {
                    return self.accept(Prepared::Duplicate { source }, seen, cancel);
                }
                self.load_large(source, hash, cancel)?;
            }
            Prepared::Parsed { source, hash, read } => {
                let file = read.file;
                if !seen.insert(hash.clone()) {
                    return self.accept(Prepared::Duplicate { source }, seen, cancel);
                }
                let rows = file.batch.num_rows();
                self.reports.push(FileReport {
                    source: source.name,
                    status: FileStatus::Loaded,
                    rows: rows as u64,
                    quarantined: file.rejected.len() as u64,
                    format: Some(read.format),
                    preset: Some(file.preset.clone()),
                    encoding: read.encoding,
                    timestamp_format: Some(file.timestamp_format),
                    reason: None,
                });
                self.pending.push(Pending {
                    report_index: self.reports.len() - 1,
                    hash,
                    file,
                    size: source.size,
                });
                self.pending_rows += rows;
                if self.pending_rows >= self.batch_rows {
                    self.flush()?;
                }
            }
            Prepared::Duplicate { source } => self.reports.push(FileReport {
                source: source.name,
                status: FileStatus::Duplicate,
                rows: 0,
                quarantined: 0,
                format: None,
                preset: None,
                encoding: None,
                timestamp_format: None,
                reason: Some("its content was loaded before".into()),
            }),
            Prepared::Rejected { source, reason } => {
                tracing::warn!(file = %source.name, %reason, "file rejected");
                self.conn.execute(
                    "INSERT INTO meta.rejected_files VALUES (?, ?, ?, now()::TIMESTAMP)",
                    duckdb::params![self.ingest_id, source.name, reason.to_string()],
                )?;
                self.reports.push(FileReport {
                    source: source.name,
                    status: FileStatus::Rejected,
                    rows: 0,
                    quarantined: 0,
                    format: None,
                    preset: None,
                    encoding: None,
                    timestamp_format: None,
                    reason: Some(reason.to_string()),
                });
            }
        }
        Ok(())
    }

    /// Streams a large file in, in a transaction of its own with its record: it loads
    /// whole or not at all, and a file that turns out not to be this data is rejected.
    fn load_large(
        &mut self,
        source: super::sources::Source,
        hash: String,
        cancel: &CancelToken,
    ) -> Result<(), IngestError> {
        self.flush()?;
        let tx = self.conn.unchecked_transaction()?;
        let loaded = match large::load(&tx, &source, self.ingest_id, cancel) {
            Ok(loaded) => loaded,
            Err(NotLoaded::Db(e)) => return Err(e.into()),
            // Dropping the transaction rolls the file back; the next run loads it.
            Err(NotLoaded::Cancelled) => return Ok(()),
            Err(NotLoaded::Rejected(reason)) => {
                drop(tx);
                let rejected = Prepared::Rejected {
                    source,
                    reason: reason.into(),
                };
                return self.accept(rejected, &mut HashSet::new(), cancel);
            }
        };
        let report = FileReport {
            source: source.name,
            status: FileStatus::Loaded,
            rows: loaded.rows,
            quarantined: loaded.quarantined,
            format: Some(super::formats::Format::Csv),
            preset: Some(loaded.preset.to_string()),
            encoding: Some(loaded.encoding),
            timestamp_format: Some(loaded.timestamp_format),
            reason: None,
        };
        record_file(&tx, self.ingest_id, &report, &hash, source.size)?;
        crate::warehouse::commit::commit(tx)?;
        self.reports.push(report);
        Ok(())
    }

    /// Commits every pending file in one transaction.
    pub fn flush(&mut self) -> Result<(), IngestError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let tx = self.conn.unchecked_transaction()?;
        {
            let mut lines = tx.appender_to_db("order_lines", "raw")?;
            // Read when the first file that needs it comes, then shared by the others.
            let mut known_keys = None;
            for p in &self.pending {
                let batch = match &p.file.customers {
                    Some(keys) => {
                        let known = match &mut known_keys {
                            Some(known) => known,
                            None => known_keys.insert(super::customers::KnownKeys::load(&tx)?),
                        };
                        known.assign(&tx, &p.file.batch, keys, self.ingest_id)?
                    }
                    None => p.file.batch.clone(),
                };
                lines.append_record_batch(batch)?;
            }
            lines.flush()?;
        }
        {
            let mut quarantine = tx.appender_to_db("quarantine", "raw")?;
            for p in &self.pending {
                let name = &self.reports[p.report_index].source;
                append_quarantined(&mut quarantine, self.ingest_id, name, &p.file.rejected)?;
            }
            quarantine.flush()?;
        }
        for p in &self.pending {
            record_file(
                &tx,
                self.ingest_id,
                &self.reports[p.report_index],
                &p.hash,
                p.size,
            )?;
        }
        crate::warehouse::commit::commit(tx)?;
        tracing::debug!(
            files = self.pending.len(),
            rows = self.pending_rows,
            "committed"
        );
        self.pending.clear();
        self.pending_rows = 0;
        Ok(())
    }

    /// Marks the run failed after an error (its committed batches stay).
    pub fn abandon(&self) {
        let _ = self.conn.execute(
            "UPDATE meta.ingests SET status = 'failed', finished_at = now()::TIMESTAMP WHERE ingest_id = ?",
            [self.ingest_id],
        );
    }

    /// Records the totals of the run and returns its summary.
    pub fn finish(self, cancelled: bool, elapsed: Duration) -> Result<IngestSummary, IngestError> {
        let summary = IngestSummary {
            ingest_id: self.ingest_id,
            files_loaded: self.count(FileStatus::Loaded, |_| 1),
            files_duplicate: self.count(FileStatus::Duplicate, |_| 1),
            files_rejected: self.count(FileStatus::Rejected, |_| 1),
            rows_loaded: self.rows_loaded(),
            rows_quarantined: self.rows_quarantined(),
            cancelled,
            elapsed_seconds: seconds(elapsed),
            files: self.reports,
        };
        self.conn.execute(
            "UPDATE meta.ingests SET finished_at = now()::TIMESTAMP, status = ?,
                 files_loaded = ?, files_skipped = ?, files_rejected = ?,
                 rows_loaded = ?, rows_quarantined = ?
             WHERE ingest_id = ?",
            duckdb::params![
                if cancelled { "cancelled" } else { "ok" },
                summary.files_loaded as i64,
                summary.files_duplicate as i64,
                summary.files_rejected as i64,
                summary.rows_loaded as i64,
                summary.rows_quarantined as i64,
                summary.ingest_id
            ],
        )?;
        Ok(summary)
    }
}

/// Records a loaded file in `meta.ingested_files` (its content hash makes a re-run skip
/// it), in the transaction that holds its rows.
fn record_file(
    tx: &duckdb::Transaction<'_>,
    ingest_id: i64,
    report: &FileReport,
    hash: &str,
    size: u64,
) -> Result<(), duckdb::Error> {
    tx.execute(
        "INSERT INTO meta.ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
        duckdb::params![
            hash,
            report.source,
            size as i64,
            report.encoding.map(|e| e.name()),
            report.timestamp_format.map(|t| t.name()),
            report.rows as i64,
            report.quarantined as i64,
            ingest_id,
            report.preset
        ],
    )?;
    Ok(())
}
