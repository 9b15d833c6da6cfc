//! Writing results for people and programs: aligned tables, CSV and JSON.
//!
//! Query results stream through a [`ResultSink`] batch by batch, so CSV and JSON output of
//! any size never sits in memory; the table format keeps at most `max_rows` rows.

use std::io::Write;

use duckdb::arrow::datatypes::SchemaRef;
use duckdb::arrow::record_batch::RecordBatch;

use crate::warehouse::query::{batch_to_json_objects, batch_to_text, is_numeric};

pub use crate::format::thousands;

/// Writes an aligned text table; `right[i]` right-aligns column `i` (numbers).
pub fn write_table(
    out: &mut impl Write,
    headers: &[&str],
    right: &[bool],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        cells
            .zip(&widths)
            .zip(right.iter().chain(std::iter::repeat(&false)))
            .map(|((cell, &w), &r)| {
                let pad = " ".repeat(w - width(cell));
                if r {
                    format!("{pad}{cell}")
                } else {
                    format!("{cell}{pad}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(out, "{}", line(&mut headers.iter().copied()))?;
    let rule: Vec<String> = widths.iter().map(|&w| "─".repeat(w)).collect();
    writeln!(out, "{}", rule.join("  "))?;
    for row in rows {
        writeln!(out, "{}", line(&mut row.iter().map(String::as_str)))?;
    }
    Ok(())
}

/// Where query results go, one Arrow batch at a time.
pub trait ResultSink {
    fn write_batch(&mut self, batch: &RecordBatch) -> anyhow::Result<()>;
    /// Called once after the last batch with the result's schema.
    fn finish(&mut self, schema: &SchemaRef) -> anyhow::Result<()>;
}

/// A human-readable table of at most `max_rows` rows, with a row count footer.
pub struct TableSink<W: Write> {
    out: W,
    max_rows: usize,
    rows: Vec<Vec<String>>,
    total: u64,
}

impl<W: Write> TableSink<W> {
    pub fn new(out: W, max_rows: usize) -> Self {
        Self {
            out,
            max_rows,
            rows: Vec::new(),
            total: 0,
        }
    }
}

impl<W: Write> ResultSink for TableSink<W> {
    fn write_batch(&mut self, batch: &RecordBatch) -> anyhow::Result<()> {
        self.total += batch.num_rows() as u64;
        let room = self.max_rows.saturating_sub(self.rows.len());
        if room > 0 {
            let slice = batch.slice(0, room.min(batch.num_rows()));
            self.rows
                .extend(crate::warehouse::query::batch_to_text(&slice, "NULL"));
        }
        Ok(())
    }

    fn finish(&mut self, schema: &SchemaRef) -> anyhow::Result<()> {
        let headers: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let right: Vec<bool> = schema
            .fields()
            .iter()
            .map(|f| is_numeric(f.data_type()))
            .collect();
        write_table(&mut self.out, &headers, &right, &self.rows)?;
        let shown = self.rows.len() as u64;
        if shown < self.total {
            writeln!(
                self.out,
                "({} of {} rows shown; use --format csv or --output for all)",
                thousands(shown),
                thousands(self.total)
            )?;
        } else {
            let plural = if self.total == 1 { "" } else { "s" };
            writeln!(self.out, "({} row{plural})", thousands(self.total))?;
        }
        self.out.flush()?;
        Ok(())
    }
}

/// RFC 4180 CSV with a header row; NULL is an empty field.
pub struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
    wrote_header: bool,
}

impl<W: Write> CsvSink<W> {
    pub fn new(out: W) -> Self {
        Self {
            writer: csv::Writer::from_writer(out),
            wrote_header: false,
        }
    }

    fn header(&mut self, schema: &SchemaRef) -> anyhow::Result<()> {
        if !self.wrote_header {
            self.writer
                .write_record(schema.fields().iter().map(|f| f.name().as_str()))?;
            self.wrote_header = true;
        }
        Ok(())
    }
}

impl<W: Write> ResultSink for CsvSink<W> {
    fn write_batch(&mut self, batch: &RecordBatch) -> anyhow::Result<()> {
        self.header(&batch.schema())?;
        for row in batch_to_text(batch, "") {
            self.writer.write_record(&row)?;
        }
        Ok(())
    }

    fn finish(&mut self, schema: &SchemaRef) -> anyhow::Result<()> {
        self.header(schema)?;
        self.writer.flush()?;
        Ok(())
    }
}

/// One JSON array of row objects, written as the rows arrive.
pub struct JsonSink<W: Write> {
    out: W,
    rows: u64,
}

impl<W: Write> JsonSink<W> {
    pub fn new(out: W) -> Self {
        Self { out, rows: 0 }
    }
}

impl<W: Write> ResultSink for JsonSink<W> {
    fn write_batch(&mut self, batch: &RecordBatch) -> anyhow::Result<()> {
        for object in batch_to_json_objects(batch) {
            self.out
                .write_all(if self.rows == 0 { b"[\n" } else { b",\n" })?;
            serde_json::to_writer(&mut self.out, &object)?;
            self.rows += 1;
        }
        Ok(())
    }

    fn finish(&mut self, _schema: &SchemaRef) -> anyhow::Result<()> {
        self.out
            .write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_numbers_right() {
        let mut out = Vec::new();
        let rows = vec![
            vec!["a".into(), "1".into()],
            vec!["bb".into(), "100".into()],
        ];
        write_table(&mut out, &["name", "n"], &[false, true], &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "name    n\n────  ───\na       1\nbb    100\n");
    }
}
