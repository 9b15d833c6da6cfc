//! SQL tabs: each has its own editor, results and running query, and its results live
//! in their own temporary tables in the worker (`temp.ecom_result_{slot}_{statement}`),
//! so going back to a tab shows its results where they were left, paged as before.
//!
//! The front tab's editor, grid and query stay in the SQL screen's own fields, where
//! every key and drawing already finds them; the other tabs are parked here and swapped
//! in when they come to the front (`tab_actions`).

use std::time::Instant;

use super::live::AutoRefresh;
use super::result_tabs::ResultTabs;
use crate::tui::editor::Editor;
use crate::tui::grid::Grid;

/// A tab's query while it runs.
#[derive(Debug, Clone)]
pub struct RunningQuery {
    pub id: u64,
    pub started: Instant,
}

/// What a tab holds while it is not in front.
#[derive(Debug, Clone)]
pub struct Parked {
    pub(super) editor: Editor,
    pub(super) grid: Grid,
    pub(super) results: ResultTabs,
    pub(super) running: Option<RunningQuery>,
}

/// One tab: the worker's result slot it owns, its last run and auto-refresh (kept
/// here whether it is in front or not) and, unless it is in front, its contents.
#[derive(Debug, Clone, Default)]
pub struct SqlTab {
    pub slot: u32,
    pub(super) parked: Option<Parked>,
    /// The statements of the tab's last run and the editor line each starts on: what
    /// an auto-refresh re-runs (editing the SQL changes it only when the user runs it).
    pub last_run: Vec<(String, usize)>,
    pub refresh: Option<AutoRefresh>,
}

#[derive(Debug, Clone)]
pub struct SqlTabs {
    pub tabs: Vec<SqlTab>,
    pub active: usize,
    pub(super) next_slot: u32,
}

impl Default for SqlTabs {
    fn default() -> Self {
        Self {
            tabs: vec![SqlTab {
                slot: 1,
                ..SqlTab::default()
            }],
            active: 0,
            next_slot: 2,
        }
    }
}

impl SqlTabs {
    /// The result slot of the tab in front.
    pub fn active_slot(&self) -> u32 {
        self.tabs[self.active].slot
    }

    /// `SQL 1 [2] 3⟳` for the editor's title when there is more than one tab (⟳: the
    /// tab refreshes itself).
    pub fn label(&self) -> Option<String> {
        (self.tabs.len() > 1).then(|| {
            self.tabs
                .iter()
                .enumerate()
                .map(|(i, tab)| {
                    let n = i + 1;
                    let live = if tab.refresh.is_some() { "⟳" } else { "" };
                    if i == self.active {
                        format!("[{n}]{live}")
                    } else {
                        format!("{n}{live}")
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
    }
}
