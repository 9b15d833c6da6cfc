//! Reading one source on a worker thread: read whole (or hashed as a stream when it
//! is large), recognised (format, shape), decoded and parsed into Arrow rows, or
//! rejected with the reason. Content already in the warehouse is not parsed.

use std::collections::HashSet;

use super::dialect::{self, Encoding};
use super::engine;
use super::formats::{self, Format, ReadOptions};
use super::mapping::{Mapping, Preset, Shape};
use super::options::IngestOptions;
use super::parse::{self, ParsedFile};
use super::read_error::ReadError;
use super::rejection::Rejection;
use super::sources::{self, Source, SourceKind};

/// A source after reading and parsing, on its way to the writer.
pub(super) enum Prepared {
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
/// are only hashed there and streamed in by the writer (`large`).
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
pub(super) fn prepare_guarded(
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
