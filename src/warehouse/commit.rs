//! The one way new data is committed to the warehouse.
//!
//! `ecom serve` caches answers by the warehouse's data generation, so a writer that
//! committed without moving the generation would let the API serve stale figures.
//! Every writer therefore ends its transaction here: [`commit`] for a transaction it
//! began itself, [`commit_batch`] for a block of SQL, [`in_transaction`] for a closure,
//! [`execute_as_written`] for a user's SQL that manages its own transactions.
//! The counter itself is private to this file.

use std::sync::atomic::{AtomicU64, Ordering};

use duckdb::{Connection, Transaction};

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// How many commits of new data (ingest, model builds, ML runs, tail batches, pipeline
/// SQL jobs) this process has made. DuckDB lets one process write a file, so within that
/// process this number changes exactly when the data does: `ecom serve` keys its answer
/// cache on it, and an answer is never served from before the latest commit.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

fn moved() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// Commits `tx` and moves the data generation.
pub fn commit(tx: Transaction<'_>) -> duckdb::Result<()> {
    tx.commit()?;
    moved();
    Ok(())
}

/// Runs `sql` (statements that write) in one transaction, rolling back when a statement
/// fails, and moves the data generation when it committed.
pub fn commit_batch(conn: &Connection, sql: &str) -> duckdb::Result<()> {
    conn.execute_batch("BEGIN TRANSACTION")?;
    if let Err(e) = conn.execute_batch(sql) {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(e);
    }
    conn.execute_batch("COMMIT")?;
    moved();
    Ok(())
}

/// Runs a user's `sql` as written (each statement commits by itself, and the SQL may
/// manage its own transactions), then moves the data generation, also when a statement
/// failed: the statements before it are already committed.
pub fn execute_as_written(conn: &Connection, sql: &str) -> duckdb::Result<()> {
    let result = conn.execute_batch(sql);
    moved();
    result
}

/// Runs `write` inside a transaction on `conn`; commits and moves the generation when it
/// returns `Ok`, rolls back when it returns `Err`.
pub fn in_transaction<T, E: From<duckdb::Error>>(
    conn: &Connection,
    write: impl FnOnce(&Connection) -> Result<T, E>,
) -> Result<T, E> {
    conn.execute_batch("BEGIN TRANSACTION")?;
    match write(conn) {
        Ok(value) => {
            if let Err(e) = conn.execute_batch("COMMIT") {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
            moved();
            Ok(value)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_moves_the_generation_only_when_it_committed() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
        let before = generation();
        commit_batch(&conn, "INSERT INTO t VALUES (1)").unwrap();
        assert!(generation() > before);

        let before = generation();
        assert!(commit_batch(&conn, "INSERT INTO t VALUES (2); SELECT nope").is_err());
        let failed: Result<(), duckdb::Error> = in_transaction(&conn, |c| {
            c.execute_batch("INSERT INTO t VALUES (3)")?;
            c.execute_batch("SELECT nope")
        });
        assert!(failed.is_err());
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1, "failed writes were rolled back");

        let mut conn = conn;
        let tx = conn.transaction().unwrap();
        tx.execute_batch("INSERT INTO t VALUES (4)").unwrap();
        commit(tx).unwrap();
        assert!(generation() > before);

        let before = generation();
        assert!(execute_as_written(&conn, "INSERT INTO t VALUES (5); SELECT nope").is_err());
        assert!(generation() > before, "the first statement did commit");
    }
}
