//! The bordered, titled pane every screen draws its parts in, and the header row of
//! their tables.

use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType, Row};

use crate::tui::theme;

/// The header row of a screen's table.
pub fn table_header(cells: &[&'static str]) -> Row<'static> {
    Row::new(cells.to_vec()).style(theme::header())
}

/// A pane titled ` title `: thick and in the accent colour when it has the focus.
pub fn pane_block(title: &str, focused: bool) -> Block<'_> {
    let block = Block::bordered().title(format!(" {title} "));
    if focused {
        block
            .border_type(BorderType::Thick)
            .border_style(Style::new().fg(theme::ACCENT))
    } else {
        block.border_style(Style::new().fg(theme::MUTED))
    }
}
