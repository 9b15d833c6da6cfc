//! Delimited text of any dialect: the delimiter (`,` `;` tab `|`) from the header,
//! RFC 4180 quoting, fields that span lines (addresses, notes).

use super::table::{MAX_COLUMNS, TextRow, TextTable, cell, unique_names};
use crate::ingest::dialect::detect_delimiter;
use crate::ingest::parse::Rejected;
use crate::ingest::read_error::ReadError;
use crate::ingest::row_error::RowError;

pub fn read(text: &str, delimiter: Option<u8>) -> Result<TextTable, ReadError> {
    let text = text.trim_start_matches(['\r', '\n']);
    let first_line = text.lines().next().unwrap_or("");
    if first_line.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(first_line));
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(ReadError::CsvHeader)?.clone();
    if header.len() > MAX_COLUMNS {
        return Err(ReadError::TooManyColumns {
            columns: header.len(),
            max: MAX_COLUMNS,
        });
    }
    let columns = unique_names(header.iter().map(String::from));
    let mut table = TextTable {
        parts: vec![String::new()],
        ..TextTable::default()
    };
    let mut record = ::csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                if record.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                let line = record.position().map_or(line, |p| p.line());
                if record.len() != columns.len() {
                    table.rejected.push(Rejected {
                        part: None,
                        line,
                        raw: record
                            .iter()
                            .collect::<Vec<_>>()
                            .join(&(delimiter as char).to_string()),
                        reason: RowError::FieldCount {
                            expected: columns.len(),
                            found: record.len(),
                        }
                        .to_string(),
                    });
                    continue;
                }
                table.rows.push(TextRow {
                    part: 0,
                    line,
                    cells: record.iter().map(cell).collect(),
                });
            }
            Err(e) => {
                table.rejected.push(Rejected {
                    part: None,
                    line,
                    raw: String::new(),
                    reason: RowError::Record(e.to_string()).to_string(),
                });
            }
        }
    }
    table.columns = columns;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_may_span_lines_and_line_numbers_stay_true() {
        let text = "Name;Note;Qty\n#1;\"two\nlines\";3\n#2;x\n#3;\"a;b\";4\n";
        let t = read(text, None).unwrap();
        assert_eq!(t.columns, vec!["Name", "Note", "Qty"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].cells[1].as_deref(), Some("two\nlines"));
        assert_eq!(t.rows[1].line, 5);
        assert_eq!(t.rows[1].cells[1].as_deref(), Some("a;b"));
        assert_eq!(t.rejected.len(), 1);
        assert_eq!(t.rejected[0].line, 4);
    }
}
