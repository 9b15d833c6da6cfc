//! The DuckDB table function that reads a group in place: `read_csv` with the dialect
//! ingest's detection finds in the first file (delimiter, encoding, the order lines'
//! timestamp form), `read_parquet` and `read_json` with Hive partitions as columns.

use std::io::Read;
use std::path::Path;

use super::error::OpenError;
use super::resolve::Group;
use crate::ingest::Source;
use crate::ingest::dialect::{self, Field, TimestampFormat};
use crate::ingest::formats::Format;
use crate::warehouse::quote_literal;

/// How much of the first file the dialect is read from.
const SAMPLE_BYTES: u64 = 256 * 1024;

/// What `read_csv` is told, from the first file of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvDialect {
    pub delimiter: u8,
    /// Not UTF-8: read as ISO-8859-1, like ingest does.
    pub latin1: bool,
    /// The order lines' `InvoiceDate` column and its `strptime` form, when its values
    /// are slash dates (`12/1/2010 8:26`) that DuckDB would leave as text.
    pub timestamp: Option<(String, &'static str)>,
}

/// The table function reading `group` (never a workbook: those are materialised).
pub fn table_function(group: &Group) -> Result<String, OpenError> {
    let files = match &group.pattern {
        Some(pattern) => quote_literal(pattern),
        None => format!(
            "[{}]",
            group
                .files
                .iter()
                .map(|f| quote_literal(&f.to_string_lossy()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut options = Vec::new();
    let function = match group.format {
        Format::Parquet if group.gzip => return Err(OpenError::CompressedBinary("Parquet")),
        Format::Xlsx => unreachable!("workbooks are materialised, never read in place"),
        Format::Parquet => {
            options.push("union_by_name = true".to_string());
            "read_parquet"
        }
        Format::Json => {
            options.push("format = 'auto'".to_string());
            "read_json"
        }
        Format::Csv => {
            let first = group.files.first().ok_or(OpenError::NoDataFiles)?;
            options.extend(csv_options(&csv_dialect(first)?));
            "read_csv"
        }
    };
    if group.gzip_unnamed {
        options.push("compression = 'gzip'".to_string());
    }
    if group.hive {
        options.push("hive_partitioning = true".to_string());
    }
    Ok(format!("{function}({files}, {})", options.join(", ")))
}

fn csv_options(dialect: &CsvDialect) -> Vec<String> {
    let mut options = vec![
        format!(
            "delim = {}",
            quote_literal(&(dialect.delimiter as char).to_string())
        ),
        "header = true".to_string(),
    ];
    if dialect.latin1 {
        options.push("encoding = 'latin-1'".to_string());
    }
    if let Some((column, form)) = &dialect.timestamp {
        options.push(format!(
            "types = {{{}: 'TIMESTAMP'}}, timestampformat = {}",
            quote_literal(column),
            quote_literal(form)
        ));
    }
    options
}

/// Reads the dialect from the start of `file` (inflated when gzip).
pub fn csv_dialect(file: &Path) -> Result<CsvDialect, OpenError> {
    let source = Source::file(file);
    let (reader, _) = source.open()?;
    let mut bytes = Vec::new();
    reader.take(SAMPLE_BYTES).read_to_end(&mut bytes)?;
    // A sample may end inside a character: only an invalid byte before that says Latin-1.
    let latin1 = std::str::from_utf8(&bytes).is_err_and(|e| e.error_len().is_some());
    let (text, _) = dialect::decode(bytes);
    let header = text.lines().next().unwrap_or_default();
    let delimiter = dialect::detect_delimiter(header);
    Ok(CsvDialect {
        delimiter,
        latin1,
        timestamp: slash_timestamps(&text, header, delimiter),
    })
}

/// The `InvoiceDate` column of order lines whose dates are written with slashes.
fn slash_timestamps(text: &str, header: &str, delimiter: u8) -> Option<(String, &'static str)> {
    let layout = dialect::layout(header).ok()?;
    let at = Field::ALL.iter().position(|f| *f == Field::InvoiceDate)?;
    let position = layout.positions[at]?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let column = reader.headers().ok()?.get(position)?.trim().to_string();
    let values: Vec<String> = reader
        .records()
        .map_while(Result::ok)
        .filter_map(|r| r.get(position).map(str::to_string))
        .collect();
    let with_seconds = values.first().is_some_and(|v| v.matches(':').count() == 2);
    let form = match (TimestampFormat::detect(values.iter()), with_seconds) {
        (TimestampFormat::Iso, _) => return None,
        (TimestampFormat::MonthFirst, false) => "%m/%d/%Y %H:%M",
        (TimestampFormat::MonthFirst, true) => "%m/%d/%Y %H:%M:%S",
        (TimestampFormat::DayFirst, false) => "%d/%m/%Y %H:%M",
        (TimestampFormat::DayFirst, true) => "%d/%m/%Y %H:%M:%S",
    };
    Some((column, form))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uci_dialects_are_told_to_read_csv() {
        let dir = tempfile::tempdir().unwrap();
        let us = dir.path().join("us.csv");
        std::fs::write(
            &us,
            b"InvoiceNo;StockCode;Description;Quantity;InvoiceDate;UnitPrice;CustomerID;Country\n\
              536365;85123A;caf\xe9;6;12/13/2010 8:26;2.55;17850;United Kingdom\n",
        )
        .unwrap();
        let found = csv_dialect(&us).unwrap();
        assert_eq!(
            found,
            CsvDialect {
                delimiter: b';',
                latin1: true,
                timestamp: Some(("InvoiceDate".into(), "%m/%d/%Y %H:%M")),
            }
        );
        assert_eq!(
            csv_options(&found).join(", "),
            "delim = ';', header = true, encoding = 'latin-1', \
             types = {'InvoiceDate': 'TIMESTAMP'}, timestampformat = '%m/%d/%Y %H:%M'"
        );
        let plain = dir.path().join("t.tsv");
        std::fs::write(&plain, "a\tb\n1\t2\n").unwrap();
        let found = csv_dialect(&plain).unwrap();
        assert_eq!(
            (found.delimiter, found.latin1, found.timestamp),
            (b'\t', false, None)
        );
    }
}
