//! A bordered table with a header whose selected row is marked `▸`, scrolled so the
//! selection shows: the ML and Stream screens' lists of figures to drill into.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Table, TableState};

use crate::tui::theme;

/// The first row a bordered table with a header shows in `area`, so `selected` is seen.
pub fn table_offset(area: Rect, selected: Option<usize>) -> usize {
    let visible = area.height.saturating_sub(3).max(1) as usize;
    selected.map_or(0, |s| s.saturating_sub(visible - 1))
}

/// Draws `table` with its selected row (if any) marked `▸` and in the selection's
/// colours.
pub fn render_selectable(frame: &mut Frame, table: Table, area: Rect, selected: Option<usize>) {
    let mut state = TableState::default()
        .with_offset(table_offset(area, selected))
        .with_selected(selected);
    let table = table
        .row_highlight_style(theme::selected())
        .highlight_symbol("▸");
    frame.render_stateful_widget(table, area, &mut state);
}
