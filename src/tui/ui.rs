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
use super::keymap::{Binding, help_lines};
use super::layout::areas;
use super::palette::draw_palette;
use super::screen::Screen;
use super::status::StatusKind;
use super::theme;
use super::widgets::popup::popup;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn draw(frame: &mut Frame, app: &App, bindings: &[Binding]) {
    let a = areas(frame.area());
    draw_title(frame, app, a.title);
    let body = a.body(frame.area().width);
    match app.screen {
        Screen::Sql => app.sql.draw(frame, &a, !app.show_help),
        Screen::Dashboard => app.dashboard.draw(frame, body),
        Screen::Quality => app.quality.draw(frame, body),
        Screen::Ml => app.ml.draw(frame, body),
        Screen::Stream => app.stream.draw(frame, body),
        Screen::Models => app.models.draw(frame, body),
        Screen::Jobs => app.jobs_screen.draw(frame, &app.jobs, body),
    }
    draw_status(frame, app, a.status);
    if app.show_help {
        draw_help(frame, bindings);
    }
    app.sql.draw_overlay(frame);
    if let Some(palette) = &app.palette {
        draw_palette(frame, palette, &app.commands);
    }
    app.theme.finish(frame.buffer_mut());
}

fn draw_title(frame: &mut Frame, app: &App, area: Rect) {
    let mut tabs = vec![Span::styled(
        " ecom ",
        Style::new().bold().fg(theme::ON_ACCENT).bg(theme::ACCENT),
    )];
    for (screen, key, name) in Screen::TABS {
        let style = if screen == app.screen {
            Style::new().bold().fg(theme::ACCENT)
        } else {
            Style::new().fg(theme::MUTED)
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
                    Style::new().fg(theme::ACCENT),
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
