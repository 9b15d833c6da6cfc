//! Views over a result: the grid's filters and sort, applied by DuckDB to the result's
//! temporary table and materialised into a table of their own, so paging, export and
//! charts read a view like any result. The user's query never runs again.

use std::time::Instant;

use duckdb::Connection;

use super::pager::{PagedResult, ResultRows};
use super::{WarehouseError, quote_ident, quote_literal};

/// One step of a view: a filter (a chip of the grid) or the sort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewStep {
    /// Rows whose `column` is (or, negated, is not) a value, given as DuckDB's own
    /// VARCHAR of it so the comparison is exact whatever the type; `None` is NULL.
    Equals {
        column: String,
        value: Option<String>,
        negate: bool,
    },
    /// A WHERE condition the user typed.
    Condition(String),
    /// The rows ordered by `column` (NULLs last).
    Sort { column: String, descending: bool },
}

impl ViewStep {
    /// How the grid shows the step as a chip.
    pub fn label(&self) -> String {
        match self {
            Self::Equals {
                column,
                value: Some(value),
                negate,
            } => format!(
                "{column} {} {}",
                if *negate { "!=" } else { "=" },
                quote_literal(value)
            ),
            Self::Equals {
                column,
                value: None,
                negate,
            } => format!("{column} IS {}NULL", if *negate { "NOT " } else { "" }),
            Self::Condition(condition) => condition.clone(),
            Self::Sort { column, descending } => {
                format!("{} {column}", if *descending { "↓" } else { "↑" })
            }
        }
    }

    /// The step's WHERE condition; `None` for the sort. A typed condition sits on lines
    /// of its own so a trailing `--` comment cannot swallow what follows.
    pub fn condition(&self) -> Option<String> {
        match self {
            Self::Equals {
                column,
                value: Some(value),
                negate,
            } => Some(format!(
                "CAST({} AS VARCHAR) {} {}",
                quote_ident(column),
                // `!=` keeps the NULLs too: they are not equal to the value either.
                if *negate { "IS DISTINCT FROM" } else { "=" },
                quote_literal(value)
            )),
            Self::Equals {
                column,
                value: None,
                negate,
            } => Some(format!(
                "{} IS {}NULL",
                quote_ident(column),
                if *negate { "NOT " } else { "" }
            )),
            Self::Condition(condition) => Some(format!("(\n{condition}\n)")),
            Self::Sort { .. } => None,
        }
    }
}

/// The SELECT applying `steps` to the temporary table `source`: every filter, and the
/// last sort (a view has one), stable: ties keep the result's order.
pub fn view_sql(source: &str, steps: &[ViewStep]) -> String {
    let conditions: Vec<String> = steps.iter().filter_map(ViewStep::condition).collect();
    let mut sql = format!("SELECT * FROM temp.{source}");
    if !conditions.is_empty() {
        sql += &format!("\nWHERE {}", conditions.join("\n  AND "));
    }
    let sort = steps.iter().rev().find_map(|s| match s {
        ViewStep::Sort { column, descending } => Some((column, *descending)),
        _ => None,
    });
    if let Some((column, descending)) = sort {
        sql += &format!(
            "\nORDER BY {} {} NULLS LAST, rowid",
            quote_ident(column),
            if descending { "DESC" } else { "ASC" }
        );
    }
    sql
}

/// The temporary table of the view of query `base`'s result (one per result: a new
/// view replaces the old one's table).
pub fn view_table(base: u64) -> String {
    format!("ecom_view_{base}")
}

/// Drops the view table of query `base`'s result, if there is one.
pub fn drop_view(conn: &Connection, base: u64) -> Result<(), WarehouseError> {
    conn.execute_batch(&format!("DROP TABLE IF EXISTS temp.{}", view_table(base)))?;
    Ok(())
}

/// The temporary table holding `result`'s rows (results of SHOW or DDL have none).
pub fn table_of<'a>(
    result: &'a PagedResult,
    what: &'static str,
) -> Result<&'a str, WarehouseError> {
    match &result.rows {
        ResultRows::Table(table) => Ok(table),
        ResultRows::Inline(_) => Err(WarehouseError::NoTable(what)),
    }
}

/// Materialises `steps` over `base` into the temporary table `target` (replacing the
/// previous view there, which a failing step leaves as it was). The SELECT goes to
/// DuckDB's `query()` as one string literal, which takes a single SELECT: a typed
/// condition cannot end the statement and smuggle another one in (`1); DROP …`).
pub fn materialise(
    conn: &Connection,
    base: &PagedResult,
    target: &str,
    steps: &[ViewStep],
) -> Result<PagedResult, WarehouseError> {
    let started = Instant::now();
    let source = table_of(base, "a filter or a sort")?;
    conn.execute(
        &format!(
            "CREATE OR REPLACE TEMP TABLE {target} AS FROM query({})",
            quote_literal(&view_sql(source, steps))
        ),
        [],
    )?;
    let total_rows: i64 =
        conn.query_row(&format!("SELECT count(*) FROM temp.{target}"), [], |r| {
            r.get(0)
        })?;
    Ok(PagedResult {
        columns: base.columns.clone(),
        total_rows: total_rows as u64,
        elapsed: started.elapsed(),
        rows: ResultRows::Table(target.to_string()),
    })
}

/// DuckDB's own VARCHAR of one cell (`None` for NULL): what an `=` filter compares.
pub fn cell_text(
    conn: &Connection,
    result: &PagedResult,
    column: &str,
    row: u64,
) -> Result<Option<String>, WarehouseError> {
    let table = table_of(result, "a filter")?;
    Ok(conn.query_row(
        &format!(
            "SELECT CAST({} AS VARCHAR) FROM temp.{table} WHERE rowid = ?",
            quote_ident(column)
        ),
        [row as i64],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warehouse::pager;

    fn hostile(conn: &Connection) -> PagedResult {
        pager::run(
            conn,
            "SELECT * FROM (VALUES (1, 'O''Brien', 1.5), (2, NULL, 2.25), (3, 'x', NULL), (4, 'O''Brien', 0.1 + 0.2)) AS t(\"select\", \"we\"\"ird\", amount)",
            &pager::result_table(1, 0),
        )
        .unwrap()
    }

    #[test]
    fn conditions_quote_hostile_names_and_values() {
        let step = ViewStep::Equals {
            column: "we\"ird".into(),
            value: Some("O'Brien".into()),
            negate: false,
        };
        assert_eq!(
            step.condition().unwrap(),
            "CAST(\"we\"\"ird\" AS VARCHAR) = 'O''Brien'"
        );
        assert_eq!(step.label(), "we\"ird = 'O''Brien'");
        let null = ViewStep::Equals {
            column: "select".into(),
            value: None,
            negate: true,
        };
        assert_eq!(null.condition().unwrap(), "\"select\" IS NOT NULL");
        assert_eq!(null.label(), "select IS NOT NULL");
        let sort = ViewStep::Sort {
            column: "select".into(),
            descending: true,
        };
        assert_eq!(sort.condition(), None);
        assert_eq!(sort.label(), "↓ select");
        assert_eq!(
            view_sql("ecom_result_1", &[null, sort, step]),
            "SELECT * FROM temp.ecom_result_1\nWHERE \"select\" IS NOT NULL\n  AND \
             CAST(\"we\"\"ird\" AS VARCHAR) = 'O''Brien'\nORDER BY \"select\" DESC NULLS LAST, rowid"
        );
    }

    #[test]
    fn views_filter_and_sort_the_result_table_exactly() {
        let conn = Connection::open_in_memory().unwrap();
        let base = hostile(&conn);
        // The cell value comes from DuckDB: 0.1 + 0.2 is not the grid's rounded text.
        let amount = cell_text(&conn, &base, "amount", 3).unwrap().unwrap();
        let equal = |column: &str, value: Option<String>, negate| ViewStep::Equals {
            column: column.into(),
            value,
            negate,
        };
        let view = materialise(
            &conn,
            &base,
            "ecom_view_1",
            &[equal("amount", Some(amount), false)],
        )
        .unwrap();
        assert_eq!(view.total_rows, 1);
        assert_eq!(pager::page(&conn, &view, 0, 10).unwrap()[0][0], "4");
        let name = cell_text(&conn, &base, "we\"ird", 0).unwrap();
        let steps = [
            equal("we\"ird", name, false),
            ViewStep::Sort {
                column: "select".into(),
                descending: true,
            },
        ];
        let view = materialise(&conn, &base, "ecom_view_1", &steps).unwrap();
        let rows = pager::page(&conn, &view, 0, 10).unwrap();
        assert_eq!(
            rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
            ["4", "1"]
        );
        // NULL cells: IS NULL, and != keeps the NULLs.
        let null = cell_text(&conn, &base, "we\"ird", 1).unwrap();
        assert_eq!(null, None);
        let view = materialise(
            &conn,
            &base,
            "ecom_view_1",
            &[equal("we\"ird", None, false)],
        );
        assert_eq!(view.unwrap().total_rows, 1);
        let not_x = equal("we\"ird", Some("x".into()), true);
        let view = materialise(&conn, &base, "ecom_view_1", &[not_x]).unwrap();
        assert_eq!(view.total_rows, 3);
    }

    #[test]
    fn a_bad_condition_fails_and_leaves_the_view_as_it_was() {
        let conn = Connection::open_in_memory().unwrap();
        let base = hostile(&conn);
        let view = materialise(
            &conn,
            &base,
            "ecom_view_1",
            &[ViewStep::Condition("\"select\" > 1 -- a comment".into())],
        )
        .unwrap();
        assert_eq!(view.total_rows, 3);
        for bad in [
            "no_such_column = 1",
            "1 = 1); DROP TABLE temp.ecom_result_1; SELECT (1",
        ] {
            let err = materialise(
                &conn,
                &base,
                "ecom_view_1",
                &[ViewStep::Condition(bad.into())],
            )
            .unwrap_err();
            assert!(!err.to_string().is_empty());
        }
        assert_eq!(pager::page(&conn, &view, 0, 10).unwrap().len(), 3);
        assert_eq!(pager::page(&conn, &base, 0, 10).unwrap().len(), 4);
    }
}
