//! Numbered schema migrations, recorded in `meta.schema_migrations`.
//!
//! Each migration runs in its own transaction together with its record, so a crash
//! leaves the warehouse at a known version. A warehouse whose highest version is above
//! what this binary knows was written by a newer ecom and is refused.

use duckdb::Connection;

use super::WarehouseError;

/// `(version, name, sql)`, in order. Append only; never edit a released migration.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "schemas, raw order lines, quarantine, ingest bookkeeping",
        include_str!("migrations/001_schemas.sql"),
    ),
    (
        2,
        "pipeline runs and job attempts",
        include_str!("migrations/002_job_runs.sql"),
    ),
    (
        3,
        "ml schema and model runs",
        include_str!("migrations/003_ml.sql"),
    ),
    (
        4,
        "stream tables: events, windows, offsets, late events, dead letters",
        include_str!("migrations/004_stream.sql"),
    ),
    (
        5,
        "api tokens",
        include_str!("migrations/005_api_tokens.sql"),
    ),
    (
        6,
        "window revenue as DECIMAL(38, 3)",
        include_str!("migrations/006_window_revenue.sql"),
    ),
    (
        7,
        "order lines' currency and source preset; customer keys from e-mails",
        include_str!("migrations/007_shop_shapes.sql"),
    ),
    (
        8,
        "narrow stream.events: enrichment moves to the view stream.events_enriched",
        include_str!("migrations/008_narrow_events.sql"),
    ),
];

/// The highest schema version this binary understands.
pub fn latest_version() -> i32 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

const BOOKKEEPING: &str = "
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.schema_migrations (
    version      INTEGER PRIMARY KEY,
    name         VARCHAR NOT NULL,
    applied_at   TIMESTAMP NOT NULL,
    ecom_version VARCHAR NOT NULL
);";

/// Brings the warehouse up to [`latest_version`]; returns how many migrations ran.
pub fn migrate(conn: &Connection) -> Result<usize, WarehouseError> {
    conn.execute_batch(BOOKKEEPING)?;
    let current: i32 = conn.query_row(
        "SELECT coalesce(max(version), 0) FROM meta.schema_migrations",
        [],
        |r| r.get(0),
    )?;
    if current > latest_version() {
        return Err(WarehouseError::TooNew {
            found: current,
            supported: latest_version(),
        });
    }
    let mut applied = 0;
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO meta.schema_migrations VALUES (?, ?, now()::TIMESTAMP, ?)",
            duckdb::params![version, name, crate::VERSION],
        )?;
        tx.commit()?;
        tracing::info!(version, name, "applied migration");
        applied += 1;
    }
    Ok(applied)
}
