//! Screen 5, Stream: the tail started from here (`t` starts and stops it) with its live
//! figures (events per second as a sparkline, lag and watermark per partition) and what
//! it wrote lately (closed windows, dead letters, late events). The figures arrive as
//! actions from the tail's job and the tables from the worker: nothing here waits.
//! `b` opens the topic browser (`super::browser`) in the screen's place until Esc.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Sparkline, Table, Wrap};

use crate::format::thousands;
use crate::stream::recent::StreamRecent;
use crate::stream::tail::TailStatus;
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::failure::Reported;
use crate::tui::jobs::Jobs;
use crate::tui::screens::browser::{BrowseCommand, TopicBrowser};
use crate::tui::status::Status;
use crate::tui::theme;
use crate::tui::widgets::pane::{pane_block, table_header};

/// The Stream screen's state: the tail job, its latest figures and their history.
#[derive(Debug, Clone, Default)]
pub struct StreamScreen {
    /// The running tail's job, when one runs.
    pub job: Option<u64>,
    /// Asked to stop; waiting for its last batch.
    pub stopping: bool,
    /// What the tail consumes, for the title.
    pub target: String,
    pub status: Option<TailStatus>,
    /// Events per second at each publication, oldest first (at most [`RATE_HISTORY`]).
    pub rates: Vec<u64>,
    pub recent: Option<Reported<StreamRecent>>,
    /// The closed window selected (Enter lists its events in a SQL tab).
    pub selected: usize,
    /// The brokers the topic browser lists (`[tui.stream]`'s, like the tail's).
    pub brokers: String,
    /// The topic browser, while it shows.
    pub browser: Option<TopicBrowser>,
}

/// Samples of the events-per-second sparkline (two a second: a minute).
pub const RATE_HISTORY: usize = 120;

impl StreamScreen {
    /// The closed windows shown, newest first.
    fn windows(&self) -> &[crate::stream::recent::RecentWindow] {
        match &self.recent {
            Some(Ok(recent)) => &recent.windows,
            _ => &[],
        }
    }

    /// The query listing the events behind the selected window.
    pub fn drill_down_sql(&self) -> Option<String> {
        let window = self.windows().get(self.selected)?;
        Some(crate::stream::recent::window_rows_sql(window))
    }

    pub fn update(&mut self, action: Action, jobs: &mut Jobs, status: &mut Status) -> Vec<Effect> {
        match action {
            Action::ToggleTail => return vec![self.toggle_tail(jobs, status)],
            Action::Browse(_) | Action::BrowseKey(_) | Action::Browsed(_) => {
                return self.browse(action, status);
            }
            Action::Move(_) if self.browser.is_some() => return self.browse(action, status),
            Action::Escape => return self.browser_back(),
            Action::TailStatus(figures) => self.record(*figures),
            Action::StreamLoaded(result) => {
                self.recent = Some(result);
                self.selected = self.selected.min(self.windows().len().saturating_sub(1));
            }
            Action::Move(delta) => {
                let last = self.windows().len().saturating_sub(1) as i64;
                self.selected =
                    (self.selected as i64).saturating_add(delta).clamp(0, last) as usize;
            }
            // The app ticks this screen every two seconds while it shows: follow what
            // the tail writes.
            Action::Tick if self.job.is_some() => return vec![Effect::LoadStream],
            Action::JobFinished(id, _) if self.job == Some(id) => {
                self.job = None;
                self.stopping = false;
                return vec![Effect::LoadStream];
            }
            _ => {}
        }
        vec![]
    }

    /// The topic browser's actions; `b` opens it on the topic list.
    fn browse(&mut self, action: Action, status: &mut Status) -> Vec<Effect> {
        if matches!(action, Action::Browse(BrowseCommand::Topics)) && self.browser.is_none() {
            let (browser, effect) = TopicBrowser::open(&self.brokers);
            self.browser = Some(browser);
            return vec![effect];
        }
        match self.browser.as_mut() {
            Some(browser) => browser.update(action, status),
            None => {
                if matches!(action, Action::Browse(_)) {
                    status.info("b on screen 5 opens the topic browser first");
                }
                vec![]
            }
        }
    }

    /// Esc in the browser: one step back; from the topic list, back to the tail.
    fn browser_back(&mut self) -> Vec<Effect> {
        let Some(browser) = self.browser.as_mut() else {
            return vec![];
        };
        browser.back().unwrap_or_else(|| {
            self.browser = None;
            vec![]
        })
    }

    /// Starts the tail, or asks the running one to stop.
    fn toggle_tail(&mut self, jobs: &mut Jobs, status: &mut Status) -> Effect {
        if let Some(job) = self.job {
            self.stopping = true;
            status.info("stopping the tail after its current batch…");
            return jobs.cancel(job);
        }
        let job = jobs.add("tail".into(), status);
        self.job = Some(job);
        self.rates.clear();
        self.status = None;
        Effect::StartTail { job }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        match &self.browser {
            Some(browser) => browser.draw(frame, area),
            None => draw(frame, self, area),
        }
    }

    fn record(&mut self, status: TailStatus) {
        self.rates.push(status.events_per_second.round() as u64);
        if self.rates.len() > RATE_HISTORY {
            self.rates.remove(0);
        }
        self.status = Some(status);
    }
}

fn draw(frame: &mut Frame, view: &StreamScreen, area: Rect) {
    let [head, rate, middle, bottom] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(5),
        Constraint::Fill(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    draw_head(frame, view, head);
    draw_rate(frame, view, rate);
    let [partitions, windows] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(middle);
    let [dead, late] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    draw_partitions(frame, view.status.as_ref(), partitions);
    match &view.recent {
        Some(Ok(recent)) => {
            draw_windows(frame, recent, windows, view.selected);
            draw_dead_letters(frame, recent, dead);
            draw_late(frame, recent, late);
        }
        Some(Err(e)) => {
            let text = Paragraph::new(e.as_str()).wrap(Wrap { trim: true });
            frame.render_widget(text.block(pane_block("Closed windows", false)), windows);
            frame.render_widget(pane_block("Dead letters", false), dead);
            frame.render_widget(pane_block("Late events", false), late);
        }
        None => {
            for (title, area) in [
                ("Closed windows", windows),
                ("Dead letters", dead),
                ("Late events", late),
            ] {
                frame.render_widget(
                    Paragraph::new("loading…")
                        .dim()
                        .block(pane_block(title, false)),
                    area,
                );
            }
        }
    }
}

fn draw_head(frame: &mut Frame, view: &StreamScreen, area: Rect) {
    let state = match (view.job, view.stopping) {
        (Some(_), true) => Span::styled("● stopping", Style::new().fg(theme::WARNING).bold()),
        (Some(_), false) => Span::styled("● running", Style::new().fg(theme::GOOD).bold()),
        (None, _) => Span::styled("○ stopped", Style::new().dim()),
    };
    let mut spans = vec![state];
    if let Some(s) = &view.status {
        spans.push(Span::raw(format!(
            " · {} messages · {} events · {} duplicates · {} late · {} dead letters · {} windows · {} rebalances",
            thousands(s.messages),
            thousands(s.events),
            thousands(s.duplicates),
            thousands(s.late_events),
            thousands(s.dead_letters),
            thousands(s.windows_emitted),
            s.rebalances
        )));
        if let Some(error) = &s.last_broker_error {
            spans.push(Span::styled(
                format!(" · broker: {error}"),
                Style::new().fg(theme::BAD),
            ));
        }
    }
    let key = if view.job.is_some() {
        "t stops"
    } else {
        "t starts"
    };
    let paragraph = Paragraph::new(Line::from(spans)).wrap(Wrap { trim: true });
    let title = format!("Tail of {} · {key} · b browses topics", view.target);
    frame.render_widget(paragraph.block(pane_block(&title, false)), area);
}

fn draw_rate(frame: &mut Frame, view: &StreamScreen, area: Rect) {
    let rates = &view.rates;
    let now = rates.last().copied().unwrap_or(0);
    let peak = rates.iter().copied().max().unwrap_or(0);
    let title = format!(
        "Events per second: now {}, peak {}",
        thousands(now),
        thousands(peak)
    );
    // The newest samples, as many as fit, right-aligned like a scrolling chart.
    let width = area.width.saturating_sub(2) as usize;
    let shown = &rates[rates.len().saturating_sub(width)..];
    let sparkline = Sparkline::default()
        .data(shown)
        .style(Style::new().fg(theme::ACCENT))
        .block(pane_block(&title, false));
    frame.render_widget(sparkline, area);
}

fn draw_partitions(frame: &mut Frame, status: Option<&TailStatus>, area: Rect) {
    let title = "Partitions";
    let Some(status) = status.filter(|s| !s.partitions.is_empty()) else {
        let text = Paragraph::new("no partitions assigned (start the tail with t)").dim();
        frame.render_widget(text.block(pane_block(title, false)), area);
        return;
    };
    let rows = status.partitions.iter().map(|p| {
        Row::new([
            p.partition.to_string(),
            thousands(p.next_offset.max(0) as u64),
            p.lag.map_or("?".into(), |l| thousands(l.max(0) as u64)),
            p.watermark
                .map_or("none yet".into(), |w| w.format("%m-%d %H:%M").to_string()),
        ])
    });
    let widths = [
        Constraint::Length(4),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Min(11),
    ];
    let table = Table::new(rows, widths)
        .header(table_header(&["part", "offset", "lag", "watermark"]))
        .block(pane_block(title, false));
    frame.render_widget(table, area);
}

fn draw_windows(frame: &mut Frame, recent: &StreamRecent, area: Rect, selected: usize) {
    let title = format!(
        "Closed windows, all countries · {} events in · Enter: its events",
        thousands(recent.events)
    );
    if recent.windows.is_empty() {
        let text = Paragraph::new("none closed yet").dim();
        frame.render_widget(text.block(pane_block(&title, false)), area);
        return;
    }
    let rows = recent.windows.iter().map(|w| {
        Row::new([
            w.window_start.clone(),
            humantime::format_duration(std::time::Duration::from_secs(
                w.window_seconds.max(0) as u64
            ))
            .to_string(),
            format!("{:.2}", w.revenue),
            thousands(w.orders.max(0) as u64),
            thousands(w.customers.max(0) as u64),
            w.conversion
                .map_or("-".into(), |c| format!("{:.0}%", 100.0 * c)),
        ])
    });
    let widths = [
        Constraint::Length(11),
        Constraint::Length(4),
        Constraint::Length(9),
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Length(4),
    ];
    let table = Table::new(rows, widths)
        .header(table_header(&[
            "start", "size", "revenue", "orders", "cust", "conv",
        ]))
        .block(pane_block(&title, false));
    crate::tui::widgets::selectable::render_selectable(frame, table, area, Some(selected));
}

fn draw_dead_letters(frame: &mut Frame, recent: &StreamRecent, area: Rect) {
    let title = format!("Dead letters ({})", thousands(recent.dead_letter_count));
    let rows = recent
        .dead_letters
        .iter()
        .map(|d| Row::new([format!("{}:{}", d.partition, d.offset), d.reason.clone()]));
    let table = Table::new(rows, [Constraint::Length(10), Constraint::Min(10)])
        .header(table_header(&["at", "reason"]))
        .block(pane_block(&title, false));
    frame.render_widget(table, area);
}

fn draw_late(frame: &mut Frame, recent: &StreamRecent, area: Rect) {
    let title = format!("Late events ({})", thousands(recent.late_count));
    let rows = recent.late_events.iter().map(|l| {
        Row::new([
            l.event_id.clone(),
            l.event_time.clone(),
            l.watermark.clone(),
        ])
    });
    let widths = [
        Constraint::Min(12),
        Constraint::Length(11),
        Constraint::Length(11),
    ];
    let table = Table::new(rows, widths)
        .header(table_header(&["event", "event time", "watermark"]))
        .block(pane_block(&title, false));
    frame.render_widget(table, area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::jobs::JobState;

    #[test]
    fn t_starts_the_tail_as_a_job_and_stops_it() {
        let (mut screen, mut jobs, mut status) =
            (StreamScreen::default(), Jobs::default(), Status::default());
        assert!(
            screen
                .update(Action::Tick, &mut jobs, &mut status)
                .is_empty(),
            "no tail, nothing to follow"
        );
        assert_eq!(
            screen.update(Action::ToggleTail, &mut jobs, &mut status),
            vec![Effect::StartTail { job: 1 }]
        );
        assert_eq!((screen.job, jobs[0].name.as_str()), (Some(1), "tail"));
        assert_eq!(
            screen.update(Action::Tick, &mut jobs, &mut status),
            vec![Effect::LoadStream]
        );
        assert_eq!(
            screen.update(Action::ToggleTail, &mut jobs, &mut status),
            vec![Effect::CancelJob(1)]
        );
        assert!(screen.stopping);
        assert_eq!(jobs[0].state, JobState::Cancelling);
        assert!(
            screen
                .update(
                    Action::JobFinished(2, Ok("other".into())),
                    &mut jobs,
                    &mut status
                )
                .is_empty(),
            "another job's end"
        );
        assert_eq!(
            screen.update(
                Action::JobFinished(1, Ok("stopped".into())),
                &mut jobs,
                &mut status
            ),
            vec![Effect::LoadStream]
        );
        assert_eq!((screen.job, screen.stopping), (None, false));
    }

    #[test]
    fn the_rate_history_keeps_the_last_minute() {
        let (mut screen, mut jobs, mut status) =
            (StreamScreen::default(), Jobs::default(), Status::default());
        for rate in 0..RATE_HISTORY + 5 {
            let figures = TailStatus {
                events_per_second: rate as f64,
                ..TailStatus::default()
            };
            screen.update(
                Action::TailStatus(Box::new(figures)),
                &mut jobs,
                &mut status,
            );
        }
        assert_eq!(screen.rates.len(), RATE_HISTORY);
        assert_eq!(screen.rates[0], 5);
        assert_eq!(
            screen.status.as_ref().map(|s| s.events_per_second),
            Some(124.0)
        );
    }
}
