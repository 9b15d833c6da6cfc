//! Boxes drawn over the screen (help, palette, row detail) and text cut to a width.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType, Clear};

use crate::tui::theme;

/// Clears a rounded, titled box of at most `width` × `height` over the screen
/// (centred, or near the top) and returns the area inside it.
pub fn popup(frame: &mut Frame, width: u16, height: u16, centred: bool, title: String) -> Rect {
    let area = frame.area();
    let width = width.min(area.width.saturating_sub(4));
    let height = height.min(area.height.saturating_sub(2));
    let y = if centred {
        area.y + area.height.saturating_sub(height) / 2
    } else {
        area.y + 2
    };
    let rect = Rect::new(
        area.x + area.width.saturating_sub(width) / 2,
        y,
        width,
        height,
    );
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .title(title)
        .border_style(Style::new().fg(theme::ACCENT));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

/// Cuts text to `width` characters, marking the cut with `…`.
pub fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}
