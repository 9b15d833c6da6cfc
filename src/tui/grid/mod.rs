//! The results grid: a cursor (row and column) over a result of any size, with a
//! bounded window of rows in memory. Moving the cursor outside the window asks the
//! worker for another page. The grid also holds everything done to its result (the
//! view's filters and sort, the search, the profile, frozen and fitted columns) and the
//! worker jobs it waits for, so a whole `Grid` can be parked and brought back.

mod columns;
pub mod jobs;
pub mod profile;
pub mod prompt;

use std::collections::BTreeMap;

use crate::warehouse::pager::{PagedResult, ResultColumn};
use crate::warehouse::view::ViewStep;
pub use columns::{COLUMN_SPACING, MAX_COLUMN_WIDTH};
use jobs::{JobKind, RunningJob};
use profile::ProfilePane;
use prompt::Prompt;

/// A result as the grid knows it (rows live in the worker's temporary table).
#[derive(Debug, Clone, PartialEq)]
pub struct GridResult {
    pub query_id: u64,
    pub columns: Vec<ResultColumn>,
    pub total_rows: u64,
    pub elapsed_ms: u64,
}

impl GridResult {
    /// How the grid knows `result`, which query or grid job `query_id` made.
    pub fn of(query_id: u64, result: &PagedResult) -> Self {
        Self {
            query_id,
            columns: result.columns.clone(),
            total_rows: result.total_rows,
            elapsed_ms: result.elapsed.as_millis() as u64,
        }
    }
}

#[cfg(test)]
impl GridResult {
    /// A result of `total_rows` rows in one BIGINT column `n`, for tests.
    pub fn numbers(query_id: u64, total_rows: u64) -> Self {
        Self {
            query_id,
            columns: vec![ResultColumn {
                name: "n".into(),
                data_type: "BIGINT".into(),
                numeric: true,
            }],
            total_rows,
            elapsed_ms: 5,
        }
    }
}

/// Rows `start .. start + rows.len()` of the current result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowWindow {
    pub start: u64,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grid {
    /// The result shown: the query's own, or a view of it.
    pub result: Option<GridResult>,
    /// The query's own result, which every view is built from.
    pub base: Option<GridResult>,
    /// The view's steps (filters, then at most one sort), oldest first: `u` pops one.
    pub steps: Vec<ViewStep>,
    pub window: RowWindow,
    /// Selected row (absolute index) and first visible row.
    pub selected: u64,
    pub top: u64,
    /// First visible column after the frozen ones.
    pub first_column: usize,
    /// The current column (the current cell is on the selected row).
    pub column: usize,
    /// How many columns from the left stay in place while the others scroll.
    pub frozen: usize,
    /// Columns the user widened or narrowed (`>` / `<`): characters added to the width
    /// the grid would give them.
    pub width_changes: BTreeMap<usize, i32>,
    /// Columns fitted to the widest value in memory (`_`, `z`): their width.
    pub fitted: BTreeMap<usize, usize>,
    /// The text searched last (`/`): `n`/`N` look for it and visible cells holding it
    /// are highlighted.
    pub search: Option<String>,
    /// The search or filter prompt while the user types.
    pub prompt: Option<Prompt>,
    /// The column profile overlay.
    pub profile: Option<ProfilePane>,
    /// The worker jobs the grid waits for (at most one of each kind).
    pub jobs: Vec<RunningJob>,
    /// Offset of the page asked for and not yet received.
    pub requested: Option<u64>,
    /// Rows per page (the window never holds more).
    pub page_rows: u64,
    /// The rows in memory are an earlier run's (an auto-refresh brought a new result):
    /// they show until the new result's page arrives, so a refresh does not blink.
    pub stale: bool,
    /// Re-applying the view's steps to a refreshed result.
    pub refresh_view: RefreshView,
}

/// Where re-applying the view's filters and sort to a refreshed result stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RefreshView {
    #[default]
    Idle,
    /// The result was refreshed under a view: its steps wait to be run on it.
    Due,
    /// Grid job `id` runs them; its answer keeps the user's place.
    Running(u64),
}

impl Grid {
    pub fn new(page_rows: u64) -> Self {
        Self {
            page_rows,
            ..Self::default()
        }
    }

    /// Shows a new query's result; the first page arrives separately.
    pub fn set_result(&mut self, result: GridResult) {
        *self = Self {
            base: Some(result.clone()),
            result: Some(result),
            page_rows: self.page_rows,
            ..Self::default()
        };
    }

    /// A refresh of the query brought `result`: the cursor, the scroll, the columns,
    /// the search and the view's steps stay (the steps are run again on the new result,
    /// [`RefreshView::Due`]), and the rows in memory show until the new ones arrive.
    pub fn refresh(&mut self, result: GridResult) {
        if self.result.is_none() {
            return self.set_result(result);
        }
        self.base = Some(result.clone());
        self.requested = None;
        self.stale = true;
        if self.steps.is_empty() {
            self.result = Some(result);
            self.keep_in_bounds();
        } else {
            self.refresh_view = RefreshView::Due;
        }
    }

    /// Shows a view of the query's result (or the result itself, `steps` empty): the
    /// cursor goes back to the first row; columns, widths and the search stay. A view
    /// re-applied after a refresh (`keep_place`) keeps the cursor where it was.
    pub fn show_view(&mut self, result: GridResult, steps: Vec<ViewStep>, keep_place: bool) {
        self.result = Some(result);
        self.steps = steps;
        self.requested = None;
        self.refresh_view = RefreshView::Idle;
        if keep_place {
            self.stale = true;
            self.keep_in_bounds();
        } else {
            self.window = RowWindow::default();
            self.selected = 0;
            self.top = 0;
        }
    }

    /// The cursor, the scroll and the columns within a result that may have shrunk.
    fn keep_in_bounds(&mut self) {
        let last = self.total_rows().saturating_sub(1);
        self.selected = self.selected.min(last);
        self.top = self.top.min(self.selected);
        let columns = self.result.as_ref().map_or(0, |r| r.columns.len());
        self.column = self.column.min(columns.saturating_sub(1));
        self.first_column = self.first_column.min(columns.saturating_sub(1));
        self.frozen = self.frozen.min(columns);
    }

    /// The name of the current column.
    pub fn column_name(&self) -> Option<&str> {
        let result = self.result.as_ref()?;
        result.columns.get(self.column).map(|c| c.name.as_str())
    }

    /// The current cell's text, when its row is in memory.
    pub fn current_cell(&self) -> Option<&str> {
        self.row(self.selected)
            .and_then(|r| r.get(self.column))
            .map(String::as_str)
    }

    /// The view's sort, if any: column and descending.
    pub fn sort(&self) -> Option<(&str, bool)> {
        self.steps.iter().rev().find_map(|s| match s {
            ViewStep::Sort { column, descending } => Some((column.as_str(), *descending)),
            _ => None,
        })
    }

    /// Starts waiting for job `id`; the job of the same kind it supersedes, if any.
    pub fn start_job(&mut self, job: RunningJob) -> Option<RunningJob> {
        let old = self
            .jobs
            .iter()
            .position(|j| j.kind == job.kind)
            .map(|i| self.jobs.remove(i));
        self.jobs.push(job);
        old
    }

    /// Stops waiting for job `id`: its kind, when the grid waited for it.
    pub fn finish_job(&mut self, id: u64) -> Option<JobKind> {
        let i = self.jobs.iter().position(|j| j.id == id)?;
        Some(self.jobs.remove(i).kind)
    }

    pub fn total_rows(&self) -> u64 {
        self.result.as_ref().map_or(0, |r| r.total_rows)
    }

    /// The row at absolute index `i`, when it is in the window.
    pub fn row(&self, i: u64) -> Option<&Vec<String>> {
        i.checked_sub(self.window.start)
            .and_then(|offset| self.window.rows.get(offset as usize))
    }

    /// Stores a page if it belongs to the current result.
    pub fn receive_page(&mut self, query_id: u64, start: u64, rows: Vec<Vec<String>>) {
        if self.result.as_ref().is_some_and(|r| r.query_id == query_id) {
            self.window = RowWindow { start, rows };
            self.stale = false;
            if self.requested == Some(start) {
                self.requested = None;
            }
        }
    }

    /// Moves the selection by `delta` rows and keeps it visible in `height` rows.
    pub fn move_by(&mut self, delta: i64, height: u64) {
        let last = self.total_rows().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
        self.scroll_into_view(height);
    }

    pub fn move_to(&mut self, row: u64, height: u64) {
        self.selected = row.min(self.total_rows().saturating_sub(1));
        self.scroll_into_view(height);
    }

    fn scroll_into_view(&mut self, height: u64) {
        let height = height.max(1);
        if self.selected < self.top {
            self.top = self.selected;
        } else if self.selected >= self.top + height {
            self.top = self.selected + 1 - height;
        }
    }

    /// The page to fetch so rows `top .. top + height` are in memory, if any is missing
    /// and not already asked for. Pages are centred on the view so scrolling either way
    /// stays smooth.
    pub fn missing_page(&mut self, height: u64) -> Option<u64> {
        let total = self.total_rows();
        if total == 0 {
            return None;
        }
        let end = (self.top + height).min(total);
        let have = self.window.start..self.window.start + self.window.rows.len() as u64;
        if !self.stale && have.contains(&self.top) && (end == 0 || have.contains(&(end - 1))) {
            return None;
        }
        let start = self
            .top
            .saturating_sub(self.page_rows.saturating_sub(height) / 2);
        if self.requested == Some(start) {
            return None;
        }
        self.requested = Some(start);
        Some(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid_with(total: u64) -> Grid {
        let mut g = Grid::new(100);
        g.set_result(GridResult {
            query_id: 1,
            columns: vec![],
            total_rows: total,
            elapsed_ms: 0,
        });
        g
    }

    #[test]
    fn window_is_requested_then_received() {
        let mut g = grid_with(1_000_000);
        assert_eq!(g.missing_page(20), Some(0));
        assert_eq!(g.missing_page(20), None, "not asked twice");
        g.receive_page(1, 0, vec![vec!["r".into()]; 100]);
        g.move_by(50, 20);
        assert_eq!(g.missing_page(20), None);
        g.move_to(900_000, 20);
        let start = g.missing_page(20).unwrap();
        assert!(start <= 900_000 - 19 && start + 100 >= 900_000);
        g.receive_page(1, start, vec![vec!["r".into()]; 100]);
        assert!(g.row(900_000).is_some());
        assert_eq!(g.window.rows.len(), 100, "the window stays bounded");
    }

    #[test]
    fn pages_of_an_old_result_are_ignored() {
        let mut g = grid_with(10);
        g.receive_page(2, 0, vec![vec!["x".into()]]);
        assert!(g.window.rows.is_empty());
    }

    #[test]
    fn a_refresh_keeps_the_place_and_the_old_rows_until_the_new_arrive() {
        let mut g = grid_with(1_000);
        g.receive_page(1, 0, vec![vec!["old".into()]; 100]);
        g.move_to(40, 20);
        g.search = Some("x".into());
        let refreshed = |id, total_rows| GridResult {
            query_id: id,
            columns: vec![],
            total_rows,
            elapsed_ms: 0,
        };
        g.refresh(refreshed(2, 30));
        assert_eq!((g.selected, g.top), (29, 21), "kept within the new rows");
        assert_eq!(g.search.as_deref(), Some("x"));
        assert_eq!(g.row(29).unwrap()[0], "old", "the old rows show meanwhile");
        assert_eq!(g.missing_page(20), Some(0), "the new rows are asked for");
        g.receive_page(2, 0, vec![vec!["new".into()]; 30]);
        assert_eq!(g.row(29).unwrap()[0], "new");
        assert_eq!(g.missing_page(20), None);
        // Under a filter the result stays the old view until its steps ran again.
        g.steps = vec![ViewStep::Condition("n > 1".into())];
        g.refresh(refreshed(3, 50));
        assert_eq!(g.refresh_view, RefreshView::Due);
        assert_eq!(g.result.as_ref().unwrap().query_id, 2);
        assert_eq!(g.base.as_ref().unwrap().query_id, 3);
        g.show_view(refreshed(4, 10), g.steps.clone(), true);
        assert_eq!((g.selected, g.refresh_view), (9, RefreshView::Idle));
    }

    #[test]
    fn selection_stays_in_bounds() {
        let mut g = grid_with(5);
        g.move_by(-3, 3);
        assert_eq!(g.selected, 0);
        g.move_by(100, 3);
        assert_eq!((g.selected, g.top), (4, 2));
    }
}
