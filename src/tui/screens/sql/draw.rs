//! Drawing the SQL screen: the catalog, the editor with its tabs and highlighting, and
//! the results grid (or the welcome text on an empty warehouse).

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::SqlScreen;
use crate::tui::editor::{Pos, search};
use crate::tui::focus::{Mode, Pane};
use crate::tui::layout::Areas;
use crate::tui::theme;
use crate::tui::widgets::highlight::highlight;
use crate::tui::widgets::pane::pane_block;

impl SqlScreen {
    /// Draws the screen in its areas; `cursor` when the editor may show the cursor (no
    /// overlay covers it).
    pub fn draw(&self, frame: &mut Frame, areas: &Areas, cursor: bool) {
        let catalog_focused = self.focus == Pane::Catalog;
        super::catalog::draw_catalog(frame, &self.catalog, catalog_focused, areas.catalog);
        draw_editor(frame, self, areas.editor, cursor);
        if self.is_empty_warehouse() {
            draw_welcome(frame, self, areas.grid);
        } else {
            super::results::draw_grid(frame, self, areas.grid);
        }
        if let Some(chart) = &self.chart {
            let body = areas.body(frame.area().width);
            crate::tui::widgets::result_chart::draw_result_chart(frame, chart, body);
        }
    }
}

fn draw_editor(frame: &mut Frame, sql: &SqlScreen, area: Rect, cursor: bool) {
    let hint = match sql.mode {
        Mode::Insert => "editing: F5 or Ctrl+J runs, Esc leaves",
        Mode::Normal => "i edits, r runs",
    };
    let title = match sql.tabs.label() {
        Some(tabs) => format!("SQL {tabs} ({hint})"),
        None => format!("SQL ({hint})"),
    };
    let block = pane_block(&title, sql.focus == Pane::Editor);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (text_area, scroll) = sql.editor_view(area);
    let prompt = sql
        .prompt
        .as_ref()
        .filter(|_| text_area.height < inner.height);
    let editor = &sql.editor;
    let (row, col) = editor.cursor();
    // Only the lines on screen are highlighted: a pasted megabyte stays fast to draw.
    let text: Vec<Line> = editor
        .lines()
        .iter()
        .skip(scroll)
        .take(text_area.height as usize)
        .map(|l| highlight(l))
        .collect();
    frame.render_widget(Paragraph::new(text), text_area);
    let marks = Marks {
        area: text_area,
        scroll,
        lines: editor.lines(),
    };
    if let Some(needle) = prompt.and_then(|p| p.needle()) {
        for (n, line) in editor.lines().iter().enumerate().skip(scroll) {
            if n >= scroll + text_area.height as usize {
                break;
            }
            let width = needle.chars().count();
            for start in search::matches_in_line(line, needle) {
                let (from, to) = (Pos::new(n, start), Pos::new(n, start + width));
                marks.paint(frame, from, to, theme::search_match());
            }
        }
    }
    if let Some((start, end)) = editor.selection() {
        marks.paint(frame, start, end, theme::selected());
    }
    if let Some((a, b)) = editor.matching_bracket() {
        for p in [a, b] {
            marks.paint(
                frame,
                p,
                Pos::new(p.row, p.col + 1),
                theme::matched_bracket(),
            );
        }
    }
    let show_cursor = sql.mode == Mode::Insert && cursor;
    match prompt {
        Some(prompt) => {
            let prompt_area = Rect {
                y: inner.y + inner.height - 1,
                height: 1,
                ..inner
            };
            let (line, at) = prompt.line(editor.lines().len());
            frame.render_widget(
                Paragraph::new(Line::from(line)).style(theme::selected()),
                prompt_area,
            );
            if show_cursor {
                let x = (at as u16).min(prompt_area.width.saturating_sub(1));
                frame.set_cursor_position(Position::new(prompt_area.x + x, prompt_area.y));
            }
        }
        None if show_cursor => {
            let x = display_width(&editor.lines()[row], col) as u16;
            frame.set_cursor_position(Position::new(
                text_area.x + x.min(text_area.width.saturating_sub(1)),
                text_area.y + (row - scroll) as u16,
            ));
        }
        None => {}
    }
}

impl SqlScreen {
    /// Where the editor's text shows inside the editor pane `area` (an open prompt
    /// takes the last row) and the first line shown (the view follows the cursor).
    fn editor_view(&self, area: Rect) -> (Rect, usize) {
        let inner = Block::bordered().inner(area);
        let text_area = match &self.prompt {
            Some(_) if inner.height > 1 => Rect {
                height: inner.height - 1,
                ..inner
            },
            _ => inner,
        };
        let row = self.editor.cursor().0;
        let scroll = row.saturating_sub(text_area.height.saturating_sub(1) as usize);
        (text_area, scroll)
    }

    /// The text position (line, character) drawn at terminal cell (`x`, `y`) of the
    /// editor pane `area`, for mouse clicks and drags ([`crate::tui::editor::Editor::click`]);
    /// `None` outside the text area. A cell past a line's end means its end.
    pub fn editor_position(&self, area: Rect, x: u16, y: u16) -> Option<(usize, usize)> {
        let (text, scroll) = self.editor_view(area);
        if !text.contains(Position::new(x, y)) {
            return None;
        }
        // Below the last line means the last line (its end, for a click past it).
        let lines = self.editor.lines();
        let row = (scroll + (y - text.y) as usize).min(lines.len().saturating_sub(1));
        let line = lines.get(row)?;
        let target = (x - text.x) as usize;
        let mut width = 0;
        let col = line
            .chars()
            .take_while(|c| {
                width += Span::raw(c.to_string()).width();
                width <= target
            })
            .count();
        Some((row, col))
    }
}

/// Terminal columns the first `col` characters of `line` take (an emoji takes two).
fn display_width(line: &str, col: usize) -> usize {
    let head: String = line.chars().take(col).collect();
    Span::raw(head).width()
}

/// Styling ranges of the drawn editor text (selection, matches, brackets) in place.
struct Marks<'a> {
    area: Rect,
    scroll: usize,
    lines: &'a [String],
}

impl Marks<'_> {
    /// Patches `style` onto the cells of `start..end` that are on screen.
    fn paint(&self, frame: &mut Frame, start: Pos, end: Pos, style: Style) {
        let bottom = self.scroll + self.area.height as usize;
        for row in start.row.max(self.scroll)..=end.row.min(bottom.saturating_sub(1)) {
            let Some(line) = self.lines.get(row) else {
                break;
            };
            let from = if row == start.row { start.col } else { 0 };
            // A selected line break shows as one cell past the line's end.
            let to = if row == end.row {
                end.col
            } else {
                line.chars().count() + 1
            };
            let (x0, x1) = (
                display_width(line, from),
                display_width(line, to) + to.saturating_sub(line.chars().count()),
            );
            let y = self.area.y + (row - self.scroll) as u16;
            for x in x0..x1 {
                if x < self.area.width as usize {
                    frame.buffer_mut()[(self.area.x + x as u16, y)].set_style(style);
                }
            }
        }
    }
}

fn draw_welcome(frame: &mut Frame, sql: &SqlScreen, area: Rect) {
    let block = pane_block("Welcome", sql.focus == Pane::Grid);
    let text = Text::from(vec![
        Line::from("This warehouse has no order lines yet.".bold()),
        Line::from(""),
        Line::from(vec![
            Span::raw("Press "),
            Span::styled("L", Style::new().bold().fg(theme::ACCENT)),
            Span::raw(" to load the bundled sample (5,090 real order lines),"),
        ]),
        Line::from(vec![
            Span::raw("or your own export: press "),
            Span::styled(":", Style::new().bold().fg(theme::ACCENT)),
            Span::raw(" and type "),
            Span::styled("load PATH", Style::new().fg(theme::HEADING)),
            Span::raw(" (a file, folder or glob)."),
        ]),
        Line::from(
            "CSV, Excel, Parquet or JSON lines; UCI, Online Retail II, Shopify and \
             WooCommerce exports are recognised from their header. From a shell:",
        ),
        Line::from(""),
        Line::from("    ecom ingest path/to/files/ orders_export.csv".fg(theme::HEADING)),
        Line::from(""),
        Line::from("Any SQL runs meanwhile: i to edit, F5 to run, ? for help."),
    ]);
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(block),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mouse_cells_map_to_text_positions() {
        let mut sql = SqlScreen::new(100);
        sql.editor.set_text("select '🙂' as x\nfrom t");
        sql.editor.click(0, 0);
        let area = Rect::new(10, 5, 40, 8);
        // Inside the border: the text starts at (11, 6).
        assert_eq!(sql.editor_position(area, 11, 6), Some((0, 0)));
        assert_eq!(sql.editor_position(area, 18, 6), Some((0, 7)), "the quote");
        // The emoji takes two cells, both on its character.
        assert_eq!(sql.editor_position(area, 19, 6), Some((0, 8)));
        assert_eq!(sql.editor_position(area, 20, 6), Some((0, 8)));
        assert_eq!(sql.editor_position(area, 21, 6), Some((0, 9)));
        assert_eq!(
            sql.editor_position(area, 40, 7),
            Some((1, 6)),
            "past the end"
        );
        assert_eq!(
            sql.editor_position(area, 11, 9),
            Some((1, 0)),
            "below the text: the last line"
        );
        assert_eq!(sql.editor_position(area, 10, 6), None, "the border");
        sql.editor.drag_to(1, 2);
        assert_eq!(
            sql.editor.selected_text().as_deref(),
            Some("select '🙂' as x\nfr")
        );
    }
}
