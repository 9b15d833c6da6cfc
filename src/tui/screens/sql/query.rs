//! The SQL screen's queries: running the editor's statements (each statement its own
//! result, kept in the history), the answers arriving, and what the grid's result can
//! be copied or saved as.

use std::time::Instant;

use super::SqlScreen;
use super::result_tabs::Finished;
use super::tabs::RunningQuery;
use crate::tui::effect::{Effect, StatementRun};
use crate::tui::failure::Reported;
use crate::tui::focus::{Mode, Pane};
use crate::tui::grid::GridResult;
use crate::tui::status::Status;
use crate::warehouse::statements::{self, Statement};

impl SqlScreen {
    /// F5 / Ctrl+J / `r`: every statement of the editor, in order.
    pub(super) fn run_query(&mut self, status: &mut Status) -> Vec<Effect> {
        let sql = self.editor.text();
        if sql.trim().is_empty() {
            status.error("the editor is empty: press i and type some SQL");
            return vec![];
        }
        let all = statements::split(&sql);
        self.run_statements(&sql, &all, 0, status)
    }

    /// Ctrl+Enter: the selected SQL (each of its statements), else the statement the
    /// cursor is in.
    pub(super) fn run_statement(&mut self, status: &mut Status) -> Vec<Effect> {
        if let (Some((start, _)), Some(selected)) =
            (self.editor.selection(), self.editor.selected_text())
        {
            let chosen = statements::split(&selected);
            return self.run_statements(&selected, &chosen, start.row, status);
        }
        let sql = self.editor.text();
        let all = statements::split(&sql);
        let Some(one) = statements::at(&all, self.editor.cursor_offset()).cloned() else {
            status.error("the editor is empty: press i and type some SQL");
            return vec![];
        };
        self.run_statements(&one.text.clone(), &[one], 0, status)
    }

    /// Runs `chosen` (statements of `text`, whose first line is editor line
    /// `first_row` + 1) as one job, a result each, replacing the tab's results.
    fn run_statements(
        &mut self,
        text: &str,
        chosen: &[Statement],
        first_row: usize,
        status: &mut Status,
    ) -> Vec<Effect> {
        if chosen.is_empty() {
            status.error("nothing to run: only comments");
            return vec![];
        }
        let mut effects = Vec::new();
        if self.history.last().map(String::as_str) != Some(text) {
            self.history.push(text.to_string());
            effects.push(Effect::SaveHistory(text.to_string()));
        }
        self.history_pos = None;
        // The run replaces the results a chart may show (F5 works over the chart).
        self.chart = None;
        effects.extend(self.interrupt_running());
        let runs: Vec<StatementRun> = chosen
            .iter()
            .enumerate()
            .map(|(n, s)| StatementRun {
                id: self.take_query_id(),
                sql: s.text.clone(),
                result: n as u32,
            })
            .collect();
        let tabs: Vec<(u64, String, usize)> = runs
            .iter()
            .zip(chosen)
            .map(|(r, s)| (r.id, r.sql.clone(), s.first_line + first_row))
            .collect();
        self.results.start(&tabs);
        self.remember_run(&tabs);
        self.running = Some(RunningQuery {
            id: runs[0].id,
            started: Instant::now(),
        });
        self.mode = Mode::Normal;
        status.info(match runs.len() {
            1 => "running…".to_string(),
            n => format!("running {n} statements…"),
        });
        effects.push(Effect::RunQuery {
            slot: self.tabs.active_slot(),
            statements: runs,
            fresh: true,
        });
        effects
    }

    /// A new id for a query, a chart or any other request that can be cancelled.
    pub(super) fn take_query_id(&mut self) -> u64 {
        let id = self.next_query_id;
        self.next_query_id += 1;
        id
    }

    /// Cancels the front tab's statements: the one running and those waiting their turn.
    pub(super) fn interrupt_running(&self) -> Vec<Effect> {
        let mut ids: Vec<u64> = self.running.iter().map(|r| r.id).collect();
        ids.extend(self.results.pending());
        ids.dedup();
        ids.into_iter().map(Effect::InterruptQuery).collect()
    }

    /// A statement's answer: shown when it is the front tab's, else kept by its tab.
    pub(super) fn query_finished(
        &mut self,
        id: u64,
        result: Reported<GridResult>,
        status: &mut Status,
    ) {
        if !self.results.waits_for(id) {
            // A tab not in front, or a query nobody waits for any more.
            self.finish_parked_query(id, result, status);
            return;
        }
        let refreshing = self.results.refreshing;
        let finished = self
            .results
            .finish(&mut self.grid, &mut self.running, id, result);
        match &finished {
            // An auto-refresh leaves the focus, the mode and the status line alone: the
            // user may be typing; its tab's title says how it went.
            _ if refreshing => {}
            Some(ok @ Finished::Ok { front, n, .. }) => {
                status.info(ok.message());
                if *front || *n == 1 {
                    self.focus = Pane::Grid;
                    self.mode = Mode::Normal;
                }
            }
            Some(failed) => status.error(failed.message()),
            None => {}
        }
        if self.running.is_none() {
            self.run_ended(self.tabs.active, refreshing, finished.as_ref(), status);
        }
    }

    /// Brings the next (`step` 1) or previous (-1) result to the front.
    pub(super) fn switch_result(&mut self, step: i32, status: &mut Status) {
        if !self.results.step(&mut self.grid, step) {
            status.info("one result only: a script of several statements gives one each");
            return;
        }
        self.row_detail = false;
        status.info(format!(
            "result {} of {}",
            self.results.front + 1,
            self.results.tabs.len()
        ));
    }

    /// The selected row, tab-separated, for the clipboard.
    pub(super) fn copy_row(&self, status: &mut Status) -> Option<Effect> {
        let row = self.grid.row(self.grid.selected)?;
        status.info(format!(
            "copied row {} to the clipboard",
            self.grid.selected + 1
        ));
        Some(Effect::Copy(row.join("\t")))
    }

    /// The current cell, for the clipboard.
    pub(super) fn copy_cell(&self, status: &mut Status) -> Option<Effect> {
        let (Some(cell), Some(name)) = (self.grid.current_cell(), self.grid.column_name()) else {
            return None;
        };
        let cell = cell.to_string();
        status.info(format!(
            "copied {name} of row {} to the clipboard (h/l choose the column)",
            self.grid.selected + 1
        ));
        Some(Effect::Copy(cell))
    }

    /// The whole result written to `ecom-result-TIME.FORMAT` by the worker.
    pub(super) fn export(&self, format: &str, status: &mut Status) -> Option<Effect> {
        let result = self.grid.result.as_ref()?;
        let path = format!(
            "ecom-result-{}.{format}",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        );
        status.info("writing the result…");
        Some(Effect::ExportResult {
            query_id: result.query_id,
            path,
        })
    }
}
