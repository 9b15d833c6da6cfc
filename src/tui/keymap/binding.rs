//! A key binding: the keys, where they apply and the command they run.

use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use super::command::Command;
use crate::tui::action::Action;
use crate::tui::focus::Pane;
use crate::tui::screen::Screen;

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// In every mode.
    Always,
    /// In normal mode, whatever has focus.
    Normal,
    /// In normal mode with this pane focused.
    Pane(Pane),
    /// While editing SQL.
    Insert,
    /// In normal mode on this screen.
    Screen(Screen),
    /// While the chart of a result shows.
    Chart,
    /// In normal mode on the Stream screen while its topic browser shows.
    Browser,
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub keys: Vec<(KeyCode, KeyModifiers)>,
    pub scope: Scope,
    pub command: Command,
    pub help: &'static str,
}

impl Binding {
    /// A binding of `keys` to `command` where `scope` holds, described by `help`.
    pub fn new(
        keys: &[(KeyCode, KeyModifiers)],
        scope: Scope,
        command: Command,
        help: &'static str,
    ) -> Self {
        Self {
            keys: keys.to_vec(),
            scope,
            command,
            help,
        }
    }

    pub fn action(&self) -> Action {
        self.command.action()
    }
}
