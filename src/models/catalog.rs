//! What the warehouse's catalog says about a relation: whether it exists and as what,
//! and its columns. The runner, snapshots, unit tests and the Jinja `adapter` all ask
//! these questions, and ask them here.

use duckdb::Connection;

/// The database every relation lands in (dbt's `target.database`).
pub const TARGET_DATABASE: &str = "main";

/// A column and its DuckDB type.
pub type Column = (String, String);

/// What a relation is in the warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    /// `BASE TABLE` in the catalog.
    Table,
    View,
}

/// The kind of `schema.identifier` when it exists in the current database (DuckDB's
/// catalog functions are much cheaper than `information_schema`).
pub fn relation_kind(conn: &Connection, schema: &str, identifier: &str) -> Option<RelationKind> {
    conn.query_row(
        "SELECT 'BASE TABLE' FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = ?1 AND table_name = ?2
         UNION ALL
         SELECT 'VIEW' FROM duckdb_views() WHERE database_name = current_database() AND schema_name = ?1 AND view_name = ?2",
        [schema, identifier],
        |r| r.get::<_, String>(0),
    )
    .ok()
    .map(|kind| {
        if kind == "VIEW" {
            RelationKind::View
        } else {
            RelationKind::Table
        }
    })
}

/// The columns of `schema.identifier` in the warehouse (none when it does not exist).
pub fn relation_columns(
    conn: &Connection,
    schema: &str,
    identifier: &str,
) -> duckdb::Result<Vec<Column>> {
    let mut stmt = conn.prepare(
        "SELECT column_name, data_type FROM information_schema.columns \
         WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
    )?;
    let columns = stmt.query_map([schema, identifier], |r| Ok((r.get(0)?, r.get(1)?)))?;
    columns.collect()
}

/// The columns a query returns, without running it (unit tests and snapshots).
pub fn query_columns(conn: &Connection, sql: &str) -> duckdb::Result<Vec<Column>> {
    let mut stmt = conn.prepare(&format!("DESCRIBE SELECT * FROM (\n{sql}\n) AS described"))?;
    let columns = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    columns.collect()
}
