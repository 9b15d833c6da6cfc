//! Drawing the SQL screen: the catalog, the editor with its tabs and highlighting, and
//! the results grid (or the welcome text on an empty warehouse).

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Wrap};

use super::SqlScreen;
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
    let (row, col) = sql.editor.cursor();
    let scroll = editor_scroll(row, inner);
    let text: Vec<Line> = sql.editor.lines().iter().map(|l| highlight(l)).collect();
    frame.render_widget(Paragraph::new(text).scroll((scroll, 0)), inner);
    if sql.mode == Mode::Insert && cursor {
        frame.set_cursor_position(Position::new(
            inner.x + (col as u16).min(inner.width.saturating_sub(1)),
            inner.y + row as u16 - scroll,
        ));
    }
}

/// Lines the editor scrolls so the cursor's line `row` shows in `inner`.
pub(super) fn editor_scroll(row: usize, inner: Rect) -> u16 {
    (row as u16).saturating_sub(inner.height.saturating_sub(1))
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
