//! Parsing one decoded file into an Arrow batch shaped like `raw.order_lines`, and a
//! list of rejected lines with their reasons. Every line is either a row or a rejection.
//!
//! Records are split per physical line: the data has no multi-line fields, so a line
//! with an unbalanced quote is rejected alone instead of swallowing the lines after it.

use std::borrow::Cow;

use duckdb::arrow::record_batch::RecordBatch;

use super::dialect::{Field, Layout, TimestampFormat, layout};
use super::read_error::ReadError;
use super::row_error::RowError;
use super::rows::{Columns, Row, parse_customer, parse_price};

/// A line that could not become a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// The part of the source it came from (a workbook's sheet), when not the whole.
    pub part: Option<String>,
    pub line: u64,
    pub raw: String,
    pub reason: String,
}

/// The outcome of parsing one file.
#[derive(Debug)]
pub struct ParsedFile {
    pub batch: RecordBatch,
    pub rejected: Vec<Rejected>,
    pub timestamp_format: TimestampFormat,
    /// The preset or mapping that read it (`raw.order_lines.source_preset`).
    pub preset: String,
    /// Customers known by e-mail only, to be given stable keys by the writer.
    pub customers: Option<super::customers::EmailKeys>,
}

/// The longest line read as an order line (64 KiB): longer ones are quarantined, so one
/// line (a run of NUL bytes, a lost newline) cannot bloat a column.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// A rejected line as the quarantine keeps it: whole up to 4 KiB, then its start.
fn clipped(line: &str) -> String {
    const KEEP: usize = 4 * 1024;
    if line.len() <= KEEP {
        return line.to_string();
    }
    let end = (0..=KEEP)
        .rev()
        .find(|&i| line.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}… ({} bytes in all)", &line[..end], line.len())
}

/// Parses a whole decoded file. `Err` means the file is not this data at all.
pub fn parse_file(text: &str, source_file: &str, ingest_id: i64) -> Result<ParsedFile, ReadError> {
    let (mut parser, body, first_line) = LineParser::start(text)?;
    let (batch, rejected) = parser.parse(body, first_line, source_file, ingest_id);
    Ok(ParsedFile {
        batch,
        rejected,
        timestamp_format: parser.timestamp_format,
        preset: parser.preset.name().to_string(),
        customers: None,
    })
}

/// Parses the lines of one file, piece by piece if it comes in pieces: the header and
/// the timestamp form are read from its start, then any run of whole lines parses on
/// its own, with its line numbers.
pub struct LineParser {
    layout: Layout,
    pub timestamp_format: TimestampFormat,
    /// `uci` or `uci-ii`, told apart by the header's names.
    pub preset: super::mapping::Preset,
    splitter: LineSplitter,
}

impl LineParser {
    /// Reads the header and the timestamp form from the start of a file; returns the
    /// parser, the text after the header and the number of the line it starts at.
    pub fn start(text: &str) -> Result<(Self, &str, u64), ReadError> {
        let mut offset = 0;
        let mut number = 0u64;
        let header = loop {
            let Some(rest) = text.get(offset..).filter(|r| !r.is_empty()) else {
                return Err(ReadError::Empty);
            };
            let line = rest.split('\n').next().unwrap_or(rest);
            offset += line.len() + 1;
            number += 1;
            if !line.trim().is_empty() {
                break line.trim_end_matches('\r');
            }
        };
        let layout = layout(header)?;
        let body = text.get(offset.min(text.len())..).unwrap_or("");
        let date_pos = layout.positions[4].expect("InvoiceDate is required");
        // From the whole text (a whole file, or a large file's first 32 MiB piece), each
        // line split as a CSV record: a quoted description may hold the delimiter.
        let mut splitter = LineSplitter::new(layout.delimiter);
        let timestamp_format = TimestampFormat::detect(body.lines().filter_map(|l| {
            let fields = splitter.split(l.strip_suffix('\r').unwrap_or(l)).ok()?;
            fields.get(date_pos).map(|d| d.to_string())
        }));
        Ok((
            Self {
                preset: super::mapping::Preset::of_uci_header(header),
                layout,
                timestamp_format,
                splitter,
            },
            body,
            number + 1,
        ))
    }

    /// Parses whole lines (the first numbered `first_line`) into rows and rejections.
    pub fn parse(
        &mut self,
        text: &str,
        first_line: u64,
        source_file: &str,
        ingest_id: i64,
    ) -> (RecordBatch, Vec<Rejected>) {
        let estimated_rows = text.len() / 90 + 16;
        let mut columns = Columns::with_capacity(estimated_rows, text.len(), self.preset.name());
        let mut rejected = Vec::new();
        for (index, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() {
                continue;
            }
            let number = first_line + index as u64;
            let outcome = if line.len() > MAX_LINE_BYTES {
                Err(RowError::Overlong {
                    bytes: line.len(),
                    max: MAX_LINE_BYTES,
                })
            } else {
                let (layout, format) = (&self.layout, self.timestamp_format);
                self.splitter
                    .split(line)
                    .and_then(|fields| parse_row(&fields, layout, format))
            };
            match outcome {
                Ok(row) => columns.push(&row, source_file, number),
                Err(reason) => rejected.push(Rejected {
                    part: None,
                    line: number,
                    raw: clipped(line),
                    reason: reason.to_string(),
                }),
            }
        }
        (columns.finish(ingest_id), rejected)
    }
}

/// Splits one line into fields with csv-core, reusing its buffers between lines.
struct LineSplitter {
    reader: csv_core::Reader,
    input: Vec<u8>,
    output: Vec<u8>,
    ends: Vec<usize>,
}

impl LineSplitter {
    fn new(delimiter: u8) -> Self {
        Self {
            reader: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            input: Vec::new(),
            output: Vec::new(),
            ends: vec![0; 64],
        }
    }

    fn split<'a>(&'a mut self, line: &str) -> Result<Vec<&'a str>, RowError> {
        if !line
            .bytes()
            .filter(|&b| b == b'"')
            .count()
            .is_multiple_of(2)
        {
            return Err(RowError::BrokenQuoting);
        }
        self.reader.reset();
        // One call with the line and its terminator yields the whole record.
        self.input.clear();
        self.input.extend_from_slice(line.as_bytes());
        self.input.push(b'\n');
        self.output.resize(line.len() + 1, 0);
        let (result, _, written, fields) =
            self.reader
                .read_record(&self.input, &mut self.output, &mut self.ends);
        match result {
            csv_core::ReadRecordResult::Record => {}
            csv_core::ReadRecordResult::OutputEndsFull => {
                return Err(RowError::TooManyFields(self.ends.len()));
            }
            other => return Err(RowError::Unsplittable(format!("{other:?}"))),
        }
        let text = std::str::from_utf8(&self.output[..written]).map_err(|_| RowError::NotText)?;
        let mut start = 0;
        Ok(self.ends[..fields]
            .iter()
            .map(|&end| {
                let field = &text[start..end];
                start = end;
                field
            })
            .collect())
    }
}

fn parse_row<'a>(
    fields: &[&'a str],
    layout: &Layout,
    timestamps: TimestampFormat,
) -> Result<Row<'a>, RowError> {
    if fields.len() != layout.width {
        return Err(RowError::FieldCount {
            expected: layout.width,
            found: fields.len(),
        });
    }
    let get = |field: Field| {
        layout.positions[field as usize]
            .map(|i| fields[i].trim())
            .filter(|v| !v.is_empty())
    };
    let required = |field: Field| get(field).ok_or(RowError::Empty(field));
    let invoice_no = required(Field::InvoiceNo)?;
    let stock_code = required(Field::StockCode)?;
    let quantity_text = required(Field::Quantity)?;
    let quantity = quantity_text
        .parse::<i32>()
        .map_err(|_| RowError::NotWhole {
            field: Field::Quantity,
            text: quantity_text.to_string(),
        })?;
    let date_text = required(Field::InvoiceDate)?;
    let invoice_ts = timestamps
        .parse(date_text)
        .ok_or_else(|| RowError::NotADate {
            text: date_text.to_string(),
            form: timestamps.name().to_string(),
        })?;
    let price_text = required(Field::UnitPrice)?;
    let unit_price = parse_price(price_text)?;
    let customer_id = get(Field::CustomerId).map(parse_customer).transpose()?;
    Ok(Row {
        invoice_no: Cow::Borrowed(invoice_no),
        stock_code,
        description: get(Field::Description),
        quantity,
        invoice_ts,
        unit_price,
        customer_id,
        country: get(Field::Country),
        currency: Some(super::mapping::UCI_CURRENCY),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::arrow::array::{Array, AsArray};
    use duckdb::arrow::datatypes::{Decimal128Type, Int32Type, Int64Type};

    const HEADER: &str =
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";

    #[test]
    fn good_and_bad_rows_with_line_numbers() {
        let text = format!(
            "{HEADER}536365,85123A,\"HEART, WHITE\",6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n\
             536366,22633,HAND WARMER,x,2010-12-01 08:28:00,1.85,17850.0,United Kingdom\n\
             \n\
             536367,84879,\"BROKEN,8,2010-12-01 08:34:00,1.69,13047.0,United Kingdom\n\
             536368,22960,JAM,6,not a date,4.25,13047.0,United Kingdom\n\
             536369,21756,TOO,FEW\n\
             C536379,D,Discount,-1,2010-12-01 09:41:00,27.50,,United Kingdom\n"
        );
        let parsed = parse_file(&text, "f.csv", 7).unwrap();
        let b = &parsed.batch;
        assert_eq!(b.num_rows(), 2);
        assert_eq!(b.column(2).as_string::<i32>().value(0), "HEART, WHITE");
        assert_eq!(b.column(3).as_primitive::<Int32Type>().value(1), -1);
        assert_eq!(
            b.column(5).as_primitive::<Decimal128Type>().value(1),
            27_500
        );
        assert!(b.column(6).is_null(1));
        assert_eq!(
            b.column(9).as_primitive::<Int64Type>().values().to_vec(),
            vec![2, 8]
        );
        assert_eq!(b.column(10).as_primitive::<Int64Type>().value(0), 7);
        let lines: Vec<u64> = parsed.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 5, 6, 7]);
        assert!(parsed.rejected[0].reason.contains("Quantity"));
        assert!(parsed.rejected[1].reason.contains("quoting"));
        assert!(parsed.rejected[2].reason.contains("InvoiceDate"));
        assert!(parsed.rejected[3].reason.contains("expected 8, found 4"));
    }

    #[test]
    fn missing_columns_reject_the_file() {
        assert!(
            parse_file("a,b\n1,2\n", "x.csv", 1)
                .unwrap_err()
                .to_string()
                .contains("not online-retail data")
        );
        assert!(matches!(parse_file("", "x.csv", 1), Err(ReadError::Empty)));
    }

    #[test]
    fn a_quoted_delimiter_and_slash_do_not_fool_the_date_order() {
        let line = "536365,85123A,\",,0/\",1,2010-12-01 00:00:00,0.5,,United Kingdom";
        let parsed = parse_file(&format!("{HEADER}{line}\n"), "x.csv", 1).unwrap();
        assert_eq!(parsed.timestamp_format, TimestampFormat::Iso);
        assert_eq!(parsed.batch.num_rows(), 1, "{:?}", parsed.rejected);
    }

    #[test]
    fn overlong_lines_are_quarantined_clipped() {
        let long = format!(
            "536365,85123A,{},6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
            "x".repeat(100_000)
        );
        let parsed = parse_file(&format!("{HEADER}{long}\n"), "x.csv", 1).unwrap();
        assert_eq!(parsed.batch.num_rows(), 0);
        assert!(
            parsed.rejected[0]
                .reason
                .contains("more than any order line holds")
        );
        assert!(parsed.rejected[0].raw.len() < 5_000);
        assert!(parsed.rejected[0].raw.ends_with("bytes in all)"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// CSV-quotes a field the way writers of this data do.
        fn quote(field: &str) -> String {
            if field.contains([',', '"']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field.to_string()
            }
        }

        proptest! {
            #[test]
            fn arbitrary_input_never_panics(body in "\\PC{0,400}") {
                let _ = parse_file(&format!("{HEADER}{body}"), "p.csv", 1);
            }

            #[test]
            fn written_rows_read_back_identically(
                description in "[ -~£é]{1,40}",
                quantity in -100_000i32..100_000,
                pence in 0i64..10_000_000,
                customer in proptest::option::of(10_000i32..99_999),
                minute in 0i64..600_000,
            ) {
                let ts = chrono::NaiveDate::from_ymd_opt(2010, 12, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
                    + chrono::Duration::minutes(minute);
                let line = [
                    "536365".to_string(),
                    "85123A".to_string(),
                    quote(&description),
                    quantity.to_string(),
                    ts.format("%Y-%m-%d %H:%M:%S").to_string(),
                    format!("{}.{:03}", pence / 1000, pence % 1000),
                    customer.map(|c| format!("{c}.0")).unwrap_or_default(),
                    "United Kingdom".to_string(),
                ]
                .join(",");
                let parsed = parse_file(&format!("{HEADER}{line}\n"), "p.csv", 1).unwrap();
                prop_assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
                let b = &parsed.batch;
                let trimmed = description.trim();
                if trimmed.is_empty() {
                    prop_assert!(b.column(2).is_null(0));
                } else {
                    prop_assert_eq!(b.column(2).as_string::<i32>().value(0), trimmed);
                }
                prop_assert_eq!(b.column(3).as_primitive::<Int32Type>().value(0), quantity);
                prop_assert_eq!(b.column(5).as_primitive::<Decimal128Type>().value(0), pence as i128);
                prop_assert_eq!(b.column(6).as_primitive::<Int32Type>().is_null(0), customer.is_none());
                let micros = b.column(4).as_primitive::<duckdb::arrow::datatypes::TimestampMicrosecondType>().value(0);
                prop_assert_eq!(micros, ts.and_utc().timestamp_micros());
            }
        }
    }
}
