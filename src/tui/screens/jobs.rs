//! Screen 4, jobs: every background job of this session with its progress, elapsed
//! time and outcome (`x` cancels the selected one, its latest messages are beside it),
//! and under them what ran in this warehouse from its records: ingests, pipeline jobs
//! with their retries and errors, ML runs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table, TableState};

use crate::format::thousands;
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::failure::Reported;
use crate::tui::jobs::{JobState, Jobs};
use crate::tui::theme;
use crate::tui::widgets::pane::{pane_block, table_header};
use crate::warehouse::history::RecentRun;

/// What ran in this warehouse, from its records (the lower list); the session's jobs
/// are the app's, handed in.
#[derive(Debug, Clone, Default)]
pub struct JobsScreen {
    pub recent_runs: Option<Reported<Vec<RecentRun>>>,
}

impl JobsScreen {
    pub fn update(&mut self, action: Action, jobs: &mut Jobs) -> Vec<Effect> {
        match action {
            Action::RecentRunsLoaded(result) => self.recent_runs = Some(result),
            Action::CancelJob => return jobs.cancel_selected().into_iter().collect(),
            Action::Move(delta) => jobs.move_selection(delta),
            _ => {}
        }
        vec![]
    }

    pub fn draw(&self, frame: &mut Frame, jobs: &Jobs, area: Rect) {
        draw(frame, self, jobs, area);
    }
}

fn draw(frame: &mut Frame, screen: &JobsScreen, jobs: &Jobs, area: Rect) {
    let [session, recent] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    draw_recent(frame, screen, recent);
    let [list, log] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(session);
    if jobs.is_empty() {
        let hint =
            "No jobs in this session yet. Start a model build from the Models screen (3, then b).";
        frame.render_widget(
            Paragraph::new(hint).dim().block(pane_block("Jobs", true)),
            session,
        );
        return;
    }
    let rows = jobs.iter().map(|job| {
        let elapsed = job.finished.unwrap_or_else(std::time::Instant::now) - job.started;
        let progress = job
            .progress
            .as_ref()
            .and_then(|p| p.total.map(|t| format!("{}/{t}", p.done)))
            .unwrap_or_default();
        let (state, color) = match &job.state {
            JobState::Running => ("running".to_string(), theme::ACCENT),
            JobState::Cancelling => ("cancelling".to_string(), theme::WARNING),
            JobState::Finished(m) => (format!("done: {m}"), theme::GOOD),
            JobState::Failed(m) => (format!("failed: {m}"), theme::BAD),
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
    .header(table_header(&["#", "job", "progress", "elapsed", "state"]))
    .row_highlight_style(theme::selected())
    .block(pane_block("Jobs (x cancels)", true));
    let mut state = TableState::default().with_selected(Some(jobs.selected));
    frame.render_stateful_widget(table, list, &mut state);
    if let Some(job) = jobs.get(jobs.selected) {
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
fn draw_recent(frame: &mut Frame, screen: &JobsScreen, area: Rect) {
    let title = "Recent runs in this warehouse (ingests, pipeline jobs, ML)";
    let runs = match &screen.recent_runs {
        None => {
            let text = Paragraph::new("loading…").dim();
            frame.render_widget(text.block(pane_block(title, false)), area);
            return;
        }
        Some(Err(e)) => {
            let text = Paragraph::new(e.as_str()).fg(theme::BAD);
            frame.render_widget(text.block(pane_block(title, false)), area);
            return;
        }
        Some(Ok(runs)) => runs,
    };
    let heading = format!("{title}: {}", runs.len());
    let rows = runs.iter().map(|run| {
        let color = match run.status.as_str() {
            "success" | "ok" => theme::GOOD,
            "running" => theme::ACCENT,
            "skipped" | "cancelled" => theme::WARNING,
            _ => theme::BAD,
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
    .header(table_header(&[
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::status::Status;

    #[test]
    fn x_cancels_the_selected_running_job_once() {
        let (mut screen, mut jobs, mut status) =
            (JobsScreen::default(), Jobs::default(), Status::default());
        assert!(
            screen.update(Action::CancelJob, &mut jobs).is_empty(),
            "no job"
        );
        jobs.add("models build".into(), &mut status);
        jobs.add("tail".into(), &mut status);
        screen.update(Action::Move(1), &mut jobs);
        assert_eq!(jobs.selected, 1);
        screen.update(Action::Move(9), &mut jobs);
        assert_eq!(jobs.selected, 1, "stays on the last job");
        assert_eq!(
            screen.update(Action::CancelJob, &mut jobs),
            vec![Effect::CancelJob(1)]
        );
        assert_eq!(jobs[1].state, JobState::Cancelling);
        assert!(
            screen.update(Action::CancelJob, &mut jobs).is_empty(),
            "already cancelling"
        );
        screen.update(
            Action::RecentRunsLoaded(Err("no history".into())),
            &mut jobs,
        );
        assert_eq!(screen.recent_runs, Some(Err("no history".into())));
    }
}
