//! The dashboard screen's lists over the panels: the picker of dashboards (`d`), the
//! variables (`v`) and one variable's values. ↑↓ (or j k) move, Enter picks, Esc closes.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::style::Stylize;
use ratatui::text::Line;
use ratatui::widgets::{List, ListItem, ListState};

use super::DashboardScreen;
use crate::tui::theme;
use crate::tui::widgets::popup::{clip, popup};

/// Which list is open, and its selected row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    Dashboards {
        selected: usize,
    },
    Variables {
        selected: usize,
    },
    /// The values of the dashboard's variable `variable`.
    Values {
        variable: usize,
        selected: usize,
    },
}

/// What a key did to the list.
pub enum Outcome {
    Open(Menu),
    Closed,
    /// Row `usize` of the menu was picked.
    Picked(Menu, usize),
}

impl Menu {
    pub fn selected(self) -> usize {
        match self {
            Self::Dashboards { selected }
            | Self::Variables { selected }
            | Self::Values { selected, .. } => selected,
        }
    }

    fn with_selected(self, row: usize) -> Self {
        match self {
            Self::Dashboards { .. } => Self::Dashboards { selected: row },
            Self::Variables { .. } => Self::Variables { selected: row },
            Self::Values { variable, .. } => Self::Values {
                variable,
                selected: row,
            },
        }
    }

    /// `key` typed into a list of `rows` rows.
    pub fn key(self, key: KeyEvent, rows: usize) -> Outcome {
        let last = rows.saturating_sub(1);
        let at = self.selected().min(last);
        let moved = |row: usize| Outcome::Open(self.with_selected(row));
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => Outcome::Closed,
            KeyCode::Enter if rows > 0 => Outcome::Picked(self, at),
            KeyCode::Down | KeyCode::Char('j') => moved((at + 1).min(last)),
            KeyCode::Up | KeyCode::Char('k') => moved(at.saturating_sub(1)),
            KeyCode::Home | KeyCode::Char('g') => moved(0),
            KeyCode::End | KeyCode::Char('G') => moved(last),
            _ => Outcome::Open(self),
        }
    }

    fn title(self, screen: &DashboardScreen) -> String {
        match self {
            Self::Dashboards { .. } => " Dashboards: Enter opens, Esc closes ".into(),
            Self::Variables { .. } => " Variables: Enter lists the values ".into(),
            Self::Values { variable, .. } => {
                let label = screen
                    .dashboard()
                    .and_then(|d| Some(d.variables.get(variable)?.label.clone()))
                    .unwrap_or_default();
                format!(" {label}: Enter picks ")
            }
        }
    }
}

/// Draws the open list in a box over the panels.
pub fn draw(frame: &mut Frame, screen: &DashboardScreen, menu: &Menu) {
    let rows = screen.menu_choices(menu);
    let width = rows
        .iter()
        .map(|r| r.chars().count() as u16 + 4)
        .max()
        .unwrap_or(20)
        .clamp(40, 90);
    let mut lines: Vec<ListItem> = rows
        .iter()
        .map(|r| ListItem::new(clip(r, width as usize - 4)))
        .collect();
    if rows.is_empty() {
        lines.push(ListItem::new(Line::from("nothing to choose".dim())));
    }
    let height = lines.len() as u16 + 2;
    let inner = popup(frame, width, height, false, menu.title(screen));
    let mut state = ListState::default().with_selected(Some(menu.selected()));
    let list = List::new(lines)
        .highlight_style(theme::selected())
        .highlight_symbol("▸ ");
    frame.render_stateful_widget(list, inner, &mut state);
}
