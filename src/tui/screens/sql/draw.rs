//! Drawing the SQL screen: the catalog, the editor with its tabs and highlighting, and
//! the results grid (or the welcome text on an empty warehouse).

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Wrap};

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
    // An open prompt takes the editor's last row.
    let prompt = sql.prompt.as_ref().filter(|_| inner.height > 1);
    let text_area = match prompt {
        Some(_) => Rect {
            height: inner.height - 1,
            ..inner
        },
        None => inner,
    };
    let editor = &sql.editor;
    let (row, col) = editor.cursor();
    let scroll = row.saturating_sub(text_area.height.saturating_sub(1) as usize);
    let text: Vec<Line> = editor.lines().iter().map(|l| highlight(l)).collect();
    frame.render_widget(Paragraph::new(text).scroll((scroll as u16, 0)), text_area);
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
