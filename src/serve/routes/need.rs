//! The tables a route reads: whether each exists, remembered for the current data
//! generation, and the 404 naming the command that builds a missing one.

use duckdb::Connection;

use crate::serve::problem::Problem;
use crate::warehouse::catalog::relation_exists;

/// Whether `relation` exists, remembered for the current data generation: tables
/// appear and go only with commits, and asking DuckDB's catalog costs more than most
/// answers do.
pub(super) fn exists(conn: &Connection, relation: &str) -> Result<bool, Problem> {
    type Known = (u64, std::collections::HashMap<String, bool>);
    static KNOWN: std::sync::Mutex<Option<Known>> = std::sync::Mutex::new(None);
    let generation = crate::warehouse::generation();
    if let Some((seen, known)) = KNOWN.lock().expect("catalog cache lock").as_ref()
        && *seen == generation
        && let Some(&found) = known.get(relation)
    {
        return Ok(found);
    }
    let found = relation_exists(conn, relation).map_err(Problem::internal)?;
    let mut guard = KNOWN.lock().expect("catalog cache lock");
    let entry = guard.get_or_insert_with(|| (generation, Default::default()));
    if entry.0 != generation {
        *entry = (generation, Default::default());
    }
    entry.1.insert(relation.to_string(), found);
    Ok(found)
}

/// Fails with the command that builds `relation` when it does not exist.
pub(super) fn need(conn: &Connection, relation: &str, command: &str) -> Result<(), Problem> {
    if exists(conn, relation)? {
        Ok(())
    } else {
        Err(Problem::missing(relation, command))
    }
}
