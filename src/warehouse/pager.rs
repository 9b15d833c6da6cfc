//! Results of any size for the TUI grid: the query is materialised once into a temporary
//! table of the worker's connection, and the grid asks for windows of rows by position.
//! The UI never holds more than the pages it shows.

use std::time::{Duration, Instant};

use duckdb::Connection;

use super::query::{batch_to_text, is_row_query, stream_batches};
use super::{WarehouseError, quote_ident};

/// One column of a result.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultColumn {
    pub name: String,
    pub data_type: String,
    pub numeric: bool,
}

/// Where a result's rows live.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultRows {
    /// In a temporary table on the worker's connection, fetched by page.
    Table(String),
    /// Small results of statements that cannot be materialised (`SHOW`, `PRAGMA`, DDL).
    Inline(Vec<Vec<String>>),
}

/// A finished query, ready to be paged through.
#[derive(Debug, Clone, PartialEq)]
pub struct PagedResult {
    pub columns: Vec<ResultColumn>,
    pub total_rows: u64,
    pub elapsed: Duration,
    pub rows: ResultRows,
}

/// The temporary table holding result `statement` of the SQL tab with result slot
/// `slot`: one per statement, so each result of a script pages on its own.
pub fn result_table(slot: u32, statement: u32) -> String {
    format!("ecom_result_{slot}_{statement}")
}

/// Runs `sql` into the temporary table `temp.{table}` (replacing what it held; see
/// [`result_table`]) and describes it.
pub fn run(conn: &Connection, sql: &str, table: &str) -> Result<PagedResult, WarehouseError> {
    let started = Instant::now();
    let sql = sql.trim().trim_end_matches(';');
    if !is_row_query(sql) {
        return run_inline(conn, sql, started);
    }
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE {} AS {sql}\n;",
        quote_ident(table)
    ))
    .map_err(WarehouseError::from)?;
    adopt(conn, table, started)
}

/// The result held by the temporary table `temp.{table}`, filled by the caller (a
/// remote answer copied in as it arrived), whose work began at `started`.
pub fn adopt(
    conn: &Connection,
    table: &str,
    started: Instant,
) -> Result<PagedResult, WarehouseError> {
    let quoted = quote_ident(table);
    let total_rows: i64 = conn
        .query_row(&format!("SELECT count(*) FROM temp.{quoted}"), [], |r| {
            r.get(0)
        })
        .map_err(WarehouseError::from)?;
    let columns = describe(conn, table)?;
    Ok(PagedResult {
        columns,
        total_rows: total_rows as u64,
        elapsed: started.elapsed(),
        rows: ResultRows::Table(table.to_string()),
    })
}

/// Drops a result nobody shows any more (a closed tab's, a re-run script's): its rows
/// no longer hold memory.
pub fn discard(conn: &Connection, result: &PagedResult) -> Result<(), WarehouseError> {
    if let ResultRows::Table(table) = &result.rows {
        conn.execute_batch(&format!("DROP TABLE IF EXISTS temp.{}", quote_ident(table)))?;
    }
    Ok(())
}

fn run_inline(
    conn: &Connection,
    sql: &str,
    started: Instant,
) -> Result<PagedResult, WarehouseError> {
    let mut rows = Vec::new();
    let schema = stream_batches::<WarehouseError>(conn, sql, |batch| {
        rows.extend(batch_to_text(batch, "NULL"));
        Ok(())
    })?;
    let columns = schema
        .fields()
        .iter()
        .map(|f| ResultColumn {
            name: f.name().clone(),
            data_type: f.data_type().to_string(),
            numeric: super::query::is_numeric(f.data_type()),
        })
        .collect();
    Ok(PagedResult {
        columns,
        total_rows: rows.len() as u64,
        elapsed: started.elapsed(),
        rows: ResultRows::Inline(rows),
    })
}

fn describe(conn: &Connection, table: &str) -> Result<Vec<ResultColumn>, WarehouseError> {
    let mut stmt = conn.prepare(
        "SELECT column_name, data_type,
                data_type SIMILAR TO '(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*)'
         FROM duckdb_columns() WHERE database_name = 'temp' AND table_name = ? ORDER BY column_index",
    )?;
    let columns = stmt.query_map([table], |r| {
        Ok(ResultColumn {
            name: r.get(0)?,
            data_type: r.get(1)?,
            numeric: r.get(2)?,
        })
    })?;
    Ok(columns.collect::<Result<_, _>>()?)
}

/// Rows `offset .. offset + limit` of a result, as text cells (`NULL` for null).
pub fn page(
    conn: &Connection,
    result: &PagedResult,
    offset: u64,
    limit: u64,
) -> Result<Vec<Vec<String>>, WarehouseError> {
    match &result.rows {
        ResultRows::Inline(rows) => Ok(rows
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .cloned()
            .collect()),
        ResultRows::Table(table) => {
            let sql = format!(
                "SELECT * FROM temp.{} WHERE rowid >= {offset} AND rowid < {} ORDER BY rowid",
                quote_ident(table),
                offset + limit
            );
            let mut rows = Vec::with_capacity(limit as usize);
            stream_batches::<WarehouseError>(conn, &sql, |batch| {
                rows.extend(batch_to_text(batch, "NULL"));
                Ok(())
            })?;
            Ok(rows)
        }
    }
}

/// Writes the whole result to `path`: Parquet for `.parquet`, else CSV with a header.
pub fn export(conn: &Connection, result: &PagedResult, path: &str) -> Result<(), WarehouseError> {
    let format = if path.ends_with(".parquet") {
        "FORMAT parquet, COMPRESSION zstd"
    } else {
        "FORMAT csv, HEADER"
    };
    let target = super::quote_literal(path);
    match &result.rows {
        ResultRows::Table(table) => {
            conn.execute_batch(&format!(
                "COPY (SELECT * FROM temp.{}) TO {target} ({format})",
                quote_ident(table)
            ))
            .map_err(WarehouseError::from)?;
        }
        ResultRows::Inline(rows) => {
            let failed = |source| WarehouseError::Write {
                path: path.into(),
                source,
            };
            let mut writer = csv::Writer::from_path(path).map_err(failed)?;
            writer
                .write_record(result.columns.iter().map(|c| c.name.as_str()))
                .map_err(failed)?;
            for row in rows {
                writer.write_record(row).map_err(failed)?;
            }
            writer.flush().map_err(|e| failed(e.into()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_a_large_result() {
        let conn = Connection::open_in_memory().unwrap();
        let result = run(
            &conn,
            "SELECT range AS n, 'x' || range AS s FROM range(100000);",
            &result_table(1, 0),
        )
        .unwrap();
        assert_eq!(result.total_rows, 100_000);
        assert_eq!(result.columns[0].name, "n");
        assert!(result.columns[0].numeric);
        assert!(!result.columns[1].numeric);
        let rows = page(&conn, &result, 99_990, 50).unwrap();
        assert_eq!(rows.len(), 10);
        assert_eq!(rows[0], vec!["99990", "x99990"]);
    }

    #[test]
    fn results_export_to_csv_and_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open_in_memory().unwrap();
        let result = run(&conn, "SELECT range AS n FROM range(1000)", "r").unwrap();
        let csv_path = dir.path().join("r.csv").display().to_string();
        export(&conn, &result, &csv_path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&csv_path).unwrap().lines().count(),
            1001
        );
        let parquet = dir.path().join("r.parquet").display().to_string();
        export(&conn, &result, &parquet).unwrap();
        let n: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM read_parquet('{parquet}')"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1000);
    }

    #[test]
    fn statements_without_rows_run_inline() {
        let conn = Connection::open_in_memory().unwrap();
        run(&conn, "CREATE TABLE t (a INTEGER)", "r").unwrap();
        let shown = run(&conn, "SHOW TABLES", "r").unwrap();
        assert_eq!(
            page(&conn, &shown, 0, 10).unwrap(),
            vec![vec!["t".to_string()]]
        );
    }
}
