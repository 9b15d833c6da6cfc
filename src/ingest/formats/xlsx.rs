//! Excel workbooks (`.xlsx`, and what else calamine reads from the same bytes): every
//! sheet whose first row is the same header, or the one `--sheet` names. Dates are
//! Excel serial numbers, read to the second; whole numbers print without a fraction.

use std::io::Cursor;

use calamine::{Data, Reader};

use super::table::{MAX_COLUMNS, TextRow, TextTable, unique_names};
use crate::ingest::read_error::ReadError;

pub fn read(
    bytes: Vec<u8>,
    name: &str,
    only: Option<&str>,
    max_inflated_bytes: u64,
) -> Result<TextTable, ReadError> {
    check_inflated(&bytes, max_inflated_bytes)?;
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes)).map_err(ReadError::Workbook)?;
    let sheets = workbook.sheet_names();
    let chosen: Vec<String> = match only {
        Some(sheet) => {
            if !sheets.iter().any(|s| s == sheet) {
                return Err(ReadError::NoSheet {
                    sheet: sheet.to_string(),
                    sheets,
                });
            }
            vec![sheet.to_string()]
        }
        None => sheets,
    };
    let mut table = TextTable::default();
    for sheet in chosen {
        let rows = sheet_rows(&mut workbook, &sheet)?;
        let mut rows = rows.into_iter();
        let Some((_, header)) = rows.next() else {
            continue;
        };
        let width = header.last().map_or(0, |(col, _)| *col as usize + 1);
        if width > MAX_COLUMNS {
            return Err(ReadError::SheetTooWide {
                sheet,
                columns: width,
                max: MAX_COLUMNS,
            });
        }
        let mut names = vec![String::new(); width];
        for (col, value) in header {
            names[col as usize] = value;
        }
        let columns = unique_names(names.into_iter());
        if table.columns.is_empty() {
            table.columns = columns;
        } else if columns != table.columns {
            return Err(ReadError::SheetColumnsDiffer(sheet));
        }
        let part = table.parts.len() as u16;
        table.parts.push(format!("{name}#{sheet}"));
        for (row, cells) in rows {
            let mut dense = vec![None; width];
            for (col, value) in cells {
                if let Some(slot) = dense.get_mut(col as usize) {
                    *slot = Some(value);
                }
            }
            table.rows.push(TextRow {
                part,
                // Excel's own row number, as the user sees it.
                line: u64::from(row) + 1,
                cells: dense,
            });
        }
    }
    if table.columns.is_empty() {
        return Err(ReadError::NoRows);
    }
    Ok(table)
}

/// A sheet row's number and its non-empty cells as `(column, text)`.
type SparseRow = (u32, Vec<(u32, String)>);

/// A sheet's non-empty cells as rows of `(column, text)`, in row order, read one cell
/// at a time: memory follows the cells present, never the area they span (a sheet
/// with one cell in A1 and one in XFD1048576 is two cells, not 17 billion).
fn sheet_rows<RS: std::io::Read + std::io::Seek>(
    workbook: &mut calamine::Xlsx<RS>,
    sheet: &str,
) -> Result<Vec<SparseRow>, ReadError> {
    let failed = |source| ReadError::Sheet {
        sheet: sheet.to_string(),
        source,
    };
    let mut reader = workbook.worksheet_cells_reader(sheet).map_err(failed)?;
    let mut rows: Vec<SparseRow> = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(failed)? {
        let (row, col) = cell.get_position();
        let Some(value) = text(&Data::from(cell.get_value().clone())) else {
            continue;
        };
        match rows.last_mut() {
            Some((r, cells)) if *r == row => cells.push((col, value)),
            _ => rows.push((row, vec![(col, value)])),
        }
    }
    rows.sort_by_key(|(row, _)| *row);
    for (_, cells) in &mut rows {
        cells.sort_by_key(|(col, _)| *col);
    }
    Ok(rows)
}

/// Refuses a workbook whose parts inflate past the limit (a zip bomb: a few kilobytes
/// of sheet XML can declare gigabytes), from the sizes its zip directory declares.
fn check_inflated(bytes: &[u8], max: u64) -> Result<(), ReadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(ReadError::Zip)?;
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(ReadError::Zip)?;
        total = total.saturating_add(entry.size());
    }
    if total > max {
        return Err(ReadError::TooLarge {
            gzip: true,
            max_bytes: max,
        });
    }
    Ok(())
}

/// A cell as text, or `None` when empty.
fn text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty => None,
        Data::String(s) => super::table::cell(s),
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", *f as i64)),
        Data::Float(f) => Some(f.to_string()),
        Data::Bool(b) => Some(b.to_string()),
        Data::DateTime(d) => d.as_datetime().map(|t| {
            let rounded = t + chrono::Duration::milliseconds(500);
            rounded.format("%Y-%m-%d %H:%M:%S").to_string()
        }),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
        Data::Error(e) => Some(format!("#{e:?}")),
    }
}
