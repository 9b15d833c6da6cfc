//! The SQL screen's queries: running the editor's SQL (kept in the history), the answer
//! arriving, and what the grid's result can be copied or saved as.

use std::time::Instant;

use super::SqlScreen;
use super::tabs::RunningQuery;
use crate::tui::effect::Effect;
use crate::tui::failure::Reported;
use crate::tui::focus::{Mode, Pane};
use crate::tui::grid::GridResult;
use crate::tui::status::Status;

impl SqlScreen {
    pub(super) fn run_query(&mut self, status: &mut Status) -> Vec<Effect> {
        let sql = self.editor.text();
        if sql.trim().is_empty() {
            status.error("the editor is empty: press i and type some SQL");
            return vec![];
        }
        let mut effects = Vec::new();
        if self.history.last() != Some(&sql) {
            self.history.push(sql.clone());
            effects.push(Effect::SaveHistory(sql.clone()));
        }
        self.history_pos = None;
        effects.extend(self.start_query(sql, status));
        effects
    }

    /// Runs `sql` for the grid, interrupting a query still running.
    fn start_query(&mut self, sql: String, status: &mut Status) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Some(query) = &self.running {
            effects.push(Effect::InterruptQuery(query.id));
        }
        let id = self.next_query_id;
        self.next_query_id += 1;
        self.running = Some(RunningQuery {
            id,
            started: Instant::now(),
        });
        self.mode = Mode::Normal;
        status.info("running…");
        effects.push(Effect::RunQuery {
            id,
            sql,
            slot: self.tabs.active_slot(),
        });
        effects
    }

    /// A query's answer: shown when it is the front tab's, else kept by its tab.
    pub(super) fn query_finished(
        &mut self,
        id: u64,
        result: Reported<GridResult>,
        status: &mut Status,
    ) {
        if self.running.as_ref().is_none_or(|r| r.id != id) {
            // A tab not in front, or a query nobody waits for any more.
            self.finish_parked_query(id, &result, status);
            return;
        }
        self.running = None;
        match result {
            Ok(result) => {
                status.info(format!(
                    "{} rows in {:.2} s",
                    crate::format::thousands(result.total_rows),
                    result.elapsed_ms as f64 / 1000.0
                ));
                self.grid.set_result(result);
                self.focus = Pane::Grid;
                self.mode = Mode::Normal;
            }
            Err(e) => status.error(e),
        }
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
