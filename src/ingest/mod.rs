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
pub mod formats;
mod large;
pub mod mapping;
pub mod mapping_error;
pub mod parse;
pub mod read_error;
pub mod rejection;
pub mod row_error;
mod rows;
pub mod sources;
pub mod suggest;
pub mod values;
mod writer;

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::jobs::{CancelToken, Progress, ProgressSink, Unit};
use dialect::Encoding;
use duckdb::Connection;
use formats::{Format, ReadOptions};
use mapping::{Mapping, Preset, Shape, ShapeChoice};
use parse::ParsedFile;
use read_error::ReadError;
use rejection::Rejection;
pub use sources::{Source, SourceKind, expand};

/// Errors that stop an ingest run as a whole (a bad file or row never does).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}: no such file or folder")]
    NotFound(String),
    #[error("no file matches {0}")]
    NoMatch(String),
    #[error("bad pattern {pattern}: {reason}")]
    BadPattern { pattern: String, reason: String },
    #[error("cannot read {source_name}: {source}")]
    Read {
        source_name: String,
        source: std::io::Error,
    },
    #[error("nothing to ingest: give files, folders, globs or - for standard input")]
    NoSources,
    #[error("writing to the warehouse failed: {0}")]
    Warehouse(#[from] duckdb::Error),
    #[error("ingest.timezone: {0}")]
    Timezone(#[source] values::UnknownZone),
}

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
    pub timestamp_format: Option<dialect::TimestampFormat>,
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

impl IngestOptions {
    /// The options `[ingest]` of the configuration gives (a bad zone or mapping is an
    /// error naming the key).
    pub fn from_config(config: &crate::config::IngestConfig) -> Result<Self, IngestError> {
        Ok(Self {
            batch_rows: config.batch_rows.max(1),
            max_inflated_bytes: config.max_inflated_bytes,
            shape: ShapeChoice {
                preset: None,
                mapping: config.mapping.clone(),
            },
            timezone: match &config.timezone {
                Some(zone) => values::zone(zone).map_err(IngestError::Timezone)?,
                None => chrono_tz::UTC,
            },
            ..Self::default()
        })
    }
}

/// A source after reading and parsing, on its way to the writer.
pub(crate) enum Prepared {
    Parsed {
        source: Source,
        hash: String,
        read: Read,
    },
    Duplicate {
        source: Source,
    },
    /// Too large to hold whole: hashed, to be streamed in by the writer.
    Large {
        source: Source,
        hash: String,
    },
    Rejected {
        source: Source,
        reason: Rejection,
    },
}

/// Files up to this size (64 MiB) are read whole and parsed on a worker; larger ones
/// are only hashed there and streamed in by the writer ([`large`]).
const WHOLE_FILE_BYTES: u64 = 64 << 20;

/// What reading a source's start found.
enum Start {
    /// The whole content.
    Whole(Vec<u8>),
    /// A large file's content hash.
    Large(String),
}

/// Reads a source whole, or hashes it as a stream when it is larger than a worker
/// should hold and the UCI line parser can stream it (stdin cannot be read twice, so
/// it is always read whole; other shapes and formats are read whole up to the limit).
fn read_or_hash(source: &Source, options: &IngestOptions) -> Result<Start, ReadError> {
    let max_bytes = options.max_inflated_bytes;
    let (reader, gzip) = source.open()?;
    let whole_limit = match source.kind {
        SourceKind::Stdin => max_bytes,
        _ => WHOLE_FILE_BYTES.min(max_bytes),
    };
    let mut bytes = Vec::new();
    let Some(rest) = sources::read_start(reader, &mut bytes, whole_limit)? else {
        return Ok(Start::Whole(bytes));
    };
    if !streams_as_uci(&bytes, options) {
        return match sources::read_start(rest, &mut bytes, max_bytes)? {
            None => Ok(Start::Whole(bytes)),
            Some(_) => Err(ReadError::TooLarge { gzip, max_bytes }),
        };
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(&bytes);
    let room = max_bytes.saturating_sub(bytes.len() as u64) + 1;
    let total =
        bytes.len() as u64 + std::io::copy(&mut std::io::Read::take(rest, room), &mut hasher)?;
    if total > max_bytes {
        return Err(ReadError::TooLarge { gzip, max_bytes });
    }
    Ok(Start::Large(hasher.finalize().to_hex().to_string()))
}

/// Whether a file starting with `start` is one the UCI line parser reads ([`uci_csv`]):
/// only those are streamed in pieces.
fn streams_as_uci(start: &[u8], options: &IngestOptions) -> bool {
    let head = String::from_utf8_lossy(&start[..start.len().min(64 * 1024)]);
    Format::sniff(start) == Format::Csv && uci_csv(&head, options).is_some()
}

/// What reading one source gave: its rows, and how it was read.
pub struct Read {
    pub file: ParsedFile,
    pub format: Format,
    /// The text encoding, for text formats.
    pub encoding: Option<Encoding>,
}

/// Reads the whole content of one source in whatever shape and format it has, under
/// the run's options. `Err` means the file is not order lines at all.
pub fn read_bytes(
    bytes: Vec<u8>,
    name: &str,
    ingest_id: i64,
    options: &IngestOptions,
) -> Result<Read, Rejection> {
    let format = Format::sniff(&bytes);
    let read_options = ReadOptions {
        delimiter: options.shape.mapping.as_ref().and_then(Mapping::delimiter),
        sheet: options.sheet.clone(),
        max_inflated_bytes: options.max_inflated_bytes,
    };
    let (table, encoding) = if format == Format::Csv {
        let (text, encoding) = dialect::decode(bytes);
        if let Some(preset) = uci_csv(&text, options) {
            let file = parse::parse_file(&text, name, ingest_id)?;
            tracing::debug!(
                file = name,
                preset = preset.name(),
                "read by the UCI line parser"
            );
            return Ok(Read {
                file,
                format,
                encoding: Some(encoding),
            });
        }
        (
            formats::read_csv(&text, read_options.delimiter)?,
            Some(encoding),
        )
    } else {
        (formats::read(bytes, format, name, &read_options)?, None)
    };
    let mapping = match options.shape.choose(&table.columns)? {
        Shape::Mapped(mapping) => *mapping,
        Shape::Uci(preset) => Mapping::uci(&table.columns, preset)?,
    };
    let file = engine::apply(table, &mapping, options.timezone, name, ingest_id)?;
    Ok(Read {
        file,
        format,
        encoding,
    })
}

/// The UCI preset a CSV's header shows, when the line parser should read it (no
/// mapping, and no other preset, asked for).
fn uci_csv(text: &str, options: &IngestOptions) -> Option<Preset> {
    if options.shape.mapping.is_some() || options.shape.preset.is_some_and(|p| !p.is_uci()) {
        return None;
    }
    let header = text.lines().find(|l| !l.trim().is_empty())?;
    match options.shape.preset {
        Some(preset) => Some(preset),
        None => dialect::layout(header.trim_end_matches('\r'))
            .is_ok()
            .then(|| Preset::of_uci_header(header)),
    }
}

/// Reads, decodes and parses one source. Content already in the warehouse is not parsed.
fn prepare(
    source: Source,
    known: &HashSet<String>,
    ingest_id: i64,
    options: &IngestOptions,
) -> Prepared {
    let bytes = match read_or_hash(&source, options) {
        Ok(Start::Whole(bytes)) => bytes,
        Ok(Start::Large(hash)) if known.contains(&hash) => return Prepared::Duplicate { source },
        Ok(Start::Large(hash)) => return Prepared::Large { source, hash },
        Err(reason) => {
            return Prepared::Rejected {
                source,
                reason: reason.into(),
            };
        }
    };
    let mut hasher = blake3::Hasher::new();
    hasher.update(&bytes);
    // One sheet of a workbook is other content than the whole workbook.
    if let Some(sheet) = &options.sheet {
        hasher.update(b"\0sheet\0").update(sheet.as_bytes());
    }
    let hash = hasher.finalize().to_hex().to_string();
    if known.contains(&hash) {
        return Prepared::Duplicate { source };
    }
    match read_bytes(bytes, &source.name, ingest_id, options) {
        Ok(read) => Prepared::Parsed { source, hash, read },
        Err(reason) => Prepared::Rejected { source, reason },
    }
}

/// [`prepare`], with a panic on one file rejecting that file (with the panic's message)
/// instead of stopping the run: a scheduled ingest would otherwise crash on it forever.
fn prepare_guarded(
    source: Source,
    known: &HashSet<String>,
    ingest_id: i64,
    options: &IngestOptions,
) -> Prepared {
    let fallback = source.clone();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        prepare(source, known, ingest_id, options)
    }))
    .unwrap_or_else(|payload| Prepared::Rejected {
        source: fallback,
        reason: Rejection::Internal(crate::jobs::panic_text(payload.as_ref())),
    })
}

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

/// The likely cause when most of a run's lines were quarantined, as a sentence from
/// the commonest kind of reason among them (a decimal comma, a date order, a delimiter
/// or missing column), with one example; `None` when nothing was quarantined.
pub fn quarantine_cause(
    conn: &Connection,
    ingest_id: i64,
) -> Result<Option<String>, duckdb::Error> {
    let mut stmt = conn.prepare(
        "SELECT CASE
                  WHEN reason LIKE 'UnitPrice `%,%` is not a decimal number' THEN 'comma'
                  WHEN reason LIKE 'Quantity `%,%` is not a whole number' THEN 'comma'
                  WHEN reason LIKE 'InvoiceDate %' THEN 'date'
                  WHEN reason LIKE 'wrong number of fields%' THEN 'fields'
                  ELSE 'other' END AS cause,
                count(*) AS n, min(reason) AS example
         FROM raw.quarantine WHERE ingest_id = ? GROUP BY 1 ORDER BY n DESC, cause LIMIT 1",
    )?;
    let mut rows = stmt.query([ingest_id])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let (cause, count, example): (String, i64, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
    let count = crate::format::thousands(count as u64);
    Ok(Some(match cause.as_str() {
        "comma" => format!(
            "most of them ({count}) write numbers with a decimal comma, as in \"{example}\": \
             the file is a European-style export; read it with a mapping that says decimal = \",\" \
             (`ecom ingest --suggest-mapping FILE` writes one)"
        ),
        "date" => format!(
            "most of them ({count}) have dates that do not read in the file's form, as in \"{example}\": \
             check the date order and format (a mapping's date_format reads any pattern)"
        ),
        "fields" => format!(
            "most of them ({count}) have another number of fields than the header, as in \"{example}\": \
             a different delimiter in the rows, or a missing column"
        ),
        _ => format!("most of them ({count}) as in \"{example}\""),
    }))
}

/// Elapsed time as seconds, rounded to milliseconds, for summaries.
fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}
