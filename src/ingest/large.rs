//! Files too large to hold whole: read, decoded and parsed in pieces of whole lines
//! (about [`PIECE_BYTES`] each) and appended piece by piece inside one transaction, so
//! memory stays flat whatever the file's size, no Arrow column comes near its 2 GiB
//! offset limit, and the file still loads all at once or not at all.

use std::io::Read;

use duckdb::Transaction;

use super::dialect::{Encoding, TimestampFormat};
use super::parse::{LineParser, Rejected};
use super::read_error::ReadError;
use super::sources::Source;
use crate::jobs::CancelToken;

/// Text parsed at a time: a few Arrow batches of rows.
pub(super) const PIECE_BYTES: usize = 32 << 20;

/// What a large file added.
pub(super) struct Loaded {
    pub rows: u64,
    pub quarantined: u64,
    pub encoding: Encoding,
    pub timestamp_format: TimestampFormat,
    pub preset: super::mapping::Preset,
}

/// Why a large file did not load.
pub(super) enum NotLoaded {
    /// The file is not this data (its reason, as for any rejected file).
    Rejected(ReadError),
    /// The run was cancelled mid-file: nothing of it stays.
    Cancelled,
    Db(duckdb::Error),
}

impl From<duckdb::Error> for NotLoaded {
    fn from(e: duckdb::Error) -> Self {
        Self::Db(e)
    }
}

/// Streams `source` into `raw.order_lines` and `raw.quarantine` within `tx`.
pub(super) fn load(
    tx: &Transaction<'_>,
    source: &Source,
    ingest_id: i64,
    cancel: &CancelToken,
) -> Result<Loaded, NotLoaded> {
    let (reader, _) = source.open().map_err(NotLoaded::Rejected)?;
    let mut pieces = Pieces::new(reader);
    let first = pieces
        .next()
        .map_err(NotLoaded::Rejected)?
        .unwrap_or_default();
    let (mut parser, body, mut line) = LineParser::start(&first).map_err(NotLoaded::Rejected)?;
    let mut loaded = Loaded {
        rows: 0,
        quarantined: 0,
        encoding: Encoding::Utf8,
        timestamp_format: parser.timestamp_format,
        preset: parser.preset,
    };
    let mut add = |text: &str, line: &mut u64| -> Result<(), NotLoaded> {
        if cancel.is_cancelled() {
            return Err(NotLoaded::Cancelled);
        }
        let (batch, rejected) = parser.parse(text, *line, &source.name, ingest_id);
        *line += text.matches('\n').count() as u64;
        loaded.rows += batch.num_rows() as u64;
        loaded.quarantined += rejected.len() as u64;
        append(tx, batch, &rejected, &source.name, ingest_id)?;
        Ok(())
    };
    add(body, &mut line)?;
    drop(first);
    while let Some(text) = pieces.next().map_err(NotLoaded::Rejected)? {
        add(&text, &mut line)?;
    }
    if pieces.latin1 {
        loaded.encoding = Encoding::Latin1;
    }
    Ok(loaded)
}

fn append(
    tx: &Transaction<'_>,
    batch: duckdb::arrow::record_batch::RecordBatch,
    rejected: &[Rejected],
    name: &str,
    ingest_id: i64,
) -> Result<(), duckdb::Error> {
    if batch.num_rows() > 0 {
        let mut lines = tx.appender_to_db("order_lines", "raw")?;
        lines.append_record_batch(batch)?;
        lines.flush()?;
    }
    if !rejected.is_empty() {
        let mut quarantine = tx.appender_to_db("quarantine", "raw")?;
        super::quarantine::append_quarantined(&mut quarantine, ingest_id, name, rejected)?;
        quarantine.flush()?;
    }
    Ok(())
}

/// A stream of text in pieces that end at a line's end (or at [`PIECE_BYTES`] when a
/// line is longer, which the parser then quarantines as overlong).
struct Pieces<'r> {
    reader: Box<dyn Read + 'r>,
    buffer: Vec<u8>,
    done: bool,
    /// Whether a piece was not UTF-8 (read as ISO-8859-1, the data's other dialect).
    latin1: bool,
}

impl<'r> Pieces<'r> {
    fn new(reader: Box<dyn Read + 'r>) -> Self {
        Self {
            reader,
            buffer: Vec::with_capacity(PIECE_BYTES + 1024),
            done: false,
            latin1: false,
        }
    }

    fn next(&mut self) -> Result<Option<String>, ReadError> {
        while !self.done && self.buffer.len() < PIECE_BYTES {
            let want = (PIECE_BYTES - self.buffer.len()) as u64;
            let read = (&mut self.reader)
                .take(want)
                .read_to_end(&mut self.buffer)?;
            self.done = read == 0;
        }
        if self.buffer.is_empty() {
            return Ok(None);
        }
        let cut = match memchr::memrchr(b'\n', &self.buffer) {
            Some(end) if !self.done => end + 1,
            _ => self.buffer.len(),
        };
        let rest = self.buffer.split_off(cut);
        let bytes = std::mem::replace(&mut self.buffer, rest);
        // A byte-order mark can only start the first piece; decode drops it.
        let (text, encoding) = super::dialect::decode(bytes);
        self.latin1 |= encoding == Encoding::Latin1;
        Ok(Some(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_end_at_line_ends_and_lose_nothing() {
        let text: String = (0..4_000_000).map(|i| format!("line {i}\n")).collect();
        let mut pieces = Pieces::new(Box::new(text.as_bytes()));
        let mut joined = String::new();
        let mut count = 0;
        while let Some(piece) = pieces.next().unwrap() {
            assert!(piece.ends_with('\n'));
            assert!(piece.len() <= PIECE_BYTES);
            joined.push_str(&piece);
            count += 1;
        }
        assert!(count >= 2, "{count} pieces");
        assert_eq!(joined, text);
    }
}
