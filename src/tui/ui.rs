//! Drawing: a pure function of the app state. Nothing here changes state or does I/O.
//! The title and status lines and the help are the app's; each screen draws itself in
//! the body, the overlays go on top and the theme finishes the frame.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::App;
use super::focus::Mode;
use super::keymap::{HelpRow, help_box_width, help_first_line, help_rows, help_view_height};
use super::layout::areas;
use super::palette::draw_palette;
use super::screen::Screen;
use super::status::StatusKind;
use super::theme;
use super::widgets::popup::popup;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn draw(frame: &mut Frame, app: &App) {
    let a = areas(frame.area());
    draw_title(frame, app, a.title);
    let body = a.body(frame.area().width);
    match app.screen {
        Screen::Sql => app.sql.draw(frame, &a, !app.show_help),
        Screen::Dashboard => app.dashboard.draw(frame, body),
        Screen::Quality => app.quality.draw(frame, body),
        Screen::Alerts => app.alerts.draw(frame, body),
        Screen::Ml => app.ml.draw(frame, body),
        Screen::Stream => app.stream.draw(frame, body),
        Screen::Models => app.models.draw(frame, body),
        Screen::Jobs => app.jobs_screen.draw(frame, &app.jobs, body),
    }
    draw_status(frame, app, a.status);
    if app.show_help {
        draw_help(frame, app);
    }
    app.sql.draw_overlay(frame);
    if let Some(palette) = &app.palette {
        draw_palette(frame, palette, &app.commands);
    }
    app.theme.finish(frame.buffer_mut());
}

/// The title row's brand, before the screen tabs.
const BRAND: &str = " ecom ";

/// The title row's screen tabs with their text, in order after [`BRAND`].
fn title_tabs() -> impl Iterator<Item = (Screen, String)> {
    Screen::TABS
        .into_iter()
        .map(|(screen, key, name)| (screen, format!("  {key} {name}")))
}

/// The screen whose tab is drawn at column `x` of the title row.
pub fn screen_tab_at(x: u16) -> Option<Screen> {
    let mut start = BRAND.chars().count() as u16;
    for (screen, text) in title_tabs() {
        let end = start + text.chars().count() as u16;
        // The two spaces before the key belong to the gap, not the tab.
        if (start + 2..end).contains(&x) {
            return Some(screen);
        }
        start = end;
    }
    None
}

fn draw_title(frame: &mut Frame, app: &App, area: Rect) {
    let mut tabs = vec![Span::styled(
        BRAND,
        Style::new().bold().fg(theme::ON_ACCENT).bg(theme::ACCENT),
    )];
    for (screen, text) in title_tabs() {
        let style = if screen == app.screen {
            Style::new().bold().fg(theme::ACCENT)
        } else {
            Style::new().fg(theme::MUTED)
        };
        tabs.push(Span::styled(text, style));
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
        Style::new().fg(theme::MUTED),
    ))
    .alignment(Alignment::Right);
    frame.render_widget(Paragraph::new(right), area);
}

fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let mode = match app.sql.mode {
        Mode::Normal => Span::styled(" NORMAL ", theme::selected().bold()),
        Mode::Insert => Span::styled(
            " INSERT ",
            Style::new().bold().bg(theme::GOOD).fg(theme::ON_ACCENT),
        ),
    };
    let mut spans = vec![mode, Span::raw(" ")];
    if let Some(running) = &app.sql.running {
        let frame_index = (app.ticks as usize) % SPINNER.len();
        spans.push(Span::styled(
            format!(
                "{} running {:.1} s (Esc cancels) ",
                SPINNER[frame_index],
                running.started.elapsed().as_secs_f64()
            ),
            Style::new().fg(theme::ACCENT),
        ));
    } else if let Some(job) = app.sql.grid.jobs.first() {
        let frame_index = (app.ticks as usize) % SPINNER.len();
        spans.push(Span::styled(
            format!(
                "{} {} {:.1} s (Esc cancels) ",
                SPINNER[frame_index],
                job.kind.doing(),
                job.started.elapsed().as_secs_f64()
            ),
            Style::new().fg(theme::ACCENT),
        ));
    } else if let Some(p) = &app.ingest {
        let percent = p.ratio().map(|r| (r * 100.0).round() as u32).unwrap_or(0);
        spans.push(Span::styled(
            format!("{} {}% {} ", p.job, percent, p.message),
            Style::new().fg(theme::ACCENT),
        ));
    } else {
        let style = match app.status.kind {
            StatusKind::Info => Style::new(),
            StatusKind::Error => Style::new().fg(theme::BAD).bold(),
        };
        spans.push(Span::styled(app.status.text.clone(), style));
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
    let hint_line = Line::from(Span::styled(HINTS, Style::new().fg(theme::MUTED)));
    frame.render_widget(Paragraph::new(hint_line), hints);
}

/// The help: every screen's keys in sections, scrolled to `app.help_scroll`, with a
/// footer saying where the view is when the text is taller than the terminal.
fn draw_help(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let rows = help_rows(&app.help, area.width);
    let first = help_first_line(app.help_scroll, rows.len(), area.height);
    let shown = help_view_height(area.height).min(rows.len());
    let key = Style::new().fg(theme::ACCENT);
    let indent = help_indent(&rows);
    let mut lines: Vec<Line> = rows
        .iter()
        .skip(first)
        .take(shown)
        .map(|row| match row {
            HelpRow::Heading(title) => Line::from(Span::styled(
                title.clone(),
                Style::new().bold().fg(theme::HEADING),
            )),
            HelpRow::Keys(keys, help) => Line::from(vec![
                Span::styled(format!("  {keys}  "), key),
                Span::raw(help.clone()),
            ]),
            HelpRow::More(help) => {
                Line::from(vec![Span::raw(" ".repeat(indent)), Span::raw(help.clone())])
            }
            HelpRow::Blank => Line::from(""),
        })
        .collect();
    lines.push(Line::from(
        if shown < rows.len() {
            format!(
                "rows {}–{} of {} · PgDn/PgUp scroll · Esc, ? or q closes",
                first + 1,
                first + shown,
                rows.len()
            )
        } else {
            "Esc, ? or q closes this help.".to_string()
        }
        .dim(),
    ));
    let inner = popup(
        frame,
        help_box_width(area.width),
        lines.len() as u16 + 2,
        true,
        " Keys of every screen ".to_string(),
    );
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Where descriptions start: after the indent, the widest keys and two spaces.
fn help_indent(rows: &[HelpRow]) -> usize {
    rows.iter()
        .find_map(|r| match r {
            HelpRow::Keys(keys, _) => Some(keys.chars().count() + 4),
            _ => None,
        })
        .unwrap_or(4)
}
