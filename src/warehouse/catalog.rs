//! What the warehouse holds: schemas, tables and views, their columns and row counts.
//! The TUI's catalog pane and `ecom status` both read it from here.

use duckdb::Connection;
use serde::{Deserialize, Serialize};

use super::{WarehouseError, quote_ident};

/// A table or view with its columns.
#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
pub struct Relation {
    pub schema: String,
    pub name: String,
    pub kind: RelationKind,
    /// Exact row count for tables; `None` for views (counting would run them).
    pub rows: Option<u64>,
    pub columns: Vec<Column>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelationKind {
    Table,
    View,
}

#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
pub struct Column {
    pub name: String,
    pub data_type: String,
}

const RELATIONS_SQL: &str = "
SELECT schema_name, table_name, 'table' AS kind
FROM duckdb_tables()
WHERE database_name = current_database() AND NOT internal AND NOT temporary
UNION ALL
SELECT schema_name, view_name, 'view'
FROM duckdb_views()
WHERE database_name = current_database() AND NOT internal AND NOT temporary
ORDER BY 1, 2";

const COLUMNS_SQL: &str = "
SELECT schema_name, table_name, column_name, data_type
FROM duckdb_columns()
WHERE database_name = current_database() AND NOT internal
ORDER BY schema_name, table_name, column_index";

/// Every user table and view, in schema then name order, with exact table row counts.
pub fn relations(conn: &Connection) -> Result<Vec<Relation>, WarehouseError> {
    let mut stmt = conn.prepare(RELATIONS_SQL)?;
    let mut relations: Vec<Relation> = stmt
        .query_map([], |r| {
            let kind: String = r.get(2)?;
            Ok(Relation {
                schema: r.get(0)?,
                name: r.get(1)?,
                kind: if kind == "view" {
                    RelationKind::View
                } else {
                    RelationKind::Table
                },
                rows: None,
                columns: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare(COLUMNS_SQL)?;
    let columns = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            Column {
                name: r.get(2)?,
                data_type: r.get(3)?,
            },
        ))
    })?;
    for column in columns {
        let (schema, table, column) = column?;
        if let Some(rel) = relations
            .iter_mut()
            .find(|r| r.schema == schema && r.name == table)
        {
            rel.columns.push(column);
        }
    }
    for rel in relations
        .iter_mut()
        .filter(|r| r.kind == RelationKind::Table)
    {
        rel.rows = Some(count_rows(conn, &rel.schema, &rel.name)?);
    }
    Ok(relations)
}

/// `count(*)` of one table; DuckDB answers it from metadata for plain tables.
pub fn count_rows(conn: &Connection, schema: &str, table: &str) -> Result<u64, WarehouseError> {
    let sql = format!(
        "SELECT count(*) FROM {}.{}",
        quote_ident(schema),
        quote_ident(table)
    );
    let n: i64 = conn.query_row(&sql, [], |r| r.get(0))?;
    Ok(n as u64)
}

/// Whether the warehouse holds any order lines yet (the TUI's empty state).
pub fn has_order_lines(conn: &Connection) -> Result<bool, WarehouseError> {
    Ok(count_rows(conn, "raw", "order_lines")? > 0)
}

/// One past ingest run, for `ecom status`.
#[derive(Debug, Clone, Serialize)]
pub struct IngestRun {
    pub ingest_id: i64,
    pub started_at: String,
    pub status: String,
    pub files_loaded: i64,
    pub files_skipped: i64,
    pub files_rejected: i64,
    pub rows_loaded: i64,
    pub rows_quarantined: i64,
}

/// The most recent ingest runs, newest first.
pub fn recent_ingests(conn: &Connection, limit: usize) -> Result<Vec<IngestRun>, WarehouseError> {
    let mut stmt = conn.prepare(
        "SELECT ingest_id, strftime(started_at, '%Y-%m-%d %H:%M:%S'), status,
                coalesce(files_loaded, 0), coalesce(files_skipped, 0), coalesce(files_rejected, 0),
                coalesce(rows_loaded, 0), coalesce(rows_quarantined, 0)
         FROM meta.ingests ORDER BY ingest_id DESC LIMIT ?",
    )?;
    let rows = stmt.query_map([limit as i64], |r| {
        Ok(IngestRun {
            ingest_id: r.get(0)?,
            started_at: r.get(1)?,
            status: r.get(2)?,
            files_loaded: r.get(3)?,
            files_skipped: r.get(4)?,
            files_rejected: r.get(5)?,
            rows_loaded: r.get(6)?,
            rows_quarantined: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Quarantined rows and rejected files, for the data-quality screen.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Deserialize)]
pub struct QualitySummary {
    /// (file, reason, rows), most rows first.
    pub quarantined: Vec<(String, String, u64)>,
    /// (file, reason) of files rejected whole.
    pub rejected: Vec<(String, String)>,
    /// (topic, reason, messages) of the tail's dead letters, most first; the reason
    /// without its detail (the part before the first `:`).
    pub dead_letters: Vec<(String, String, u64)>,
}

/// Every reason rows were quarantined or files rejected, grouped by file.
pub fn quality(conn: &Connection) -> Result<QualitySummary, WarehouseError> {
    let mut stmt = conn.prepare(
        "SELECT source_file, regexp_replace(reason, '`[^`]*`', '…', 'g') AS kind, count(*)
         FROM raw.quarantine GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 200",
    )?;
    let quarantined = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT source_file, any_value(reason) FROM meta.rejected_files GROUP BY 1 ORDER BY 1 LIMIT 200",
    )?;
    let rejected = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT topic, split_part(reason, ':', 1), count(*) FROM stream.dead_letters
         GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 200",
    )?;
    let dead_letters = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
        })?
        .collect::<Result<_, _>>()?;
    Ok(QualitySummary {
        quarantined,
        rejected,
        dead_letters,
    })
}

/// Whether `schema.name` (a table or view; `main` when unqualified) exists.
pub fn relation_exists(conn: &Connection, relation: &str) -> duckdb::Result<bool> {
    let (schema, table) = relation.split_once('.').unwrap_or(("main", relation));
    let found: i64 = conn.query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
        |r| r.get(0),
    )?;
    Ok(found > 0)
}
