//! What the tab keys do to the SQL screen: open, switch and close tabs, parking the
//! front tab's editor, grid and query and bringing another's back; answers for tabs not
//! in front land in their parked state.

use super::SqlScreen;
use super::result_tabs::{Finished, ResultTabs};
use super::tabs::{Parked, SqlTab};
use crate::tui::editor::Editor;
use crate::tui::effect::Effect;
use crate::tui::failure::Reported;
use crate::tui::focus::{Mode, Pane};
use crate::tui::grid::{Grid, GridResult};
use crate::tui::status::Status;

impl SqlScreen {
    /// Opens a tab holding `sql` and runs it: a drill-down's rows in a tab of their own.
    pub(super) fn open_tab_with(&mut self, sql: &str, status: &mut Status) -> Vec<Effect> {
        let mut effects = self.new_tab(status);
        self.editor.set_text(sql);
        effects.extend(self.run_query(status));
        effects
    }

    /// Opens an empty tab after the others and brings it to the front.
    pub(super) fn new_tab(&mut self, status: &mut Status) -> Vec<Effect> {
        let slot = self.tabs.next_slot;
        self.tabs.next_slot += 1;
        self.park_front();
        self.tabs.tabs.push(SqlTab {
            slot,
            parked: Some(Parked {
                editor: Editor::default(),
                grid: Grid::new(self.grid.page_rows),
                results: ResultTabs::default(),
                running: None,
            }),
            ..SqlTab::default()
        });
        self.bring_to_front(self.tabs.tabs.len() - 1);
        // The palette can open a tab from any screen: the app shows this one.
        self.mode = Mode::Insert;
        self.focus = Pane::Editor;
        status.info(format!("tab {} opened", self.tabs.tabs.len()));
        vec![]
    }

    /// Brings the next (`step` 1) or previous (-1) tab to the front, wrapping around.
    pub(super) fn switch_tab(&mut self, step: i32, status: &mut Status) -> Vec<Effect> {
        let count = self.tabs.tabs.len() as i32;
        if count == 1 {
            status.info("one tab only: Ctrl+T opens another");
            return vec![];
        }
        let target = (self.tabs.active as i32 + step).rem_euclid(count) as usize;
        self.show_tab(target, status);
        vec![]
    }

    /// Brings tab `n` to the front (a click on its number).
    pub(super) fn show_tab(&mut self, n: usize, status: &mut Status) {
        if n == self.tabs.active || n >= self.tabs.tabs.len() {
            return;
        }
        self.park_front();
        self.bring_to_front(n);
        status.info(format!("tab {} of {}", n + 1, self.tabs.tabs.len()));
    }

    /// Closes the tab in front (never the last one): its query is cancelled and its
    /// result dropped by the worker.
    pub(super) fn close_tab(&mut self, status: &mut Status) -> Vec<Effect> {
        if self.tabs.tabs.len() == 1 {
            status.info("the last tab stays open");
            return vec![];
        }
        let mut effects = self.interrupt_running();
        self.running = None;
        let closed = self.tabs.tabs.remove(self.tabs.active);
        effects.push(Effect::DiscardResult { slot: closed.slot });
        let target = self.tabs.active.min(self.tabs.tabs.len() - 1);
        self.bring_to_front(target);
        status.info(format!(
            "tab closed; tab {} of {}",
            target + 1,
            self.tabs.tabs.len()
        ));
        effects
    }

    /// A statement's answer for a tab that is not in front (ignored when no tab waits
    /// for it).
    pub(super) fn finish_parked_query(
        &mut self,
        id: u64,
        result: Reported<GridResult>,
        status: &mut Status,
    ) {
        let Some((n, parked)) = self.parked_mut(|p| p.results.waits_for(id)) else {
            return;
        };
        let refreshing = parked.results.refreshing;
        let finished = parked
            .results
            .finish(&mut parked.grid, &mut parked.running, id, result);
        let ended = parked.running.is_none();
        match &finished {
            // An auto-refresh says how it went in its tab's title, not the status line.
            _ if refreshing => {}
            Some(Finished::Ok { .. }) if ended => {
                status.info(format!("tab {}: query finished", n + 1));
            }
            Some(failed @ Finished::Failed { .. }) => {
                status.error(format!("tab {}: {}", n + 1, failed.message()));
            }
            _ => {}
        }
        if ended {
            self.run_ended(n, refreshing, finished.as_ref(), status);
        }
    }

    /// A page for a grid not in front, a parked tab's or a parked result's (it was asked
    /// for before it left the front).
    pub(super) fn receive_parked_page(
        &mut self,
        query_id: u64,
        start: u64,
        rows: Vec<Vec<String>>,
    ) {
        self.results.receive_page(query_id, start, rows.clone());
        for parked in self.tabs.tabs.iter_mut().filter_map(|t| t.parked.as_mut()) {
            parked.grid.receive_page(query_id, start, rows.clone());
            parked.results.receive_page(query_id, start, rows.clone());
        }
    }

    fn parked_mut(&mut self, wanted: impl Fn(&Parked) -> bool) -> Option<(usize, &mut Parked)> {
        self.tabs
            .tabs
            .iter_mut()
            .enumerate()
            .find_map(|(n, tab)| tab.parked.as_mut().filter(|p| wanted(p)).map(|p| (n, p)))
    }

    /// Moves the front tab's contents into its entry.
    fn park_front(&mut self) {
        let page_rows = self.grid.page_rows;
        let parked = Parked {
            editor: std::mem::take(&mut self.editor),
            grid: std::mem::replace(&mut self.grid, Grid::new(page_rows)),
            results: std::mem::take(&mut self.results),
            running: self.running.take(),
        };
        let active = self.tabs.active;
        self.tabs.tabs[active].parked = Some(parked);
    }

    /// Moves tab `n`'s contents into the `App`'s fields.
    fn bring_to_front(&mut self, n: usize) {
        if let Some(parked) = self.tabs.tabs[n].parked.take() {
            self.editor = parked.editor;
            self.grid = parked.grid;
            self.results = parked.results;
            self.running = parked.running;
        }
        self.tabs.active = n;
        self.row_detail = false;
        self.chart = None;
    }
}
