//! Workbooks (`.xlsx`): DuckDB reads them only through an extension ecom does not ship,
//! so their rows are read with ingest's workbook reader (calamine) and materialised as
//! a table: the one case where `ecom open` copies data. Staged as CSV first so DuckDB
//! infers the column types exactly as it does for a CSV file.

use std::path::Path;

use duckdb::Connection;

use super::error::OpenError;
use crate::ingest::formats::{self, Format, ReadOptions};
use crate::ingest::{DEFAULT_MAX_INFLATED_BYTES, Source};
use crate::warehouse::quote_literal;

/// Creates (or replaces) table `target` (schema-qualified, quoted) from the rows of
/// every sheet of `files`, which must share one header.
pub fn materialise(
    conn: &Connection,
    target: &str,
    files: &[std::path::PathBuf],
) -> Result<(), OpenError> {
    let staged = tempfile::Builder::new()
        .prefix("ecom-open-")
        .suffix(".csv")
        .tempfile()
        .map_err(OpenError::Stage)?;
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(staged.as_file()));
    let mut first: Option<(&Path, Vec<String>)> = None;
    let options = ReadOptions {
        delimiter: None,
        sheet: None,
        max_inflated_bytes: DEFAULT_MAX_INFLATED_BYTES,
    };
    for file in files {
        let name = file.display().to_string();
        let bytes = Source::file(file).read(DEFAULT_MAX_INFLATED_BYTES)?;
        let table = formats::read(bytes, Format::Xlsx, &name, &options)?;
        match &first {
            None => {
                writer.write_record(&table.columns).map_err(stage)?;
                first = Some((file, table.columns.clone()));
            }
            Some((path, columns)) if *columns != table.columns => {
                return Err(OpenError::WorkbookHeaders {
                    first: path.display().to_string(),
                    other: name,
                    expected: columns.join(", "),
                    found: table.columns.join(", "),
                });
            }
            Some(_) => {}
        }
        for row in &table.rows {
            writer
                .write_record(row.cells.iter().map(|c| c.as_deref().unwrap_or("")))
                .map_err(stage)?;
        }
    }
    writer.flush().map_err(OpenError::Stage)?;
    drop(writer);
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TABLE {target} AS SELECT * FROM read_csv({}, header = true, delim = ',', quote = '\"')",
        quote_literal(&staged.path().to_string_lossy())
    ))?;
    Ok(())
}

fn stage(e: csv::Error) -> OpenError {
    OpenError::Stage(std::io::Error::other(e))
}
