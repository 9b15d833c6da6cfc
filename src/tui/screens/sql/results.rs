//! Drawing the SQL screen's results: the grid (only the columns that fit, from the first
//! visible one, widths fitted to the rows shown) and the row detail overlay.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::SqlScreen;
use crate::format::thousands;
use crate::tui::focus::Pane;
use crate::tui::theme;
use crate::tui::widgets::pane::pane_block;
use crate::tui::widgets::popup::{clip, popup};

/// Widest a grid column gets, in characters.
const MAX_COLUMN_WIDTH: usize = 32;
/// Blank columns between grid columns.
const COLUMN_SPACING: u16 = 2;

impl SqlScreen {
    /// The row detail overlay, when it is open.
    pub fn draw_overlay(&self, frame: &mut Frame) {
        if self.row_detail {
            draw_row_detail(frame, self);
        }
    }
}

pub(super) fn draw_grid(frame: &mut Frame, sql: &SqlScreen, area: Rect) {
    let grid = &sql.grid;
    // "Result [1] | 2 | 3" when several statements ran, one result each.
    let name = sql.results.label().unwrap_or_else(|| "Results".to_string());
    let Some(result) = &grid.result else {
        let block = pane_block(&name, sql.focus == Pane::Grid);
        let hint =
            Paragraph::new("Run a query (r or F5) or press Enter on a table in the catalog.")
                .dim()
                .block(block);
        frame.render_widget(hint, area);
        return;
    };
    let height = area.height.saturating_sub(3) as u64;
    let visible: Vec<u64> = (grid.top..(grid.top + height).min(result.total_rows)).collect();
    let gutter = thousands(result.total_rows).len().max(1) as u16;
    let width_of = |c: usize| {
        let fitted = visible
            .iter()
            .filter_map(|&r| grid.row(r).and_then(|row| row.get(c)))
            .map(|s| s.chars().count())
            .chain(std::iter::once(result.columns[c].name.chars().count()))
            .max()
            .unwrap_or(4)
            .clamp(3, MAX_COLUMN_WIDTH);
        let change = grid.width_changes.get(&c).copied().unwrap_or(0);
        (fitted as i32 + change).clamp(3, 4 * MAX_COLUMN_WIDTH as i32) as usize
    };
    // Only the columns that fit, from the first visible one: horizontal scrolling shows
    // the rest at full width instead of squeezing every column.
    let mut room = area.width.saturating_sub(2 + gutter + COLUMN_SPACING) as usize;
    let mut columns = Vec::new();
    let mut widths = Vec::new();
    for c in grid.first_column..result.columns.len() {
        let w = width_of(c);
        if !columns.is_empty() && w > room {
            break;
        }
        columns.push(c);
        widths.push(w.min(room.max(3)));
        room = room.saturating_sub(w + COLUMN_SPACING as usize);
    }
    let shown_columns = match (columns.first(), columns.last()) {
        (Some(first), Some(last)) if columns.len() < result.columns.len() => {
            format!(
                " · columns {}–{} of {} (h/l)",
                first + 1,
                last + 1,
                result.columns.len()
            )
        }
        _ => String::new(),
    };
    let sorted = match &sql.sort {
        Some((column, asc)) => format!(" · sorted by {column} {}", if *asc { "↑" } else { "↓" }),
        None => String::new(),
    };
    let title = format!(
        "{name}: {} rows · {:.2} s · row {}{shown_columns}{sorted} ",
        thousands(result.total_rows),
        result.elapsed_ms as f64 / 1000.0,
        thousands(if result.total_rows == 0 {
            0
        } else {
            grid.selected + 1
        }),
    );
    let block = pane_block(&title, sql.focus == Pane::Grid);
    let header = Row::new(
        std::iter::once(Cell::from("")).chain(
            columns
                .iter()
                .map(|&c| Cell::from(result.columns[c].name.clone())),
        ),
    )
    .style(theme::header());
    let rows = visible.iter().map(|&r| {
        let number = Cell::from(Line::from(thousands(r + 1)).alignment(Alignment::Right))
            .style(Style::new().fg(theme::MUTED));
        let cells = columns.iter().zip(&widths).map(|(&c, &w)| {
            let text = grid
                .row(r)
                .and_then(|row| row.get(c))
                .map(|s| clip(s, w))
                .unwrap_or_else(|| "…".into());
            let line = Line::from(text);
            Cell::from(if result.columns[c].numeric {
                line.alignment(Alignment::Right)
            } else {
                line
            })
        });
        let row = Row::new(std::iter::once(number).chain(cells));
        if r == grid.selected {
            row.style(if sql.focus == Pane::Grid {
                theme::selected()
            } else {
                Style::new().add_modifier(Modifier::REVERSED)
            })
        } else {
            row
        }
    });
    let constraints = std::iter::once(Constraint::Length(gutter))
        .chain(widths.iter().map(|&w| Constraint::Length(w as u16)));
    let table = Table::new(rows, constraints)
        .header(header)
        .column_spacing(COLUMN_SPACING)
        .block(block);
    frame.render_widget(table, area);
}

/// Every column of the selected result row, one per line.
fn draw_row_detail(frame: &mut Frame, sql: &SqlScreen) {
    let (Some(result), Some(row)) = (&sql.grid.result, sql.grid.row(sql.grid.selected)) else {
        return;
    };
    let name_width = result
        .columns
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(4);
    let lines: Vec<Line> = result
        .columns
        .iter()
        .zip(row)
        .map(|(c, v)| {
            Line::from(vec![
                Span::styled(
                    format!("{:<name_width$}  ", c.name),
                    Style::new().fg(theme::HEADING),
                ),
                Span::raw(v.clone()),
            ])
        })
        .collect();
    let title = format!(" Row {} (Esc closes) ", thousands(sql.grid.selected + 1));
    let inner = popup(frame, 90, lines.len() as u16 + 2, false, title);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
