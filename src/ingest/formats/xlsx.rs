//! Excel workbooks (`.xlsx`, and what else calamine reads from the same bytes): every
//! sheet whose first row is the same header, or the one `--sheet` names. Dates are
//! Excel serial numbers, read to the second; whole numbers print without a fraction.

use std::io::Cursor;

use calamine::{Data, Reader};

use super::{TextRow, TextTable, unique_names};

pub fn read(
    bytes: Vec<u8>,
    name: &str,
    only: Option<&str>,
    max_inflated_bytes: u64,
) -> Result<TextTable, String> {
    check_inflated(&bytes, max_inflated_bytes)?;
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| format!("cannot read it as a workbook: {e}"))?;
    let sheets = workbook.sheet_names();
    let chosen: Vec<String> = match only {
        Some(sheet) => {
            if !sheets.iter().any(|s| s == sheet) {
                return Err(format!(
                    "no sheet `{sheet}` (sheets: {})",
                    sheets.join(", ")
                ));
            }
            vec![sheet.to_string()]
        }
        None => sheets,
    };
    let mut table = TextTable::default();
    for sheet in chosen {
        let range = workbook
            .worksheet_range(&sheet)
            .map_err(|e| format!("cannot read sheet `{sheet}`: {e}"))?;
        let first_row = range.start().map_or(0, |(row, _)| row) as u64;
        let mut rows = range.rows().enumerate();
        let Some((_, header)) = rows.next() else {
            continue;
        };
        let columns = unique_names(header.iter().map(|c| text(c).unwrap_or_default()));
        if table.columns.is_empty() {
            table.columns = columns;
        } else if columns != table.columns {
            return Err(format!(
                "sheet `{sheet}` has other columns than the first sheet: load one sheet at a time with --sheet"
            ));
        }
        let part = table.parts.len() as u16;
        table.parts.push(format!("{name}#{sheet}"));
        for (index, cells) in rows {
            if cells.iter().all(|c| matches!(c, Data::Empty)) {
                continue;
            }
            let mut cells: Vec<Option<String>> = cells.iter().map(text).collect();
            cells.resize(table.columns.len(), None);
            table.rows.push(TextRow {
                part,
                // Excel's own row number, as the user sees it.
                line: first_row + index as u64 + 1,
                cells,
            });
        }
    }
    if table.columns.is_empty() {
        return Err("the workbook has no rows".into());
    }
    Ok(table)
}

/// Refuses a workbook whose parts inflate past the limit (a zip bomb: a few kilobytes
/// of sheet XML can declare gigabytes), from the sizes its zip directory declares.
fn check_inflated(bytes: &[u8], max: u64) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("cannot read it as a workbook: {e}"))?;
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| format!("cannot read it as a workbook: {e}"))?;
        total = total.saturating_add(entry.size());
    }
    if total > max {
        return Err(super::super::sources::too_large(true, max));
    }
    Ok(())
}

/// A cell as text, or `None` when empty.
fn text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty => None,
        Data::String(s) => super::cell(s),
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
