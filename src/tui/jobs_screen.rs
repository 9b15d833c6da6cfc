//! Screen 4, jobs: every background job of this session with its progress, elapsed
//! time and outcome (`x` cancels the selected one, its latest messages are beside it),
//! and under them what ran in this warehouse from its records: ingests, pipeline jobs
//! with their retries and errors, ML runs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table, TableState};

use super::state::{App, JobState};
use super::ui::pane_block;
use crate::format::thousands;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let [session, recent] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    draw_recent(frame, app, recent);
    let [list, log] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(session);
    if app.jobs.is_empty() {
        let hint =
            "No jobs in this session yet. Start a model build from the Models screen (3, then b).";
        frame.render_widget(
            Paragraph::new(hint).dim().block(pane_block("Jobs", true)),
            session,
        );
        return;
    }
    let rows = app.jobs.iter().map(|job| {
        let elapsed = job.finished.unwrap_or_else(std::time::Instant::now) - job.started;
        let progress = job
            .progress
            .as_ref()
            .and_then(|p| p.total.map(|t| format!("{}/{t}", p.done)))
            .unwrap_or_default();
        let (state, color) = match &job.state {
            JobState::Running => ("running".to_string(), Color::Cyan),
            JobState::Cancelling => ("cancelling".to_string(), Color::Yellow),
            JobState::Finished(m) => (format!("done: {m}"), Color::Green),
            JobState::Failed(m) => (format!("failed: {m}"), Color::Red),
        };
        Row::new([
            job.id.to_string(),
            job.name.clone(),
            progress,
            format!("{:.1} s", elapsed.as_secs_f64()),
            state,
        ])
        .style(Style::new().fg(color))
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(4),
            Constraint::Min(20),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Min(20),
        ],
    )
    .header(
        Row::new(["#", "job", "progress", "elapsed", "state"])
            .style(Style::new().bold().fg(Color::Yellow)),
    )
    .row_highlight_style(Style::new().bg(Color::Blue).fg(Color::White))
    .block(pane_block("Jobs (x cancels)", true));
    let mut state = TableState::default().with_selected(Some(app.job_selected));
    frame.render_stateful_widget(table, list, &mut state);
    if let Some(job) = app.jobs.get(app.job_selected) {
        let height = log.height.saturating_sub(2) as usize;
        let lines: Vec<Line> = job
            .log
            .iter()
            .flat_map(|m| m.lines().map(str::to_string).collect::<Vec<_>>())
            .rev()
            .take(height)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .map(Line::from)
            .collect();
        frame.render_widget(
            Paragraph::new(lines).block(pane_block(&format!("Log of job {}", job.id), false)),
            log,
        );
    }
}

/// What ran in this warehouse, newest first.
fn draw_recent(frame: &mut Frame, app: &App, area: Rect) {
    let title = "Recent runs in this warehouse (ingests, pipeline jobs, ML)";
    let runs = match &app.recent_runs {
        None => {
            let text = Paragraph::new("loading…").dim();
            frame.render_widget(text.block(pane_block(title, false)), area);
            return;
        }
        Some(Err(e)) => {
            let text = Paragraph::new(e.as_str()).red();
            frame.render_widget(text.block(pane_block(title, false)), area);
            return;
        }
        Some(Ok(runs)) => runs,
    };
    let heading = format!("{title}: {}", runs.len());
    let rows = runs.iter().map(|run| {
        let color = match run.status.as_str() {
            "success" | "ok" => Color::Green,
            "running" => Color::Cyan,
            "skipped" | "cancelled" => Color::Yellow,
            _ => Color::Red,
        };
        Row::new([
            run.started_at.format("%m-%d %H:%M:%S").to_string(),
            run.kind.clone(),
            run.name.clone(),
            run.status.clone(),
            run.seconds.map(|s| format!("{s:.1} s")).unwrap_or_default(),
            run.retries.to_string(),
            run.rows
                .map(|r| thousands(r.max(0) as u64))
                .unwrap_or_default(),
            run.detail.clone().unwrap_or_default(),
        ])
        .style(Style::new().fg(color))
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(14),
            Constraint::Length(8),
            Constraint::Length(22),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Length(9),
            Constraint::Fill(1),
        ],
    )
    .header(super::ui::table_header(&[
        "started",
        "kind",
        "job",
        "status",
        "took",
        "retries",
        "rows",
        "error / message",
    ]))
    .block(pane_block(&heading, false));
    frame.render_widget(table, area);
}
