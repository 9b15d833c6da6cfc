//! What every ML job does the same way: checking its input relations, stopping when
//! cancelled, replacing its output tables, recording its data window and spreading work
//! over the cores.

use duckdb::Connection;
use duckdb::arrow::array::RecordBatch;

use super::error::MlError;
use super::error::Result;
use super::frames;
use crate::jobs::{CancelToken, Cancelled};

/// Fails with "run `ecom models build` first" unless every `schema.table` exists.
pub fn require_relations(conn: &Connection, relations: &[&str]) -> Result<()> {
    for relation in relations {
        if !crate::warehouse::catalog::relation_exists(conn, relation)? {
            return Err(MlError::MartsMissing {
                relation: relation.to_string(),
            });
        }
    }
    Ok(())
}

/// Stops a job between steps when it was asked to.
pub(super) fn check(cancel: &CancelToken) -> Result<()> {
    if cancel.is_cancelled() {
        return Err(Cancelled.into());
    }
    Ok(())
}

/// Replaces `table` (`schema.name`) with `columns` (DDL) and the rows of `batch`, inside
/// the caller's transaction.
pub(super) fn replace_table(
    conn: &Connection,
    table: &str,
    columns: &str,
    batch: RecordBatch,
) -> Result<()> {
    let (schema, name) = table
        .split_once('.')
        .expect("ml tables are schema-qualified");
    conn.execute_batch(&format!("CREATE OR REPLACE TABLE {table} ({columns})"))?;
    frames::append_batch(conn, schema, name, batch)
}

/// The first and last `column` value of `table`: the data window a run learned from.
pub(super) fn data_window(
    conn: &Connection,
    table: &str,
    column: &str,
) -> Result<(Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>)> {
    Ok(conn.query_row(
        &format!("SELECT min({column})::TIMESTAMP, max({column})::TIMESTAMP FROM {table}"),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// `f` over every input, split across the cores; results keep the inputs' order.
pub(super) fn par_map<T: Sync, R: Send>(inputs: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = inputs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = inputs
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("an ML worker thread panicked"))
            .collect()
    })
}
