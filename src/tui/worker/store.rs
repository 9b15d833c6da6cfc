//! The worker's results: each statement's result and the view of it its grid shows,
//! and the grid's jobs on them (views materialised from a result into
//! `temp.ecom_view_{query}` and registered as a result of their own, searches, column
//! profiles). The worker runs each job marked as its running query, so it can be
//! interrupted.

use std::collections::BTreeMap;

use duckdb::Connection;

use super::explain_query_error;
use crate::tui::failure::{Failure, Reported};
use crate::tui::grid::GridResult;
use crate::tui::grid::jobs::{GridAnswer, GridJob};
use crate::warehouse::pager::PagedResult;
use crate::warehouse::{find, profile, view};

const GONE: &str = "the result is gone: run the query again";

/// Where a statement's result belongs: its SQL tab's slot and its place in the run.
pub type ResultKey = (u32, u32);

/// Each statement's result by tab slot and statement, with the query that made it,
/// and the view of a result its grid shows, if any: by the query whose result it
/// views, with the grid job that made it.
#[derive(Default)]
pub struct ResultStore {
    queries: BTreeMap<ResultKey, (u64, PagedResult)>,
    views: BTreeMap<u64, (u64, PagedResult)>,
}

impl ResultStore {
    /// The result or view made by query or grid job `id`.
    pub fn get(&self, id: u64) -> Option<&PagedResult> {
        self.queries
            .values()
            .chain(self.views.values())
            .find(|(made_by, _)| *made_by == id)
            .map(|(_, result)| result)
    }

    /// Query `id`'s result at `key`: the result it replaces goes, with its view.
    pub fn insert(&mut self, conn: &Connection, key: ResultKey, id: u64, result: PagedResult) {
        if let Some((old_id, old)) = self.queries.insert(key, (id, result)) {
            self.drop_view(conn, old_id);
            if self
                .queries
                .get(&key)
                .is_some_and(|(_, new)| new.rows != old.rows)
            {
                drop_result(conn, &old);
            }
        }
    }

    /// Drops every result of a SQL tab's `slot` and their views (the tab closed, or its
    /// SQL runs again).
    pub fn remove_slot(&mut self, conn: &Connection, slot: u32) {
        let keys: Vec<ResultKey> = self
            .queries
            .range((slot, 0)..=(slot, u32::MAX))
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            if let Some((id, result)) = self.queries.remove(&key) {
                self.drop_view(conn, id);
                drop_result(conn, &result);
            }
        }
    }

    /// Drops the view of query `base`'s result and its table, so no view outlives
    /// what it shows.
    fn drop_view(&mut self, conn: &Connection, base: u64) {
        if self.views.remove(&base).is_some()
            && let Err(e) = view::drop_view(conn, base)
        {
            tracing::warn!(error = %e, base, "dropping a view's table");
        }
    }

    /// Whether no result is kept.
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty() && self.views.is_empty()
    }

    /// Runs grid job `id`; a view becomes the result made by `id`.
    pub fn run_grid_job(
        &mut self,
        conn: &Connection,
        id: u64,
        job: GridJob,
    ) -> Reported<GridAnswer> {
        run(conn, self, id, job)
    }
}

fn drop_result(conn: &Connection, result: &PagedResult) {
    if let Err(e) = crate::warehouse::pager::discard(conn, result) {
        tracing::warn!(error = %e, "dropping a result nobody shows");
    }
}

fn run(
    conn: &Connection,
    results: &mut ResultStore,
    id: u64,
    job: GridJob,
) -> Reported<GridAnswer> {
    let failed = |e: crate::warehouse::WarehouseError| Failure(explain_query_error(&e.to_string()));
    match job {
        GridJob::View {
            base,
            mut steps,
            cell,
        } => {
            if let Some(cell) = cell {
                let shown = results.get(cell.query_id).ok_or(GONE)?;
                let value = view::cell_text(conn, shown, &cell.column, cell.row).map_err(failed)?;
                steps.push(view::ViewStep::Equals {
                    column: cell.column,
                    value,
                    negate: cell.negate,
                });
            }
            let (_, base_result) = results
                .queries
                .values()
                .find(|(made_by, _)| *made_by == base)
                .ok_or(GONE)?;
            if steps.is_empty() {
                let result = GridResult::of(base, base_result);
                results.drop_view(conn, base);
                return Ok(GridAnswer::View { result, steps });
            }
            let shown = view::materialise(conn, base_result, &view::view_table(base), &steps)
                .map_err(failed)?;
            let result = GridResult::of(id, &shown);
            results.views.insert(base, (id, shown));
            Ok(GridAnswer::View { result, steps })
        }
        GridJob::Find {
            query_id,
            text,
            from,
            forward,
        } => {
            let shown = results.get(query_id).ok_or(GONE)?;
            let found = find::find(conn, shown, &text, from, forward).map_err(failed)?;
            Ok(GridAnswer::Found(found))
        }
        GridJob::Profile { query_id, column } => {
            let shown = results.get(query_id).ok_or(GONE)?;
            let profile = profile::profile(conn, shown, &column).map_err(failed)?;
            Ok(GridAnswer::Profile(Box::new(profile)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::grid::jobs::CellFilter;
    use crate::warehouse::pager;
    use crate::warehouse::view::ViewStep;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'temp' ORDER BY 1",
            )
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn views_are_new_results_built_from_the_base_and_dropped_when_undone() {
        let conn = Connection::open_in_memory().unwrap();
        let mut results = ResultStore::default();
        let base = pager::run(
            &conn,
            "SELECT range AS n, CASE WHEN range % 2 = 0 THEN 'even' END AS parity FROM range(5000000)",
            &pager::result_table(1, 0),
        )
        .unwrap();
        results.insert(&conn, (1, 0), 1, base);
        // `=` on a cell of the result shown (row 3: parity NULL).
        let cell = CellFilter {
            query_id: 1,
            row: 3,
            column: "parity".into(),
            negate: false,
        };
        let job = |steps, cell| GridJob::View {
            base: 1,
            steps,
            cell,
        };
        let Ok(GridAnswer::View { result, steps }) =
            results.run_grid_job(&conn, 2, job(vec![], Some(cell)))
        else {
            panic!("the view failed");
        };
        assert_eq!((result.query_id, result.total_rows), (2, 2_500_000));
        assert_eq!(steps[0].label(), "parity IS NULL");
        // Sorting the view: a new result again, from the base, one view table.
        let mut sorted = steps.clone();
        sorted.push(ViewStep::Sort {
            column: "n".into(),
            descending: true,
        });
        let Ok(GridAnswer::View { result, .. }) = results.run_grid_job(&conn, 3, job(sorted, None))
        else {
            panic!("the sort failed");
        };
        let page = pager::page(&conn, results.get(3).unwrap(), 0, 2).unwrap();
        assert_eq!(page, vec![vec!["4999999", "NULL"], vec!["4999997", "NULL"]]);
        assert_eq!(result.total_rows, 2_500_000);
        assert!(results.get(2).is_none(), "the older view is replaced");
        assert_eq!(tables(&conn), ["ecom_result_1_0", "ecom_view_1"]);
        // Searching and profiling the view.
        let found = results.run_grid_job(
            &conn,
            4,
            GridJob::Find {
                query_id: 3,
                text: "4000001".into(),
                from: 0,
                forward: true,
            },
        );
        let Ok(GridAnswer::Found(Some(found))) = found else {
            panic!("{found:?}");
        };
        assert_eq!(
            (found.row, found.matches),
            (499_999, 1),
            "4999999 - 2 × row"
        );
        let profiled = results.run_grid_job(
            &conn,
            5,
            GridJob::Profile {
                query_id: 3,
                column: "parity".into(),
            },
        );
        let Ok(GridAnswer::Profile(p)) = profiled else {
            panic!("{profiled:?}");
        };
        assert_eq!((p.rows, p.nulls, p.distinct), (2_500_000, 2_500_000, 0));
        // Undoing every step shows the base again and drops the view table.
        let Ok(GridAnswer::View { result, .. }) = results.run_grid_job(&conn, 6, job(vec![], None))
        else {
            panic!("the undo failed");
        };
        assert_eq!((result.query_id, result.total_rows), (1, 5_000_000));
        assert_eq!(tables(&conn), ["ecom_result_1_0"]);
        // A bad condition is DuckDB's error, and a result that is gone says so.
        let bad = results.run_grid_job(
            &conn,
            7,
            job(vec![ViewStep::Condition("nope > 1".into())], None),
        );
        assert!(bad.unwrap_err().0.contains("nope"));
        let gone = results.run_grid_job(
            &conn,
            8,
            GridJob::View {
                base: 99,
                steps: vec![],
                cell: None,
            },
        );
        assert_eq!(gone.unwrap_err().0, GONE);
        // A new query into the tab drops the view of the one before.
        let sort = ViewStep::Sort {
            column: "n".into(),
            descending: false,
        };
        assert!(
            results
                .run_grid_job(&conn, 9, job(vec![sort], None))
                .is_ok()
        );
        assert_eq!(tables(&conn), ["ecom_result_1_0", "ecom_view_1"]);
        let next = pager::run(&conn, "SELECT 1 AS n", &pager::result_table(1, 0)).unwrap();
        results.insert(&conn, (1, 0), 10, next);
        assert_eq!(tables(&conn), ["ecom_result_1_0"]);
        assert!(results.get(9).is_none());
    }
}
