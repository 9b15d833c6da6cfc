//! A SQL tab's results, one per statement it ran ("Result 1 | 2 | 3" above the grid).
//! Each has its own query id and its own table in the worker, so paging, sorting and
//! exporting one result works as for a single one. The front result's [`Grid`] is the
//! SQL screen's `grid`, where every key and drawing finds it; the others are parked here
//! whole, the way SQL tabs park theirs.

use std::time::Instant;

use super::tabs::RunningQuery;
use crate::tui::failure::Reported;
use crate::tui::grid::{Grid, GridResult};

/// Results listed one by one in the grid's title; more are counted instead.
const MAX_LISTED: usize = 9;

/// One statement's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultTab {
    /// The statement as it ran (a sort wraps it).
    pub sql: String,
    /// The editor line it starts on, for error messages.
    pub line: usize,
    /// The query filling it now.
    pub query_id: u64,
    /// Its grid while it is not in front.
    pub parked: Option<Grid>,
    /// Its statement has not finished yet.
    pub pending: bool,
    /// It has had a result (a failed re-sort keeps showing it).
    pub filled: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultTabs {
    pub tabs: Vec<ResultTab>,
    pub front: usize,
    /// The run filling them is an auto-refresh: each grid keeps the user's place.
    pub refreshing: bool,
}

/// How a statement of a run finished, for the status line.
#[derive(Debug, Clone, PartialEq)]
pub enum Finished {
    /// Statement `n` (from 1) of `count` gave a result; it is the front one or not.
    Ok {
        n: usize,
        count: usize,
        rows: u64,
        elapsed_ms: u64,
        front: bool,
    },
    /// Statement `n` of `count`, starting on `line`, failed: the rest did not run.
    Failed {
        n: usize,
        count: usize,
        line: usize,
        error: String,
    },
}

impl Finished {
    /// What the status line says.
    pub fn message(&self) -> String {
        match self {
            Self::Ok {
                n,
                count,
                rows,
                elapsed_ms,
                ..
            } => {
                let rows = format!(
                    "{} rows in {:.2} s",
                    crate::format::thousands(*rows),
                    *elapsed_ms as f64 / 1000.0
                );
                if *count > 1 {
                    format!("result {n} of {count}: {rows}")
                } else {
                    rows
                }
            }
            Self::Failed {
                n,
                count,
                line,
                error,
            } if *count > 1 => format!("statement {n} of {count} (line {line}) failed: {error}"),
            Self::Failed { error, .. } => error.clone(),
        }
    }
}

impl ResultTabs {
    /// A new run: one pending result per statement (query id, SQL, first line), the
    /// first in front; the previous results are forgotten (the front grid shows the old
    /// rows until the first new result replaces them).
    pub fn start(&mut self, statements: &[(u64, String, usize)]) {
        self.front = 0;
        self.refreshing = false;
        self.tabs = statements
            .iter()
            .map(|(id, sql, line)| ResultTab {
                sql: sql.clone(),
                line: *line,
                query_id: *id,
                parked: None,
                pending: true,
                filled: false,
            })
            .collect();
    }

    /// An auto-refresh of the same statements: each result keeps its grid (and the
    /// front one stays in front) and is refreshed in place as its statement finishes.
    /// When the last run gave fewer results (a statement failed), it starts afresh.
    pub fn restart(&mut self, statements: &[(u64, String, usize)]) {
        if self.tabs.len() == statements.len() {
            for (tab, (id, _, _)) in self.tabs.iter_mut().zip(statements) {
                tab.query_id = *id;
                tab.pending = true;
            }
        } else {
            self.start(statements);
        }
        self.refreshing = true;
    }

    pub fn front_tab(&self) -> Option<&ResultTab> {
        self.tabs.get(self.front)
    }

    /// Result `n` is filled again by query `id` (its statement sorted).
    pub fn rerun(&mut self, n: usize, id: u64) {
        if let Some(tab) = self.tabs.get_mut(n) {
            tab.query_id = id;
            tab.pending = true;
        }
    }

    /// Whether statement `id` is one of these results, not finished yet.
    pub fn waits_for(&self, id: u64) -> bool {
        self.tabs.iter().any(|t| t.pending && t.query_id == id)
    }

    /// The ids of the statements not finished yet, in order.
    pub fn pending(&self) -> Vec<u64> {
        self.tabs
            .iter()
            .filter(|t| t.pending)
            .map(|t| t.query_id)
            .collect()
    }

    /// `Result [1] | 2 | 3` when there is more than one result (`Result [4] of 250`
    /// for more than fit a title).
    pub fn label(&self) -> Option<String> {
        if self.tabs.len() > MAX_LISTED {
            return Some(format!(
                "Result [{}] of {}",
                self.front + 1,
                self.tabs.len()
            ));
        }
        (self.tabs.len() > 1).then(|| {
            let names: Vec<String> = (0..self.tabs.len())
                .map(|n| {
                    if n == self.front {
                        format!("[{}]", n + 1)
                    } else {
                        (n + 1).to_string()
                    }
                })
                .collect();
            format!("Result {}", names.join(" | "))
        })
    }

    /// Brings result `n` to the front: `grid` (the front one's) is parked in its tab.
    pub fn switch_to(&mut self, grid: &mut Grid, n: usize) {
        if n == self.front || n >= self.tabs.len() {
            return;
        }
        let incoming = self.tabs[n]
            .parked
            .take()
            .unwrap_or_else(|| Grid::new(grid.page_rows));
        self.tabs[self.front].parked = Some(std::mem::replace(grid, incoming));
        self.front = n;
    }

    /// The next (`step` 1) or previous (-1) result, wrapping around.
    pub fn step(&mut self, grid: &mut Grid, step: i32) -> bool {
        let count = self.tabs.len() as i32;
        if count < 2 {
            return false;
        }
        let target = (self.front as i32 + step).rem_euclid(count) as usize;
        self.switch_to(grid, target);
        true
    }

    /// A statement's answer, when it is one of these results: its grid gets the result
    /// and `running` moves on to the next pending statement; a failure drops the
    /// statements that will not run.
    pub fn finish(
        &mut self,
        grid: &mut Grid,
        running: &mut Option<RunningQuery>,
        id: u64,
        result: Reported<GridResult>,
    ) -> Option<Finished> {
        let n = self
            .tabs
            .iter()
            .position(|t| t.pending && t.query_id == id)?;
        let count = self.tabs.len();
        self.tabs[n].pending = false;
        let filled = std::mem::replace(&mut self.tabs[n].filled, true);
        let finished = match result {
            Ok(result) => {
                let finished = Finished::Ok {
                    n: n + 1,
                    count,
                    rows: result.total_rows,
                    elapsed_ms: result.elapsed_ms,
                    front: n == self.front,
                };
                let target = if n == self.front {
                    grid
                } else {
                    let page_rows = grid.page_rows;
                    self.tabs[n]
                        .parked
                        .get_or_insert_with(|| Grid::new(page_rows))
                };
                if self.refreshing {
                    target.refresh(result);
                } else {
                    target.set_result(result);
                }
                finished
            }
            Err(e) => {
                // The statements after it never run: their results go, and the failed
                // one comes to the front, empty unless it showed a result before.
                if self.front_tab().is_some_and(|t| t.pending) {
                    self.switch_to(grid, n);
                }
                self.tabs.retain(|t| !t.pending);
                self.tabs[n].filled = filled;
                if !filled {
                    match self.tabs[n].parked.as_mut() {
                        Some(parked) => *parked = Grid::new(parked.page_rows),
                        None if n == self.front => *grid = Grid::new(grid.page_rows),
                        None => {}
                    }
                }
                Finished::Failed {
                    n: n + 1,
                    count,
                    line: self.tabs[n].line,
                    error: e.to_string(),
                }
            }
        };
        *running = self.tabs.iter().find(|t| t.pending).map(|t| RunningQuery {
            id: t.query_id,
            started: Instant::now(),
        });
        self.refreshing &= running.is_some();
        Some(finished)
    }

    /// A page for a parked result's grid (asked for before it left the front).
    pub fn receive_page(&mut self, query_id: u64, start: u64, rows: Vec<Vec<String>>) {
        for grid in self.tabs.iter_mut().filter_map(|t| t.parked.as_mut()) {
            grid.receive_page(query_id, start, rows.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> (ResultTabs, Grid, Option<RunningQuery>) {
        let mut tabs = ResultTabs::default();
        let grid = Grid::new(100);
        let statements = [
            (1, "select 1".to_string(), 1),
            (2, "select 2".to_string(), 2),
            (3, "select 3".to_string(), 4),
        ];
        tabs.start(&statements);
        let running = Some(RunningQuery {
            id: 1,
            started: Instant::now(),
        });
        (tabs, grid, running)
    }

    #[test]
    fn each_statement_fills_its_result_and_the_run_moves_on() {
        let (mut tabs, mut grid, mut running) = three();
        assert_eq!(tabs.pending(), vec![1, 2, 3]);
        let done = tabs.finish(&mut grid, &mut running, 1, Ok(GridResult::numbers(1, 10)));
        assert_eq!(done.unwrap().message(), "result 1 of 3: 10 rows in 0.01 s");
        assert_eq!(running.as_ref().map(|r| r.id), Some(2));
        assert_eq!(grid.total_rows(), 10);
        // Looking at result 2 while it runs, then 3.
        assert!(tabs.step(&mut grid, 1));
        tabs.finish(&mut grid, &mut running, 2, Ok(GridResult::numbers(2, 20)));
        assert_eq!(grid.total_rows(), 20, "the front result shows at once");
        tabs.finish(&mut grid, &mut running, 3, Ok(GridResult::numbers(3, 30)));
        assert!(running.is_none());
        assert_eq!(tabs.label().as_deref(), Some("Result 1 | [2] | 3"));
        let mut many = tabs.clone();
        many.tabs = vec![tabs.tabs[0].clone(); 250];
        assert_eq!(many.label().as_deref(), Some("Result [2] of 250"));
        tabs.step(&mut grid, 1);
        assert_eq!(grid.total_rows(), 30);
        tabs.step(&mut grid, 1);
        assert_eq!((tabs.front, grid.total_rows()), (0, 10), "wraps around");
        assert_eq!(
            tabs.finish(&mut grid, &mut running, 9, Ok(GridResult::numbers(9, 1))),
            None,
            "not one of these"
        );
        tabs.receive_page(2, 0, vec![vec!["x".into()]]);
        assert_eq!(tabs.tabs[1].parked.as_ref().unwrap().window.rows.len(), 1);
    }

    #[test]
    fn a_failure_drops_the_statements_after_it() {
        let (mut tabs, mut grid, mut running) = three();
        tabs.finish(&mut grid, &mut running, 1, Ok(GridResult::numbers(1, 10)));
        tabs.step(&mut grid, -1);
        assert_eq!(tabs.front, 2);
        let failed = tabs.finish(&mut grid, &mut running, 2, Err("no such table: x".into()));
        assert_eq!(
            failed.unwrap().message(),
            "statement 2 of 3 (line 2) failed: no such table: x"
        );
        assert!(running.is_none());
        assert_eq!(tabs.tabs.len(), 2);
        assert_eq!(tabs.front, 1, "the failed result comes to the front");
        assert!(tabs.pending().is_empty());
    }
}
