//! Reading any supported file format into a [`TextTable`]: a header and rows of text
//! cells, each with the line (or record, or sheet row) it came from. The mapping engine
//! works on that one shape, so every format gets the same mapping, quarantine and
//! conventions.

mod csv;
mod json;
mod parquet;
mod table;
mod xlsx;

use serde::Serialize;

use super::read_error::ReadError;
pub use csv::read as read_csv;
pub use table::{MAX_COLUMNS, TextRow, TextTable};

/// A file's format, recognised from its content (never its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
    Parquet,
    /// JSON lines (one object per line), or one array of objects.
    Json,
}

impl Format {
    /// The format of a file from its first bytes: a zip (`.xlsx`), Parquet's `PAR1`,
    /// JSON's `{` or `[`; else delimited text.
    pub fn sniff(bytes: &[u8]) -> Self {
        if bytes.starts_with(b"PK\x03\x04") {
            return Self::Xlsx;
        }
        if bytes.starts_with(b"PAR1") {
            return Self::Parquet;
        }
        let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        match text.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') | Some(b'[') => Self::Json,
            _ => Self::Csv,
        }
    }

    /// The name `ecom ingest --json` and `ecom open --list` print.
    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Parquet => "parquet",
            Self::Json => "json",
        }
    }

    /// Binary formats hold NUL bytes by design; text with one is not text.
    pub fn is_binary(self) -> bool {
        matches!(self, Self::Xlsx | Self::Parquet)
    }
}

/// Options of reading that come from the user.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// CSV delimiter; detected from the header when `None`.
    pub delimiter: Option<u8>,
    /// The one sheet of a workbook to read; every sheet when `None`.
    pub sheet: Option<String>,
    /// The most a workbook's parts may inflate to (`ingest.max_inflated_bytes`).
    pub max_inflated_bytes: u64,
}

/// Reads a whole source of any format into a table (a CSV already decoded goes to
/// [`read_csv`]). `name` is the source's name, for sheet part names.
pub fn read(
    bytes: Vec<u8>,
    format: Format,
    name: &str,
    options: &ReadOptions,
) -> Result<TextTable, ReadError> {
    match format {
        Format::Csv => {
            let (text, _) = super::dialect::decode(bytes);
            read_csv(&text, options.delimiter)
        }
        Format::Json => {
            let (text, _) = super::dialect::decode(bytes);
            json::read(&text)
        }
        Format::Xlsx => xlsx::read(
            bytes,
            name,
            options.sheet.as_deref(),
            options.max_inflated_bytes,
        ),
        Format::Parquet => parquet::read(&bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_by_content() {
        assert_eq!(Format::sniff(b"PK\x03\x04rest"), Format::Xlsx);
        assert_eq!(Format::sniff(b"PAR1...."), Format::Parquet);
        assert_eq!(Format::sniff(b"\xef\xbb\xbf  {\"a\":1}"), Format::Json);
        assert_eq!(Format::sniff(b"a,b\n1,2\n"), Format::Csv);
    }
}
