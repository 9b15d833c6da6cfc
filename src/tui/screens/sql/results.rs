//! Drawing the SQL screen's results: the grid (the frozen columns, then the ones that
//! fit from the first visible one; the current cell, the search's matches and the
//! view's chips) and the row detail and column profile overlays.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::SqlScreen;
use crate::format::thousands;
use crate::tui::focus::Pane;
use crate::tui::grid::COLUMN_SPACING;
use crate::tui::theme;
use crate::tui::widgets::pane::pane_block;
use crate::tui::widgets::popup::{clip, popup};

impl SqlScreen {
    /// The row detail overlay, when it is open.
    pub fn draw_overlay(&self, frame: &mut Frame) {
        if self.row_detail {
            draw_row_detail(frame, self);
        }
        if let Some(pane) = &self.grid.profile {
            super::profile::draw_profile(frame, pane);
        }
    }
}

pub(super) fn draw_grid(frame: &mut Frame, sql: &SqlScreen, area: Rect) {
    let grid = &sql.grid;
    // "Result [1] | 2 | 3" when several statements ran, one result each; "⟳ 5s ·
    // 14:03:07" when the tab refreshes itself, and when its last run finished.
    let mut name = sql.results.label().unwrap_or_else(|| "Results".to_string());
    if let Some(refresh) = sql.auto_refresh() {
        name = format!("{name} {}", refresh.label());
    }
    let focused = sql.focus == Pane::Grid;
    let Some(result) = &grid.result else {
        let block = pane_block(&name, focused);
        let hint =
            Paragraph::new("Run a query (r or F5) or press Enter on a table in the catalog.")
                .dim()
                .block(block);
        frame.render_widget(hint, area);
        return;
    };
    let height = area.height.saturating_sub(3) as u64;
    let visible: Vec<u64> = (grid.top..(grid.top + height).min(result.total_rows)).collect();
    let gutter = grid.gutter();
    // The frozen columns, then only the columns that fit from the first visible one:
    // moving the current column shows the rest at full width instead of squeezing all.
    let shown = grid.shown_columns(area.width, height);
    let shown_columns = match (shown.first(), shown.last()) {
        (Some(first), Some(last)) if shown.len() < result.columns.len() => {
            format!(
                " · columns {}–{} of {} (h/l)",
                first.0 + 1,
                last.0 + 1,
                result.columns.len()
            )
        }
        _ => String::new(),
    };
    let title = format!(
        "{name}: {} rows · {:.2} s · row {}{shown_columns} ",
        thousands(result.total_rows),
        result.elapsed_ms as f64 / 1000.0,
        thousands(if result.total_rows == 0 {
            0
        } else {
            grid.selected + 1
        }),
    );
    let block = pane_block(&title, focused).title_bottom(bottom_line(sql));
    let header = Row::new(
        std::iter::once(Cell::from("")).chain(shown.iter().map(|&(c, _)| {
            let mut style = theme::header();
            if c < grid.frozen {
                style = style.add_modifier(Modifier::UNDERLINED);
            }
            if c == grid.column && focused {
                style = style.add_modifier(Modifier::REVERSED);
            }
            Cell::from(result.columns[c].name.clone()).style(style)
        })),
    )
    .style(theme::header());
    let search = grid.search.as_ref().map(|s| s.to_lowercase());
    let rows = visible.iter().map(|&r| {
        let number = Cell::from(Line::from(thousands(r + 1)).alignment(Alignment::Right))
            .style(Style::new().fg(theme::MUTED));
        let cells = shown.iter().map(|&(c, w)| {
            let value = grid.row(r).and_then(|row| row.get(c));
            let text = value.map(|s| clip(s, w)).unwrap_or_else(|| "…".into());
            let line = Line::from(text);
            let cell = Cell::from(if result.columns[c].numeric {
                line.alignment(Alignment::Right)
            } else {
                line
            });
            let matched = search.as_ref().is_some_and(|needle| {
                value.is_some_and(|v| v.to_lowercase().contains(needle.as_str()))
            });
            if r == grid.selected && c == grid.column && focused {
                cell.style(theme::current_cell())
            } else if matched {
                cell.style(theme::search_match())
            } else {
                cell
            }
        });
        let row = Row::new(std::iter::once(number).chain(cells));
        if r == grid.selected {
            row.style(if focused {
                theme::selected()
            } else {
                Style::new().add_modifier(Modifier::REVERSED)
            })
        } else {
            row
        }
    });
    let constraints = std::iter::once(Constraint::Length(gutter))
        .chain(shown.iter().map(|&(_, w)| Constraint::Length(w as u16)));
    let table = Table::new(rows, constraints)
        .header(header)
        .column_spacing(COLUMN_SPACING)
        .block(block);
    frame.render_widget(table, area);
}

/// The grid's bottom border: the prompt while typing, else the view's chips (filters
/// and sort) and what runs on the result.
fn bottom_line(sql: &SqlScreen) -> Line<'static> {
    let grid = &sql.grid;
    if let Some(prompt) = &grid.prompt {
        return Line::from(vec![
            Span::styled(
                format!(" {}", prompt.kind.label()),
                Style::new().fg(theme::ACCENT).bold(),
            ),
            Span::raw(format!("{}▏ ", prompt.text)),
        ]);
    }
    let mut spans = Vec::new();
    // A failed refresh shows in place until one succeeds; a refresh that cannot run
    // says why.
    let refresh = sql.auto_refresh();
    let live = match (refresh.and_then(|r| r.error.as_ref()), refresh) {
        (Some(error), _) => Some((format!(" ⟳ refresh failed, retrying: {error} "), theme::BAD)),
        (None, Some(_)) => sql
            .waits_for(sql.tabs.active)
            .map(|why| (format!(" ⟳ waits: {why} "), theme::WARNING)),
        (None, None) => None,
    };
    if let Some((text, colour)) = live {
        spans.push(Span::styled(text, Style::new().fg(colour)));
    }
    for step in &grid.steps {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!(" {} ", step.label()), theme::chip()));
    }
    if !grid.steps.is_empty() {
        spans.push(Span::styled(" u undoes ", Style::new().fg(theme::MUTED)));
    }
    for job in &grid.jobs {
        spans.push(Span::styled(
            format!(" {}… ", job.kind.doing()),
            Style::new().fg(theme::ACCENT),
        ));
    }
    Line::from(spans)
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
