//! What `POST /api/v1/query` may run: one `SELECT` that reads the warehouse's analytics
//! schemas (`raw`, `staging`, `marts`, `ml`, `stream`) and nothing else, and writes
//! nothing.
//!
//! The check follows DuckDB's own reading of the query, in three steps:
//! 1. [`syntax`]: DuckDB parses it (`json_serialize_sql`); it must be one `SELECT`,
//!    with no table function but generators, no function that reads settings or
//!    changes state, and no `SHOW` of settings or of every schema.
//! 2. [`catalog`]: `information_schema` views are narrowed to the served schemas.
//! 3. [`plan`]: DuckDB binds it (`json_serialize_plan`); every scan of the bound plan
//!    must be a served table of this warehouse (views expanded, CTEs resolved in their
//!    own scopes), and no operator may write.
//!
//! This check is the first wall, not the only one: the server also takes file access,
//! extensions and settings away from the whole database ([`super::sandbox`]), and
//! runs each query in a `READ ONLY` transaction.

mod catalog;
mod json;
mod parameters;
mod plan;
mod syntax;
mod verdict;

use duckdb::Connection;

pub use verdict::{CheckError, Refusal, SERVED_SCHEMAS};

/// Checks `sql`; returns the SQL to run (`sql` itself, or with `information_schema`
/// narrowed).
pub fn check(conn: &Connection, sql: &str) -> Result<String, CheckError> {
    // DuckDB's parser reads C strings: text after a NUL would be checked by no one.
    if sql.contains('\0') {
        return Err(CheckError::Invalid("the SQL holds a NUL character".into()));
    }
    let parsed = syntax::parse(conn, sql)?;
    let database: String = conn.query_row("SELECT current_database()", [], |r| r.get(0))?;
    for query in parsed.described {
        let inner = statement_sql(conn, query)?;
        plan::check(conn, &inner, &database)?;
    }
    for name in parsed.shown {
        // `SHOW x` describes a table, or shows a setting when no table has that name.
        match plan::check(conn, &format!("SELECT * FROM {name}"), &database) {
            Err(CheckError::Invalid(_)) => return Err(Refusal::Show.into()),
            other => other?,
        }
    }
    let sql = if parsed.information_schema {
        catalog::narrow(conn, parsed.document)?
    } else {
        sql.to_string()
    };
    plan::check(conn, &sql, &database)?;
    Ok(sql)
}

/// Checks `sql` whose `$name` parameters are bound when it runs (a dashboard's
/// queries): DuckDB cannot plan an unbound parameter, so the check runs on the query
/// with each parameter as `NULL`. Returns `sql` to run with its parameters; a query the
/// check would rewrite (`information_schema`, narrowed) cannot keep its parameters
/// through that and is refused.
pub fn check_with_parameters(conn: &Connection, sql: &str) -> Result<String, CheckError> {
    if sql.contains('\0') {
        return check(conn, sql);
    }
    let Some(stand_in) = parameters::stand_in(conn, sql)? else {
        return check(conn, sql);
    };
    if check(conn, &stand_in)? != stand_in {
        return Err(Refusal::Uncheckable(
            "information_schema in a query with parameters; list the tables without parameters"
                .into(),
        )
        .into());
    }
    Ok(sql.to_string())
}

/// The SQL of one query node of a syntax tree, written by DuckDB.
fn statement_sql(conn: &Connection, node: serde_json::Value) -> Result<String, CheckError> {
    let document = serde_json::json!({
        "error": false,
        "statements": [{"node": node, "named_param_map": []}],
    });
    json::deserialized(conn, &document)
}

#[cfg(test)]
mod tests;
