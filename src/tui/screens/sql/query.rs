//! The SQL screen's queries: running the editor's SQL (kept in the history), sorting a
//! result by a column, the answer arriving, and what the grid's result can be copied
//! or saved as.

use std::time::Instant;

use super::SqlScreen;
use super::tabs::RunningQuery;
use crate::tui::effect::Effect;
use crate::tui::failure::Reported;
use crate::tui::focus::{Mode, Pane};
use crate::tui::grid::GridResult;
use crate::tui::status::Status;
use crate::warehouse::quote_ident;

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
        self.sort = None;
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

    /// Sorts the result by its first visible column, ascending, then descending, then
    /// back to the query's own order.
    pub(super) fn sort_results(&mut self, status: &mut Status) -> Vec<Effect> {
        let Some(result) = &self.grid.result else {
            return vec![];
        };
        let Some(column) = result
            .columns
            .get(self.grid.first_column)
            .map(|c| c.name.clone())
        else {
            return vec![];
        };
        self.sort = match &self.sort {
            Some((c, true)) if *c == column => Some((column, false)),
            Some((c, false)) if *c == column => None,
            _ => Some((column, true)),
        };
        let base = self.editor.text();
        let base = base.trim().trim_end_matches(';');
        let sql = match &self.sort {
            Some((c, asc)) => format!(
                "SELECT * FROM ({base}\n) AS sorted ORDER BY {} {} NULLS LAST",
                quote_ident(c),
                if *asc { "ASC" } else { "DESC" }
            ),
            None => base.to_string(),
        };
        self.start_query(sql, status)
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

    /// The selected row's first visible column, for the clipboard.
    pub(super) fn copy_cell(&self, status: &mut Status) -> Option<Effect> {
        let column = self.grid.first_column;
        let cell = self
            .grid
            .row(self.grid.selected)
            .and_then(|r| r.get(column).cloned());
        let name = self
            .grid
            .result
            .as_ref()
            .and_then(|r| r.columns.get(column))
            .map(|c| c.name.clone());
        let (Some(cell), Some(name)) = (cell, name) else {
            return None;
        };
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
