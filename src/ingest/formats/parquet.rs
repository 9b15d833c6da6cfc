//! Parquet, read by DuckDB (in memory, on a private copy of the bytes) with every
//! column cast to text: typed timestamps, decimals and integers print in forms the
//! mapping engine reads exactly.

use duckdb::arrow::array::{Array, AsArray};

use super::{TextRow, TextTable, cell};

pub fn read(bytes: &[u8]) -> Result<TextTable, String> {
    let failed = |e: &dyn std::fmt::Display| format!("cannot read it as Parquet: {e}");
    let file = tempfile::Builder::new()
        .suffix(".parquet")
        .tempfile()
        .map_err(|e| failed(&e))?;
    std::fs::write(file.path(), bytes).map_err(|e| failed(&e))?;
    let conn = crate::warehouse::engine::open_in_memory().map_err(|e| failed(&e))?;
    let path = file.path().display().to_string().replace('\'', "''");
    let mut stmt = conn
        .prepare(&format!(
            "SELECT COLUMNS(*)::VARCHAR FROM read_parquet('{path}')"
        ))
        .map_err(|e| failed(&e))?;
    let batches: Vec<_> = stmt.query_arrow([]).map_err(|e| failed(&e))?.collect();
    let mut table = TextTable {
        parts: vec![String::new()],
        columns: stmt.column_names(),
        ..TextTable::default()
    };
    let mut line = 0;
    for batch in batches {
        let columns: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| c.as_string::<i32>().clone())
            .collect();
        for row in 0..batch.num_rows() {
            line += 1;
            table.rows.push(TextRow {
                part: 0,
                line,
                cells: columns
                    .iter()
                    .map(|c| (!c.is_null(row)).then(|| c.value(row)).and_then(cell))
                    .collect(),
            });
        }
    }
    Ok(table)
}
