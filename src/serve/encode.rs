//! Query answers written as DuckDB streams the rows out, and cut at a byte cap.
//!
//! Each batch is encoded on its own and appended while the answer stays under the cap;
//! the batch that would pass it is cut to the rows that still fit (found by halving),
//! and the stream is dropped, which stops DuckDB. So no answer, and no buffer of
//! rows behind it, grows past the cap plus one batch, whatever the query selects.

use duckdb::arrow::datatypes::SchemaRef;
use duckdb::arrow::ipc::writer::StreamWriter;
use duckdb::arrow::record_batch::RecordBatch;

use super::error::ServeError;
use crate::warehouse::query::{batch_to_json_rows, batch_to_text};

/// The formats the query route answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Arrow,
}

pub const ARROW_STREAM: &str = "application/vnd.apache.arrow.stream";

/// Room kept for what follows the rows (the JSON object's end, Arrow's end marker).
const TAIL_ROOM: usize = 64;

/// The end-of-stream marker of the Arrow IPC stream format.
const ARROW_END: [u8; 8] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0];

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv",
            Self::Arrow => ARROW_STREAM,
        }
    }
}

/// Why an answer holds fewer rows than the query had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The request's `limit` (or the server's `--max-rows`).
    Rows,
    /// The server's `--max-answer-bytes`.
    Bytes,
}

/// An answer being written.
pub struct CappedAnswer {
    format: Format,
    schema: SchemaRef,
    /// What comes before the rows, written once: the JSON object's start, the CSV
    /// header, the Arrow schema message.
    head: Vec<u8>,
    /// Rows (JSON, CSV) or IPC messages (Arrow) so far, without head and tail.
    body: Vec<u8>,
    max_bytes: usize,
    rows_left: usize,
    pub rows: usize,
    pub cut: Option<Cut>,
}

impl CappedAnswer {
    pub fn new(
        format: Format,
        schema: SchemaRef,
        max_rows: usize,
        max_bytes: usize,
    ) -> Result<Self, ServeError> {
        Ok(Self {
            head: head(format, &schema)?,
            format,
            schema,
            body: Vec::new(),
            max_bytes,
            rows_left: max_rows,
            rows: 0,
            cut: None,
        })
    }

    /// Adds what fits of `batch`; read no more once [`Self::full`].
    pub fn push(&mut self, batch: &RecordBatch) -> Result<(), ServeError> {
        if self.full() {
            if batch.num_rows() > 0 {
                self.cut = Some(Cut::Rows);
            }
            return Ok(());
        }
        let mut batch = batch.clone();
        if batch.num_rows() > self.rows_left {
            batch = batch.slice(0, self.rows_left);
            self.cut = Some(Cut::Rows);
        }
        let frame = self.head.len() + TAIL_ROOM;
        let room = self.max_bytes.saturating_sub(frame + self.body.len());
        let mut encoded = self.encode(&batch)?;
        if encoded.len() > room {
            self.cut = Some(Cut::Bytes);
            let fits = self.rows_that_fit(&batch, room)?;
            batch = batch.slice(0, fits);
            encoded = if fits == 0 {
                Vec::new()
            } else {
                self.encode(&batch)?
            };
        }
        self.body.extend_from_slice(&encoded);
        self.rows += batch.num_rows();
        self.rows_left -= batch.num_rows();
        Ok(())
    }

    /// Whether no more rows can be taken (one more pushed batch with rows says
    /// whether the row limit cut anything).
    pub fn full(&self) -> bool {
        self.rows_left == 0 || self.cut.is_some()
    }

    /// The whole answer.
    pub fn finish(mut self) -> Result<Vec<u8>, ServeError> {
        let mut out = std::mem::take(&mut self.head);
        match self.format {
            Format::Json => {
                if self.body.last() == Some(&b',') {
                    self.body.pop();
                }
                out.extend_from_slice(&self.body);
                out.extend_from_slice(b"],\"truncated\":");
                out.extend_from_slice(if self.cut.is_some() {
                    b"true}"
                } else {
                    b"false}"
                });
            }
            Format::Csv => out.extend_from_slice(&self.body),
            Format::Arrow => {
                out.extend_from_slice(&self.body);
                out.extend_from_slice(&ARROW_END);
            }
        }
        Ok(out)
    }

    /// The largest number of leading rows of `batch` whose encoding fits in `room`.
    fn rows_that_fit(&self, batch: &RecordBatch, room: usize) -> Result<usize, ServeError> {
        let (mut fits, mut fails) = (0, batch.num_rows());
        while fails - fits > 1 {
            let middle = fits + (fails - fits) / 2;
            if self.encode(&batch.slice(0, middle))?.len() <= room {
                fits = middle;
            } else {
                fails = middle;
            }
        }
        Ok(fits)
    }

    /// The bytes `batch` adds to the answer.
    fn encode(&self, batch: &RecordBatch) -> Result<Vec<u8>, ServeError> {
        Ok(match self.format {
            Format::Json => {
                let mut out = Vec::new();
                for row in batch_to_json_rows(batch) {
                    serde_json::to_writer(&mut out, &row)?;
                    out.push(b',');
                }
                out
            }
            Format::Csv => {
                let mut out = csv::Writer::from_writer(Vec::new());
                for row in batch_to_text(batch, "") {
                    out.write_record(&row)?;
                }
                out.into_inner().map_err(|e| e.into_error())?
            }
            Format::Arrow => {
                let mut writer = StreamWriter::try_new(Vec::new(), &self.schema)?;
                writer.write(batch)?;
                writer.get_ref()[self.head.len()..].to_vec()
            }
        })
    }
}

/// What comes before the rows: the JSON object's start, the CSV header, the Arrow
/// schema message.
fn head(format: Format, schema: &SchemaRef) -> Result<Vec<u8>, ServeError> {
    let names: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
    Ok(match format {
        Format::Json => {
            let mut head = b"{\"columns\":".to_vec();
            serde_json::to_writer(&mut head, &names)?;
            head.extend_from_slice(b",\"rows\":[");
            head
        }
        Format::Csv => {
            let mut out = csv::Writer::from_writer(Vec::new());
            out.write_record(names)?;
            out.into_inner().map_err(|e| e.into_error())?
        }
        // Not `into_inner`, which would end the stream after the schema.
        Format::Arrow => StreamWriter::try_new(Vec::new(), schema)?.get_ref().clone(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use duckdb::arrow::array::{Int64Array, StringArray};
    use duckdb::arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(rows: usize, width: usize) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("s", DataType::Utf8, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from_iter_values(0..rows as i64)),
                Arc::new(StringArray::from_iter_values(
                    (0..rows).map(|_| "x".repeat(width)),
                )),
            ],
        )
        .unwrap()
    }

    #[test]
    fn answers_stop_at_the_byte_cap_and_stay_valid() {
        for format in [Format::Json, Format::Csv, Format::Arrow] {
            let input = batch(2048, 1000);
            let mut answer = CappedAnswer::new(format, input.schema(), 100_000, 64 * 1024).unwrap();
            answer.push(&input).unwrap();
            assert!(answer.full(), "{format:?}");
            assert_eq!(answer.cut, Some(Cut::Bytes));
            let rows = answer.rows;
            assert!(
                (50..=65).contains(&rows),
                "{format:?}: {rows} rows of ~1 kB"
            );
            let body = answer.finish().unwrap();
            assert!(body.len() <= 64 * 1024, "{format:?}: {} bytes", body.len());
            match format {
                Format::Json => {
                    let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    assert_eq!(value["rows"].as_array().unwrap().len(), rows);
                    assert_eq!(value["truncated"], true);
                }
                Format::Csv => assert_eq!(body.iter().filter(|b| **b == b'\n').count(), rows + 1),
                Format::Arrow => {
                    let reader =
                        duckdb::arrow::ipc::reader::StreamReader::try_new(&body[..], None).unwrap();
                    let read: usize = reader.map(|b| b.unwrap().num_rows()).sum();
                    assert_eq!(read, rows);
                }
            }
        }
    }

    #[test]
    fn one_row_larger_than_the_cap_gives_no_rows_and_row_limits_cut_exactly() {
        let mut answer = CappedAnswer::new(Format::Json, batch(1, 1).schema(), 10, 1024).unwrap();
        answer.push(&batch(1, 5000)).unwrap();
        assert_eq!((answer.rows, answer.cut), (0, Some(Cut::Bytes)));

        let mut answer = CappedAnswer::new(Format::Json, batch(1, 1).schema(), 3, 1 << 20).unwrap();
        answer.push(&batch(3, 1)).unwrap();
        assert!(answer.full());
        assert_eq!(answer.cut, None, "exactly the limit is not a cut");
        answer.push(&batch(1, 1)).unwrap();
        assert_eq!((answer.rows, answer.cut), (3, Some(Cut::Rows)));
    }
}
