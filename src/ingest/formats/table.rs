//! The one shape every format is read into: a header and rows of text cells, each
//! with the line (or record, or sheet row) it came from, plus the records that could
//! not be read at all.

use crate::ingest::parse::Rejected;

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

/// A header made usable as column names: blanks named `column_N`, repeats suffixed.
pub(super) fn unique_names(names: impl Iterator<Item = String>) -> Vec<String> {
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
pub(super) fn cell(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_repeated_header_names_are_made_unique() {
        assert_eq!(
            unique_names(["a", "", "A", "a"].into_iter().map(String::from)),
            vec!["a", "column_2", "A_2", "a_3"]
        );
    }
}
