//! The database itself refuses what the query route must never reach, whatever the
//! [`super::guard`] check lets through.
//!
//! Before `serve` answers anything it sets, on its one DuckDB database:
//! - `allowed_directories` to the folders its own background jobs need (the model
//!   project with its seeds, the export staging and destination folders, and any
//!   `--allow-dir`), then `enable_external_access = false`: every other file, URL,
//!   `ATTACH` or extension load is refused by DuckDB ("file system operations are
//!   disabled by configuration"), and the setting cannot be turned back on while the
//!   database runs;
//! - `memory_limit`, when asked for;
//! - `lock_configuration = true`: every later `SET`, by anyone, fails.
//!
//! These settings are global to the database, so the pipeline and the tail running in
//! the same process live under them too: that is why their folders are listed, and
//! nothing more. The database file, its write-ahead log and its spill folder are
//! DuckDB's own and stay reachable.

use std::path::{Path, PathBuf};

use duckdb::Connection;

use super::error::ServeError;
use crate::warehouse::quote_literal;

/// What the database may still reach once locked.
#[derive(Debug, Clone, Default)]
pub struct Sandbox {
    /// Folders DuckDB may read and write (created when missing).
    pub allowed_dirs: Vec<PathBuf>,
    /// DuckDB's `memory_limit` (e.g. `4GB`); DuckDB's default when `None`.
    pub memory_limit: Option<String>,
}

impl Sandbox {
    /// Applies the sandbox to `conn`'s database. Irreversible while it runs.
    pub fn lock(&self, conn: &Connection) -> Result<Vec<PathBuf>, ServeError> {
        let dirs = self
            .allowed_dirs
            .iter()
            .map(|dir| folder(dir))
            .collect::<Result<Vec<_>, _>>()?;
        let list = dirs
            .iter()
            .map(|dir| quote_literal(&format!("{}/", dir.display())))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = String::from(
            "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false;",
        );
        if let Some(limit) = &self.memory_limit {
            sql.push_str(&format!("SET memory_limit = {};", quote_literal(limit)));
        }
        sql.push_str(&format!(
            "SET allowed_directories = [{list}]::VARCHAR[]; SET enable_external_access = false; \
             SET lock_configuration = true;"
        ));
        conn.execute_batch(&sql).map_err(ServeError::Lock)?;
        Ok(dirs)
    }
}

/// `dir` made to exist, as an absolute path without symlinks (DuckDB compares the
/// paths that queries name against these prefixes).
fn folder(dir: &Path) -> Result<PathBuf, ServeError> {
    std::fs::create_dir_all(dir).map_err(|source| ServeError::CreateDir {
        dir: dir.to_path_buf(),
        source,
    })?;
    std::fs::canonicalize(dir).map_err(|source| ServeError::Resolve {
        dir: dir.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_database_reaches_only_its_folders_and_takes_no_setting() {
        let root = tempfile::tempdir().unwrap();
        let (allowed, other) = (root.path().join("allowed"), root.path().join("other"));
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("secret.csv"), "a\n1\n").unwrap();
        let conn = Connection::open(root.path().join("w.duckdb")).unwrap();
        Sandbox {
            allowed_dirs: vec![allowed.clone()],
            memory_limit: Some("1GB".into()),
        }
        .lock(&conn)
        .unwrap();
        let reader = conn.try_clone().unwrap();
        let out = allowed.join("out.parquet");
        reader
            .execute_batch(&format!(
                "COPY (SELECT 1 AS a) TO '{}' (FORMAT parquet)",
                out.display()
            ))
            .unwrap();
        let back: i64 = reader
            .query_row(&format!("SELECT a FROM '{}'", out.display()), [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(back, 1);
        for refused in [
            format!("SELECT * FROM '{}'", other.join("secret.csv").display()),
            format!("SELECT * FROM '{}/../other/secret.csv'", allowed.display()),
            format!("COPY (SELECT 1) TO '{}'", other.join("x.csv").display()),
            format!("ATTACH '{}'", other.join("x.duckdb").display()),
            "SELECT * FROM glob('/*')".to_string(),
            "SET enable_external_access = true".to_string(),
            "SET allowed_directories = ['/']".to_string(),
            "SET threads = 1".to_string(),
            "INSTALL httpfs".to_string(),
        ] {
            assert!(reader.execute_batch(&refused).is_err(), "{refused} ran");
        }
        assert!(!other.join("x.csv").exists());
    }
}
