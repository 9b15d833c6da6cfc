//! Screen 4, jobs: every background job of this session with its progress, elapsed
//! time and outcome; `x` cancels the selected one; its latest messages below.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table, TableState};

use super::state::{App, JobState};
use super::ui::pane_block;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let [list, log] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    if app.jobs.is_empty() {
        let hint = "No jobs yet. Start a model build from the Models screen (3, then b).";
        frame.render_widget(
            Paragraph::new(hint).dim().block(pane_block("Jobs", true)),
            area,
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
