//! The embedded DuckDB warehouse: one file, schemas `raw`, `staging`, `marts`, `ml`,
//! `stream` and `meta`, created by numbered migrations.
//!
//! DuckDB allows one writing process per file. A second process gets
//! [`WarehouseError::Locked`], a sentence that says who holds it and what to do.

pub mod catalog;
pub mod chart_data;
pub mod commit;
pub mod engine;
pub mod events_enriched;
pub mod find;
pub mod history;
mod migrations;
pub mod pager;
pub mod profile;
pub mod query;
pub mod statements;
pub mod view;

use std::path::{Path, PathBuf};

use duckdb::Connection;

pub use commit::generation;
pub use migrations::latest_version;

/// What can go wrong opening or using the warehouse, phrased for the user.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error(
        "the warehouse {path} is in use by another process{holder}; close that ecom \
         (or wait for it to finish), or pass --db with another file"
    )]
    Locked { path: PathBuf, holder: String },
    #[error(
        "the warehouse was written by a newer ecom (schema version {found}; this ecom \
         knows up to {supported}): upgrade ecom, or pass --db with another file"
    )]
    TooNew { found: i32, supported: i32 },
    #[error("{path} is not a DuckDB warehouse this ecom can open: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("cannot create the folder for the warehouse {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the warehouse file {path} would be a database named `{name}`, the name of one of \
         its schemas, which makes every `{name}.table` ambiguous to DuckDB: pick another \
         file name (e.g. {name}-warehouse.duckdb)"
    )]
    NameClash { path: PathBuf, name: String },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: csv::Error },
    #[error("{0} needs a query's rows: SHOW, PRAGMA and DDL results have none")]
    NoTable(&'static str),
    #[error("{0}")]
    Db(#[from] duckdb::Error),
}

/// The warehouse's schemas: DuckDB names a database after its file, so a file named like
/// one of them cannot be opened usefully.
const SCHEMAS: [&str; 6] = ["raw", "staging", "marts", "ml", "stream", "meta"];

/// An open warehouse: the connection of this process plus where the file lives.
pub struct Warehouse {
    conn: Connection,
    path: PathBuf,
}

impl Warehouse {
    /// Opens (creating if needed) the warehouse at `path` and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self, WarehouseError> {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        if SCHEMAS.contains(&stem.as_str()) {
            return Err(WarehouseError::NameClash {
                path: path.to_owned(),
                name: stem,
            });
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| WarehouseError::CreateDir {
                path: path.to_owned(),
                source,
            })?;
        }
        let conn = engine::open(path).map_err(|e| explain_open_error(path, e))?;
        migrations::migrate(&conn)?;
        events_enriched::define(&conn)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// A second connection to the same database, for a worker thread (one per worker).
    pub fn connect(&self) -> Result<Connection, WarehouseError> {
        Ok(self.conn.try_clone()?)
    }

    /// Size of the warehouse file on disk, in bytes.
    pub fn file_size(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }
}

/// Turns DuckDB's open errors (C++ exception text) into sentences.
fn explain_open_error(path: &Path, error: duckdb::Error) -> WarehouseError {
    let text = error.to_string();
    if text.contains("Could not set lock") || text.contains("Conflicting lock") {
        let holder = text
            .split("PID ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .filter(|pid| !pid.is_empty())
            .map(|pid| format!(" (PID {pid})"))
            .unwrap_or_default();
        return WarehouseError::Locked {
            path: path.to_owned(),
            holder,
        };
    }
    if text.contains("not a valid DuckDB database")
        || text.contains("newer version")
        || text.contains("older version")
        || text.contains("Serialization Error")
        || text.contains("database file")
    {
        return WarehouseError::Unreadable {
            path: path.to_owned(),
            reason: first_line(&text),
        };
    }
    WarehouseError::Db(error)
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).trim().to_string()
}

/// Quotes an identifier for SQL (`"name"`, doubling inner quotes).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal for SQL (`'text'`, doubling inner quotes).
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_creates_schemas_and_records_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(&dir.path().join("sub/w.duckdb")).unwrap();
        let schemas: i64 = wh
            .conn()
            .query_row(
                "SELECT count(*) FROM duckdb_schemas() WHERE schema_name IN \
                 ('raw','staging','marts','ml','stream','meta') AND database_name = current_database()",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(schemas, 6);
        let version: i32 = wh
            .conn()
            .query_row("SELECT max(version) FROM meta.schema_migrations", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(version, latest_version());
        drop(wh);
        // Re-opening applies nothing new.
        let again = Warehouse::open(&dir.path().join("sub/w.duckdb")).unwrap();
        assert_eq!(migrations::migrate(again.conn()).unwrap(), 0);
    }

    #[test]
    fn newer_warehouse_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.duckdb");
        let wh = Warehouse::open(&path).unwrap();
        wh.conn()
            .execute(
                "INSERT INTO meta.schema_migrations VALUES (999, 'future', now()::TIMESTAMP, '9.9')",
                [],
            )
            .unwrap();
        drop(wh);
        let err = Warehouse::open(&path).err().unwrap().to_string();
        assert!(err.contains("newer ecom"), "{err}");
    }

    #[test]
    fn non_database_file_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not.duckdb");
        std::fs::write(&path, "InvoiceNo,StockCode\n1,2\n").unwrap();
        let err = Warehouse::open(&path).err().unwrap().to_string();
        assert!(err.contains("not.duckdb"), "{err}");
    }
}
