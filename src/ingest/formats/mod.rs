//! Reading any supported file format into a [`TextTable`]: a header and rows of text
//! cells, each with the line (or record, or sheet row) it came from. The mapping engine
//! works on that one shape, so every format gets the same mapping, quarantine and
//! conventions.

mod csv;
pub use csv::{detect_delimiter, read as read_csv};
mod json;
mod parquet;
mod xlsx;

use serde::Serialize;

use super::parse::Rejected;
use super::read_error::ReadError;

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

    /// Binary formats hold NUL bytes by design; text with one is not text.
    pub fn is_binary(self) -> bool {
        matches!(self, Self::Xlsx | Self::Parquet)
    }
}

/// The most columns a file may have (workbooks, JSON keys, CSV headers): real order
/// exports have tens; the cap keeps a hostile file from making every row that wide.
pub const MAX_COLUMNS: usize = 1024;

/// One row of a [`TextTable`].
#[derive(Debug, Clone)]
pub struct TextRow {
    /// Index into [`TextTable::parts`] (a workbook's sheet), 0 for a plain file.
    pub part: u16,
    /// Line in the file (CSV, JSON lines), row in the sheet, or record number (Parquet).
    pub line: u64,
    /// One per header column; `None` for an empty cell.
    pub cells: Vec<Option<String>>,
}

/// A file as text: its header and rows, plus records that could not be read at all.
#[derive(Debug, Default)]
pub struct TextTable {
    pub columns: Vec<String>,
    /// Names of the parts rows come from (`file.xlsx#Sheet`), or one empty name.
    pub parts: Vec<String>,
    pub rows: Vec<TextRow>,
    pub rejected: Vec<Rejected>,
}

impl TextTable {
    /// The raw text of a row as the quarantine keeps it: its cells, comma-separated
    /// and quoted where needed.
    pub fn raw(&self, row: &TextRow) -> String {
        row.cells
            .iter()
            .map(|c| {
                let c = c.as_deref().unwrap_or("");
                if c.contains([',', '"', '\n']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The part name of a row, when the file has several.
    pub fn part(&self, row: &TextRow) -> Option<&str> {
        self.parts
            .get(row.part as usize)
            .map(String::as_str)
            .filter(|p| !p.is_empty())
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

/// A header made usable as column names: blanks named `column_N`, repeats suffixed.
fn unique_names(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, name) in names.enumerate() {
        let base = match name.trim() {
            "" => format!("column_{}", i + 1),
            trimmed => trimmed.to_string(),
        };
        let mut unique = base.clone();
        let mut n = 2;
        while out.iter().any(|o| o.eq_ignore_ascii_case(&unique)) {
            unique = format!("{base}_{n}");
            n += 1;
        }
        out.push(unique);
    }
    out
}

/// A cell as text: trimmed, and `None` when empty.
fn cell(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
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
        assert_eq!(
            unique_names(["a", "", "A", "a"].into_iter().map(String::from)),
            vec!["a", "column_2", "A_2", "a_3"]
        );
    }
}
