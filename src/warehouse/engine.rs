//! How ecom opens DuckDB, for the warehouse and for every scratch database: with ICU
//! built in and nothing ever fetched. Whatever works offline on this machine works
//! the same on a laptop, because the only extensions are the ones compiled into the
//! binary (core functions, Parquet and JSON from libduckdb-sys, ICU from build.rs).

use std::ffi::{c_int, c_void};
use std::path::Path;
use std::sync::Once;

use duckdb::{Config, Connection};

unsafe extern "C" {
    /// Written in `icu_describe.cpp`, compiled by build.rs.
    fn ecom_duckdb_icu_describe(descriptor: *mut c_void) -> i32;
    /// DuckDB's C API: registers a statically linked extension for every database
    /// opened afterwards.
    fn duckdb_register_static_extension(
        describe: unsafe extern "C" fn(*mut c_void) -> i32,
    ) -> c_int;
}

/// Registers ICU once per process, before the first database opens.
fn register_builtin_extensions() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: both are plain C functions; the describe function only fills in the
        // descriptor DuckDB hands it, and registration is idempotent per name.
        let status = unsafe { duckdb_register_static_extension(ecom_duckdb_icu_describe) };
        assert_eq!(status, 0, "DuckDB refused ecom's built-in ICU extension");
    });
}

/// Settings of every database ecom opens: an extension DuckDB knows but ecom lacks
/// is an error naming it, never a download or a load from the user's extension folder.
fn config() -> duckdb::Result<Config> {
    Config::default()
        .with("autoinstall_known_extensions", "false")?
        .with("autoload_known_extensions", "false")
}

/// Opens (creating if needed) the database file at `path`.
pub fn open(path: &Path) -> duckdb::Result<Connection> {
    register_builtin_extensions();
    Connection::open_with_flags(path, config()?)
}

/// A private in-memory database (ingest's mapping engine, file readers, tests).
pub fn open_in_memory() -> duckdb::Result<Connection> {
    register_builtin_extensions();
    Connection::open_in_memory_with_flags(config()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The functions that need ICU answer offline: time zones, `current_date`, and
    /// date arithmetic over `now()` (the staging views of real dbt projects).
    #[test]
    fn icu_is_built_in() {
        let conn = open_in_memory().unwrap();
        let (day, zoned, hour): (String, String, i64) = conn
            .query_row(
                "SELECT (current_date - INTERVAL 3 DAY)::DATE::VARCHAR IS NOT NULL \
                   AND date_trunc('month', now()) <= now() AS ok_text, \
                 (TIMESTAMPTZ '2024-01-01 10:00:00+02' AT TIME ZONE 'Europe/London')::VARCHAR, \
                 date_part('hour', TIMESTAMPTZ '2024-06-01 10:00:00+00' AT TIME ZONE 'America/New_York')",
                [],
                |r| Ok((r.get::<_, bool>(0)?.to_string(), r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(day, "true");
        assert_eq!(zoned, "2024-01-01 08:00:00");
        assert_eq!(hour, 6);
    }

    /// An extension DuckDB knows but ecom does not carry fails at once with its name,
    /// never a network attempt.
    #[test]
    fn unknown_extensions_are_never_fetched() {
        let conn = open_in_memory().unwrap();
        let error = conn
            .execute_batch("SELECT * FROM read_xlsx('nothing.xlsx')")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("Could not establish connection"), "{error}");
        assert!(
            error.contains("excel") || error.contains("read_xlsx"),
            "{error}"
        );
    }
}
