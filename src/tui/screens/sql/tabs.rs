//! SQL tabs: each has its own editor, results and running query, and its results live
//! in their own temporary tables in the worker (`temp.ecom_result_{slot}_{statement}`),
//! so going back to a tab shows its results where they were left, paged as before.
//!
//! The front tab's editor, grid and query stay in the SQL screen's own fields, where
//! every key and drawing already finds them; the other tabs are parked here and swapped
//! in when they come to the front (`tab_actions`).

use std::time::Instant;

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

/// One tab: the worker's result slot it owns and, unless it is in front, its contents.
#[derive(Debug, Clone)]
pub struct SqlTab {
    pub slot: u32,
    pub(super) parked: Option<Parked>,
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
                parked: None,
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

    /// `SQL 1 [2] 3` for the editor's title when there is more than one tab.
    pub fn label(&self) -> Option<String> {
        (self.tabs.len() > 1).then(|| {
            (1..=self.tabs.len())
                .map(|n| {
                    if n == self.active + 1 {
                        format!("[{n}]")
                    } else {
                        n.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
    }
}
