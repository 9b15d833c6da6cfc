//! Parquet, read by DuckDB (in memory, on a private copy of the bytes) with every
//! column cast to text: typed timestamps, decimals and integers print in forms the
//! mapping engine reads exactly.

use duckdb::arrow::array::{Array, AsArray};

use super::table::{TextRow, TextTable, cell};
use crate::ingest::read_error::ReadError;

pub fn read(bytes: &[u8]) -> Result<TextTable, ReadError> {
    fn failed(e: impl std::error::Error + Send + Sync + 'static) -> ReadError {
        ReadError::Parquet(Box::new(e))
    }
    let file = tempfile::Builder::new()
        .suffix(".parquet")
        .tempfile()
        .map_err(failed)?;
    std::fs::write(file.path(), bytes).map_err(failed)?;
    let conn = crate::warehouse::engine::open_in_memory().map_err(failed)?;
    let path = file.path().display().to_string().replace('\'', "''");
    let mut stmt = conn
        .prepare(&format!(
            "SELECT COLUMNS(*)::VARCHAR FROM read_parquet('{path}')"
        ))
        .map_err(failed)?;
    let batches: Vec<_> = stmt.query_arrow([]).map_err(failed)?.collect();
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
