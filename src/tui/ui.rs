//! Drawing: a pure function of the app state. Nothing here changes state or does I/O.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Block, BorderType, Cell, Clear, List, ListItem, ListState, Paragraph, Row, Table, Wrap,
};

use crate::format::thousands;

use super::keymap::{Binding, help_lines};
use super::state::{App, Mode, Pane, Screen, StatusKind, kind_label};

/// Height of the SQL editor, borders included.
const EDITOR_HEIGHT: u16 = 8;
/// Widest a grid column gets, in characters.
const MAX_COLUMN_WIDTH: usize = 32;
/// Blank columns between grid columns.
const COLUMN_SPACING: u16 = 2;
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

struct Areas {
    title: Rect,
    catalog: Rect,
    editor: Rect,
    grid: Rect,
    status: Rect,
}

fn areas(area: Rect) -> Areas {
    let [title, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let catalog_width = (area.width / 3).clamp(22, 42);
    let [catalog, right] =
        Layout::horizontal([Constraint::Length(catalog_width), Constraint::Min(10)]).areas(body);
    let [editor, grid] =
        Layout::vertical([Constraint::Length(EDITOR_HEIGHT), Constraint::Min(3)]).areas(right);
    Areas {
        title,
        catalog,
        editor,
        grid,
        status,
    }
}

/// Data rows the grid shows at terminal size `(width, height)` (borders and header off).
pub fn grid_body_height(size: (u16, u16)) -> u16 {
    areas(Rect::new(0, 0, size.0, size.1))
        .grid
        .height
        .saturating_sub(3)
        .max(1)
}

pub fn draw(frame: &mut Frame, app: &App, bindings: &[Binding]) {
    let a = areas(frame.area());
    draw_title(frame, app, a.title);
    let body = Rect::new(
        a.catalog.x,
        a.catalog.y,
        frame.area().width,
        a.catalog.height,
    );
    match app.screen {
        Screen::Sql => {
            draw_catalog(frame, app, a.catalog);
            draw_editor(frame, app, a.editor);
            if app.is_empty_warehouse() {
                draw_welcome(frame, app, a.grid);
            } else {
                draw_grid(frame, app, a.grid);
            }
        }
        Screen::Dashboard => super::dashboard::draw(frame, app, body),
        Screen::Quality => super::quality::draw(frame, app, body),
        Screen::Ml => super::ml_screen::draw(frame, app, body),
        Screen::Stream => super::stream_screen::draw(frame, app, body),
        Screen::Models => super::models_screen::draw(frame, app, body),
        Screen::Jobs => super::jobs_screen::draw(frame, app, body),
    }
    draw_status(frame, app, a.status);
    if app.show_help {
        draw_help(frame, bindings);
    }
    if app.row_detail {
        draw_row_detail(frame, app);
    }
    if let Some(palette) = &app.palette {
        draw_palette(frame, palette, &app.commands);
    }
    if app.no_color {
        strip_colors(frame.buffer_mut());
    } else if app.light {
        lighten(frame.buffer_mut());
    }
}

/// The header row of a screen's table.
pub(super) fn table_header(cells: &[&'static str]) -> Row<'static> {
    Row::new(cells.to_vec()).style(Style::new().bold().fg(Color::Yellow))
}

pub(super) fn pane_block(title: &str, focused: bool) -> Block<'_> {
    let block = Block::bordered().title(format!(" {title} "));
    if focused {
        block
            .border_type(BorderType::Thick)
            .border_style(Style::new().fg(Color::Cyan))
    } else {
        block.border_style(Style::new().fg(Color::DarkGray))
    }
}

fn draw_title(frame: &mut Frame, app: &App, area: Rect) {
    let mut tabs = vec![Span::styled(
        " ecom ",
        Style::new().bold().fg(Color::Black).bg(Color::Cyan),
    )];
    for (screen, key, name) in Screen::TABS {
        let style = if screen == app.screen {
            Style::new().bold().fg(Color::Cyan)
        } else {
            Style::new().fg(Color::DarkGray)
        };
        tabs.push(Span::styled(format!("  {key} {name}"), style));
    }
    let left = Line::from(tabs);
    // The tabs come first; the warehouse's name gets what is left, cut from the left.
    let room = (area.width as usize).saturating_sub(left.width() + 2);
    frame.render_widget(Paragraph::new(left), area);
    let name = app.warehouse.as_str();
    let count = name.chars().count();
    let shown = if count <= room {
        name.to_string()
    } else if room >= 4 {
        let tail: String = name.chars().skip(count - (room - 1)).collect();
        format!("…{tail}")
    } else {
        return;
    };
    let right = Line::from(Span::styled(
        format!("{shown} "),
        Style::new().fg(Color::DarkGray),
    ))
    .alignment(Alignment::Right);
    frame.render_widget(Paragraph::new(right), area);
}

fn draw_catalog(frame: &mut Frame, app: &App, area: Rect) {
    let block = pane_block("Catalog", app.focus == Pane::Catalog);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if !app.catalog.loaded {
        frame.render_widget(Paragraph::new("loading…").dim(), inner);
        return;
    }
    let selected = app.catalog.selected_relation();
    let column_lines = selected.map_or(0, |r| r.columns.len() as u16);
    let list_height = inner
        .height
        .saturating_sub(column_lines.min(inner.height / 2) + 1);
    let [list_area, columns_area] =
        Layout::vertical([Constraint::Length(list_height), Constraint::Min(0)]).areas(inner);
    let width = list_area.width as usize;
    let mut items = Vec::new();
    let mut selected_item = None;
    let mut schema = "";
    for (i, rel) in app.catalog.relations.iter().enumerate() {
        if rel.schema != schema {
            schema = &rel.schema;
            items.push(ListItem::new(Line::from(Span::styled(
                format!("▾ {schema}"),
                Style::new().bold().fg(Color::Yellow),
            ))));
        }
        let count = rel
            .rows
            .map(thousands)
            .unwrap_or_else(|| kind_label(rel.kind).into());
        let name_width = width.saturating_sub(count.chars().count() + 3);
        let name: String = rel.name.chars().take(name_width).collect();
        let pad = width.saturating_sub(2 + name.chars().count() + count.chars().count());
        items.push(ListItem::new(Line::from(vec![
            Span::raw(format!("  {name}{}", " ".repeat(pad))),
            Span::styled(count, Style::new().fg(Color::DarkGray)),
        ])));
        if i == app.catalog.selected {
            selected_item = Some(items.len() - 1);
        }
    }
    let mut state = ListState::default().with_selected(selected_item);
    let highlight = if app.focus == Pane::Catalog {
        Style::new().bg(Color::Blue).fg(Color::White)
    } else {
        Style::new().add_modifier(Modifier::REVERSED)
    };
    let list = List::new(items).highlight_style(highlight);
    frame.render_stateful_widget(list, list_area, &mut state);
    if let Some(rel) = selected {
        let mut lines = vec![Line::from(Span::styled(
            format!("{}.{}", rel.schema, rel.name),
            Style::new().bold(),
        ))];
        lines.extend(rel.columns.iter().map(|c| {
            Line::from(vec![
                Span::raw(format!(" {} ", c.name)),
                Span::styled(c.data_type.to_lowercase(), Style::new().fg(Color::DarkGray)),
            ])
        }));
        frame.render_widget(Paragraph::new(lines), columns_area);
    }
}

fn draw_editor(frame: &mut Frame, app: &App, area: Rect) {
    let hint = match app.mode {
        Mode::Insert => "editing: F5 or Ctrl+J runs, Esc leaves",
        Mode::Normal => "i edits, r runs",
    };
    let title = match app.sql_tabs.label() {
        Some(tabs) => format!("SQL {tabs} ({hint})"),
        None => format!("SQL ({hint})"),
    };
    let block = pane_block(&title, app.focus == Pane::Editor);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (row, col) = app.editor.cursor();
    let scroll = (row as u16).saturating_sub(inner.height.saturating_sub(1));
    let text: Vec<Line> = app
        .editor
        .lines()
        .iter()
        .map(|l| super::highlight::highlight(l))
        .collect();
    frame.render_widget(Paragraph::new(text).scroll((scroll, 0)), inner);
    if app.mode == Mode::Insert && !app.show_help {
        frame.set_cursor_position(Position::new(
            inner.x + (col as u16).min(inner.width.saturating_sub(1)),
            inner.y + row as u16 - scroll,
        ));
    }
}

fn draw_welcome(frame: &mut Frame, app: &App, area: Rect) {
    let block = pane_block("Welcome", app.focus == Pane::Grid);
    let text = Text::from(vec![
        Line::from("This warehouse has no order lines yet.".bold()),
        Line::from(""),
        Line::from(vec![
            Span::raw("Press "),
            Span::styled("L", Style::new().bold().fg(Color::Cyan)),
            Span::raw(" to load the bundled sample (5,090 real order lines),"),
        ]),
        Line::from(vec![
            Span::raw("or your own export: press "),
            Span::styled(":", Style::new().bold().fg(Color::Cyan)),
            Span::raw(" and type "),
            Span::styled("load PATH", Style::new().fg(Color::Yellow)),
            Span::raw(" (a file, folder or glob)."),
        ]),
        Line::from(
            "CSV, Excel, Parquet or JSON lines; UCI, Online Retail II, Shopify and \
             WooCommerce exports are recognised from their header. From a shell:",
        ),
        Line::from(""),
        Line::from("    ecom ingest path/to/files/ orders_export.csv".fg(Color::Yellow)),
        Line::from(""),
        Line::from("Any SQL runs meanwhile: i to edit, F5 to run, ? for help."),
    ]);
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(block),
        area,
    );
}

fn draw_grid(frame: &mut Frame, app: &App, area: Rect) {
    let grid = &app.grid;
    let Some(result) = &grid.result else {
        let block = pane_block("Results", app.focus == Pane::Grid);
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
    let sorted = match &app.sort {
        Some((column, asc)) => format!(" · sorted by {column} {}", if *asc { "↑" } else { "↓" }),
        None => String::new(),
    };
    let title = format!(
        "Results: {} rows · {:.2} s · row {}{shown_columns}{sorted} ",
        thousands(result.total_rows),
        result.elapsed_ms as f64 / 1000.0,
        thousands(if result.total_rows == 0 {
            0
        } else {
            grid.selected + 1
        }),
    );
    let block = pane_block(&title, app.focus == Pane::Grid);
    let header = Row::new(
        std::iter::once(Cell::from("")).chain(
            columns
                .iter()
                .map(|&c| Cell::from(result.columns[c].name.clone())),
        ),
    )
    .style(Style::new().bold().fg(Color::Yellow));
    let rows = visible.iter().map(|&r| {
        let number = Cell::from(Line::from(thousands(r + 1)).alignment(Alignment::Right))
            .style(Style::new().fg(Color::DarkGray));
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
            row.style(if app.focus == Pane::Grid {
                Style::new().bg(Color::Blue).fg(Color::White)
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

/// Cuts text to `width` characters, marking the cut with `…`.
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let mode = match app.mode {
        Mode::Normal => Span::styled(
            " NORMAL ",
            Style::new().bold().bg(Color::Blue).fg(Color::White),
        ),
        Mode::Insert => Span::styled(
            " INSERT ",
            Style::new().bold().bg(Color::Green).fg(Color::Black),
        ),
    };
    let mut spans = vec![mode, Span::raw(" ")];
    if let Some(running) = &app.running {
        let frame_index = (app.ticks as usize) % SPINNER.len();
        spans.push(Span::styled(
            format!(
                "{} running {:.1} s (Esc cancels) ",
                SPINNER[frame_index],
                running.started.elapsed().as_secs_f64()
            ),
            Style::new().fg(Color::Cyan),
        ));
    } else if let Some(p) = &app.ingest {
        let percent = p.ratio().map(|r| (r * 100.0).round() as u32).unwrap_or(0);
        spans.push(Span::styled(
            format!("{} {}% {} ", p.job, percent, p.message),
            Style::new().fg(Color::Cyan),
        ));
    } else {
        let style = match app.status.0 {
            StatusKind::Info => Style::new(),
            StatusKind::Error => Style::new().fg(Color::Red).bold(),
        };
        spans.push(Span::styled(app.status.1.clone(), style));
    }
    const HINTS: &str = "  ? help  Tab focus  r run  q quit ";
    let hints_width = if area.width > 70 {
        HINTS.len() as u16
    } else {
        0
    };
    let [message, hints] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(hints_width)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), message);
    let hint_line = Line::from(Span::styled(HINTS, Style::new().fg(Color::DarkGray)));
    frame.render_widget(Paragraph::new(hint_line), hints);
}

fn draw_help(frame: &mut Frame, bindings: &[Binding]) {
    let lines = help_lines(bindings);
    let key_width = lines
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut text: Vec<Line> = lines
        .iter()
        .map(|(keys, help)| {
            Line::from(vec![
                Span::styled(
                    format!("{keys:<key_width$}  "),
                    Style::new().fg(Color::Cyan),
                ),
                Span::raw(help.clone()),
            ])
        })
        .collect();
    text.push(Line::from(""));
    text.push(Line::from("Esc, ? or q closes this help.".dim()));
    let width = key_width as u16 + 74;
    let height = text.len() as u16 + 2;
    let inner = popup(frame, width, height, true, " Keys ".to_string());
    frame.render_widget(Paragraph::new(text), inner);
}

fn draw_palette(
    frame: &mut Frame,
    palette: &super::state::Palette,
    commands: &[super::keymap::PaletteItem],
) {
    let matches = super::keymap::palette_matches(commands, &palette.query);
    let height = matches.len().min(12) as u16 + 3;
    let title = " Command palette (Enter runs, Esc closes) ".to_string();
    let inner = popup(frame, 72, height, false, title);
    let mut lines = vec![Line::from(vec![
        Span::styled("> ", Style::new().fg(Color::Cyan)),
        Span::raw(palette.query.clone()),
    ])];
    let keys_width = 18usize;
    for (i, item) in matches
        .iter()
        .take(inner.height.saturating_sub(1) as usize)
        .enumerate()
    {
        let style = if i == palette.selected {
            Style::new().bg(Color::Blue).fg(Color::White)
        } else {
            Style::new()
        };
        let label_width = (inner.width as usize).saturating_sub(keys_width + 1);
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<label_width$}", clip(&item.label, label_width)),
                style,
            ),
            Span::styled(
                format!(" {:>keys_width$}", clip(&item.keys, keys_width)),
                style.fg(Color::DarkGray),
            ),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    frame.set_cursor_position(Position::new(
        inner.x + 2 + palette.query.chars().count() as u16,
        inner.y,
    ));
}

/// `NO_COLOR`: every cell back to the terminal's colours; what was highlighted by a
/// background colour is shown reversed instead, so selections stay visible.
pub fn strip_colors(buffer: &mut ratatui::buffer::Buffer) {
    for cell in buffer.content.iter_mut() {
        if cell.bg != Color::Reset {
            cell.modifier |= Modifier::REVERSED;
        }
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
    }
}

/// The light theme: the screens draw for a dark background, and this maps each
/// foreground colour to one that reads on a light background (yellow headers turn
/// blue, light grey darkens, white text turns black where nothing fills behind it).
pub fn lighten(buffer: &mut ratatui::buffer::Buffer) {
    for cell in buffer.content.iter_mut() {
        cell.fg = match (cell.fg, cell.bg) {
            (Color::Yellow, _) => Color::Blue,
            (Color::Cyan, _) => Color::Blue,
            (Color::Gray, _) => Color::DarkGray,
            (Color::White, Color::Reset) => Color::Black,
            (Color::Reset, Color::Reset) => Color::Black,
            (fg, _) => fg,
        };
    }
}

/// Every column of the selected result row, one per line.
fn draw_row_detail(frame: &mut Frame, app: &App) {
    let (Some(result), Some(row)) = (&app.grid.result, app.grid.row(app.grid.selected)) else {
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
                    Style::new().fg(Color::Yellow),
                ),
                Span::raw(v.clone()),
            ])
        })
        .collect();
    let title = format!(" Row {} (Esc closes) ", thousands(app.grid.selected + 1));
    let inner = popup(frame, 90, lines.len() as u16 + 2, false, title);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// Clears a rounded, titled box of at most `width` × `height` over the screen
/// (centred, or near the top) and returns the area inside it.
fn popup(frame: &mut Frame, width: u16, height: u16, centred: bool, title: String) -> Rect {
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
        .border_style(Style::new().fg(Color::Cyan));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}
