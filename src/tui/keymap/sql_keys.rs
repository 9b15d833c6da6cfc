//! The default keys of the SQL screen's results grid (VisiData's) and of its editor
//! while editing (Harlequin's), after the general ones of [`super::defaults`].

use ratatui::crossterm::event::KeyCode;

use super::binding::{Binding, Scope};
use super::command::Command;
use super::defaults::{ALT, CTRL, NONE, SHIFT};
use crate::tui::focus::Pane;
use crate::tui::screen::Screen;

/// The grid's and the editor's bindings, in the order the help shows them.
pub fn bindings() -> Vec<Binding> {
    use KeyCode::*;
    let b = Binding::new;
    vec![
        b(
            &[(Char('/'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::FindInResults,
            "find text in the results (every column, the whole result)",
        ),
        b(
            &[(Char('n'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::FindNextMatch,
            "find the next match",
        ),
        b(
            &[(Char('N'), SHIFT), (Char('N'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::FindPreviousMatch,
            "find the previous match",
        ),
        b(
            &[(Char('='), NONE)],
            Scope::Pane(Pane::Grid),
            Command::FilterEqual,
            "filter: keep the rows equal to the current cell",
        ),
        b(
            &[(Char('!'), NONE), (Char('!'), SHIFT)],
            Scope::Pane(Pane::Grid),
            Command::FilterNotEqual,
            "filter: keep the rows not equal to the current cell",
        ),
        b(
            &[(Char('|'), NONE), (Char('|'), SHIFT)],
            Scope::Pane(Pane::Grid),
            Command::FilterExpression,
            "filter by a typed SQL condition (WHERE …)",
        ),
        b(
            &[(Char('u'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::UndoFilter,
            "undo the last filter or sort",
        ),
        b(
            &[(Char('['), NONE)],
            Scope::Pane(Pane::Grid),
            Command::SortAscending,
            "sort ascending by the current column",
        ),
        b(
            &[(Char(']'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::SortDescending,
            "sort descending by the current column",
        ),
        b(
            &[(Char('F'), SHIFT), (Char('F'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::ProfileColumn,
            "profile the current column: counts, nulls, distinct, quantiles, top values",
        ),
        b(
            &[(Char('f'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::FreezeColumns,
            "freeze the columns up to the current one (again unfreezes)",
        ),
        b(
            &[(Char('_'), NONE), (Char('_'), SHIFT)],
            Scope::Pane(Pane::Grid),
            Command::FitColumn,
            "fit the current column's width to its values",
        ),
        b(
            &[(Char('z'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::FitAllColumns,
            "fit every column's width to its values",
        ),
        b(
            &[(Char('a'), NONE)],
            Scope::Screen(Screen::Sql),
            Command::AutoRefresh,
            "auto-refresh: re-run the tab's last run every 5 s, or stop (:auto-refresh N|off)",
        ),
        // The editor's keys follow Harlequin's; while editing they win over the keys
        // that mean something else in normal mode (Ctrl+Z, Ctrl+C).
        b(
            &[(Enter, CTRL), (F(9), NONE)],
            Scope::Always,
            Command::RunStatement,
            "run the statement under the cursor, or the selection",
        ),
        b(
            &[(Char(')'), NONE), (Char(')'), SHIFT), (Right, ALT)],
            Scope::Pane(Pane::Grid),
            Command::NextResult,
            "next result (one per statement run)",
        ),
        b(
            &[(Char('('), NONE), (Char('('), SHIFT), (Left, ALT)],
            Scope::Pane(Pane::Grid),
            Command::PreviousResult,
            "previous result (one per statement run)",
        ),
        b(
            &[(Char('z'), CTRL)],
            Scope::Insert,
            Command::Undo,
            "undo the last edit",
        ),
        b(
            &[(Char('y'), CTRL)],
            Scope::Insert,
            Command::Redo,
            "redo the edit undone",
        ),
        b(
            &[(Char('a'), CTRL)],
            Scope::Insert,
            Command::SelectAll,
            "select all the SQL",
        ),
        b(
            &[(Char('c'), CTRL)],
            Scope::Insert,
            Command::Copy,
            "copy the selection (to the terminal's clipboard too)",
        ),
        b(
            &[(Char('x'), CTRL)],
            Scope::Insert,
            Command::Cut,
            "cut the selection",
        ),
        b(
            &[(Char('v'), CTRL), (Insert, SHIFT)],
            Scope::Insert,
            Command::Paste,
            "paste what was copied or cut",
        ),
        b(
            &[(Char('f'), CTRL)],
            Scope::Insert,
            Command::Find,
            "find text in the SQL",
        ),
        b(
            &[(F(3), NONE)],
            Scope::Insert,
            Command::FindNext,
            "find the next match",
        ),
        b(
            &[(F(3), SHIFT)],
            Scope::Insert,
            Command::FindPrevious,
            "find the previous match",
        ),
        b(
            &[(Char('r'), CTRL)],
            Scope::Insert,
            Command::Replace,
            "find and replace in the SQL",
        ),
        b(
            &[(Char('g'), CTRL)],
            Scope::Insert,
            Command::GoToLine,
            "go to a line of the SQL",
        ),
        // Terminals send Ctrl+/ as Ctrl+_ (or Ctrl+7).
        b(
            &[(Char('/'), CTRL), (Char('_'), CTRL), (Char('7'), CTRL)],
            Scope::Insert,
            Command::ToggleComment,
            "comment or uncomment the selected lines",
        ),
        b(
            &[(F(4), NONE)],
            Scope::Insert,
            Command::FormatSql,
            "format the SQL (or the selection)",
        ),
    ]
}
