//! Live SQL: a tab that re-runs its last run every N seconds (`:auto-refresh N`, `a`).
//!
//! A refresh goes to the worker like a manual run (so it works on a remote workbench
//! and never blocks the frame; the tail writes through its own connection), starts only
//! when the tab's previous run has finished, re-runs reads only, and keeps the user's
//! place: each grid is refreshed in place ([`crate::tui::grid::Grid::refresh`]), its
//! filters and sort run again on the new rows. What does not survive a refresh: a chart
//! keeps the figures it was drawn from (`v` draws the new ones) and a column profile the
//! counts it was made from.

use std::time::{Duration, Instant};

use chrono::{DateTime, Local};

use super::SqlScreen;
use super::result_tabs::Finished;
use super::tabs::RunningQuery;
use crate::refresh::{self, Schedule};
use crate::tui::effect::{Effect, StatementRun};
use crate::tui::grid::RefreshView;
use crate::tui::grid::jobs::{GridJob, JobKind, RunningJob};
use crate::tui::status::Status;

/// The interval the `a` key turns on.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(5);

/// A tab's auto-refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoRefresh {
    pub schedule: Schedule,
    /// When the tab's last run finished (a refresh or the user's), for its title.
    pub finished: Option<DateTime<Local>>,
    /// Why the last refresh failed, shown in place until one succeeds (it keeps trying).
    pub error: Option<String>,
}

impl AutoRefresh {
    pub fn new(every: Duration) -> Self {
        Self {
            schedule: Schedule::new(every),
            finished: None,
            error: None,
        }
    }

    /// `⟳ 5s · 14:03:07`: the interval and when the last run finished.
    pub fn label(&self) -> String {
        let every = refresh::label(self.schedule.every);
        match self.finished {
            Some(at) => format!("⟳ {every} · {}", at.format("%H:%M:%S")),
            None => format!("⟳ {every}"),
        }
    }
}

impl SqlScreen {
    /// Starts the refreshes that are due at `now`: one per tab whose interval has passed
    /// since its last run started and whose last run has finished.
    pub fn tick(&mut self, now: Instant) -> Vec<Effect> {
        let mut effects = Vec::new();
        for n in 0..self.tabs.tabs.len() {
            let tab = &self.tabs.tabs[n];
            let busy = if n == self.tabs.active {
                self.running.is_some()
            } else {
                tab.parked.as_ref().is_some_and(|p| p.running.is_some())
            };
            let due = tab
                .refresh
                .as_ref()
                .is_some_and(|r| r.schedule.due(now, busy));
            if due && self.waits_for(n).is_none() {
                effects.extend(self.start_refresh(n, now));
            }
        }
        effects
    }

    /// Why tab `n`'s auto-refresh cannot run now, if it cannot.
    pub fn waits_for(&self, n: usize) -> Option<String> {
        let tab = &self.tabs.tabs[n];
        if tab.last_run.is_empty() {
            return Some("run a query (r): its statements refresh".into());
        }
        refresh::first_write(tab.last_run.iter().map(|(sql, _)| sql.as_str())).map(|word| {
            format!("the last run has {word}; only reads (SELECT, WITH, FROM, SHOW, DESCRIBE, PIVOT…) refresh")
        })
    }

    /// `:auto-refresh N` (seconds, `5s`, `1m`) or `:auto-refresh off`, for the front tab.
    pub(super) fn set_auto_refresh(&mut self, every: &str, status: &mut Status) {
        if every.trim().eq_ignore_ascii_case("off") {
            return self.stop_auto_refresh(status);
        }
        match refresh::parse_every(every) {
            Ok(every) => self.start_auto_refresh(every, status),
            Err(e) => status.error(e.to_string()),
        }
    }

    /// `a`: auto-refresh every [`DEFAULT_EVERY`], or off when it is on.
    pub(super) fn toggle_auto_refresh(&mut self, status: &mut Status) {
        if self.tabs.tabs[self.tabs.active].refresh.is_some() {
            self.stop_auto_refresh(status);
        } else {
            self.start_auto_refresh(DEFAULT_EVERY, status);
        }
    }

    fn start_auto_refresh(&mut self, every: Duration, status: &mut Status) {
        let n = self.tabs.active;
        self.tabs.tabs[n].refresh = Some(AutoRefresh::new(every));
        let every = refresh::label(every);
        match self.waits_for(n) {
            Some(why) => status.info(format!("auto-refresh every {every} waits: {why}")),
            None => status.info(format!(
                "auto-refresh every {every}: the tab's last run re-runs (a off, :auto-refresh off)"
            )),
        }
    }

    fn stop_auto_refresh(&mut self, status: &mut Status) {
        self.tabs.tabs[self.tabs.active].refresh = None;
        status.info("auto-refresh off");
    }

    /// The user ran `statements` (query id, SQL, first line) in the front tab: what its
    /// auto-refresh re-runs from now on, the next refresh an interval after this run.
    pub(super) fn remember_run(&mut self, statements: &[(u64, String, usize)]) {
        let tab = &mut self.tabs.tabs[self.tabs.active];
        tab.last_run = statements
            .iter()
            .map(|(_, sql, line)| (sql.clone(), *line))
            .collect();
        if let Some(refresh) = tab.refresh.as_mut() {
            refresh.schedule.started(Instant::now());
        }
    }

    /// Re-runs tab `n`'s last run into its results, which keep their grids.
    fn start_refresh(&mut self, n: usize, now: Instant) -> Vec<Effect> {
        let last_run = self.tabs.tabs[n].last_run.clone();
        let runs: Vec<StatementRun> = last_run
            .iter()
            .enumerate()
            .map(|(i, (sql, _))| StatementRun {
                id: self.take_query_id(),
                sql: sql.clone(),
                result: i as u32,
            })
            .collect();
        let statements: Vec<(u64, String, usize)> = runs
            .iter()
            .zip(&last_run)
            .map(|(run, (sql, line))| (run.id, sql.clone(), *line))
            .collect();
        let running = Some(RunningQuery {
            id: runs[0].id,
            started: now,
        });
        let tab = &mut self.tabs.tabs[n];
        if let Some(refresh) = tab.refresh.as_mut() {
            refresh.schedule.started(now);
        }
        match tab.parked.as_mut() {
            Some(parked) => {
                parked.results.restart(&statements);
                parked.running = running;
            }
            None => {
                self.results.restart(&statements);
                self.running = running;
            }
        }
        vec![Effect::RunQuery {
            slot: self.tabs.tabs[n].slot,
            statements: runs,
            // The results stay until the new ones replace them: the grids show them.
            fresh: false,
        }]
    }

    /// Tab `n`'s run ended with `last` (its last statement's outcome): its auto-refresh
    /// notes when, and a refresh's failure shows in place (said once in the status line).
    pub(super) fn run_ended(
        &mut self,
        n: usize,
        refreshing: bool,
        last: Option<&Finished>,
        status: &mut Status,
    ) {
        let Some(refresh) = self.tabs.tabs[n].refresh.as_mut() else {
            return;
        };
        refresh.finished = Some(Local::now());
        match last {
            Some(failed @ Finished::Failed { .. }) if refreshing => {
                let error = failed.message();
                if refresh.error.as_ref() != Some(&error) {
                    status.error(format!(
                        "tab {}'s auto-refresh failed (it keeps trying): {error}",
                        n + 1
                    ));
                }
                refresh.error = Some(error);
            }
            Some(Finished::Ok { .. }) => refresh.error = None,
            _ => {}
        }
    }

    /// The view job a refreshed front grid waits for: its filters and sort, run again on
    /// the new result (the answer keeps the user's place).
    pub(super) fn refresh_view_job(&mut self) -> Vec<Effect> {
        if self.grid.refresh_view != RefreshView::Due {
            return vec![];
        }
        let Some(base) = self.grid.base.as_ref().map(|b| b.query_id) else {
            return vec![];
        };
        let id = self.take_query_id();
        self.grid.refresh_view = RefreshView::Running(id);
        let job = GridJob::View {
            base,
            steps: self.grid.steps.clone(),
            cell: None,
        };
        let running = RunningJob {
            id,
            kind: JobKind::View,
            started: Instant::now(),
        };
        let mut effects: Vec<Effect> = self
            .grid
            .start_job(running)
            .map(|old| Effect::InterruptQuery(old.id))
            .into_iter()
            .collect();
        effects.push(Effect::GridJob { id, job });
        effects
    }

    /// The front tab's auto-refresh, for the results' title.
    pub fn auto_refresh(&self) -> Option<&AutoRefresh> {
        self.tabs.tabs[self.tabs.active].refresh.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Action;
    use crate::tui::focus::{Mode, Pane};
    use crate::tui::grid::GridResult;
    use crate::tui::status::StatusKind;
    use crate::warehouse::view::ViewStep;

    fn later(start: Instant, seconds: u64) -> Instant {
        start + Duration::from_secs(seconds)
    }

    /// The statements of the run `effects` start: (id, SQL), and whether it is fresh.
    fn run_of(effects: &[Effect]) -> Option<(Vec<(u64, String)>, bool)> {
        effects.iter().find_map(|e| match e {
            Effect::RunQuery {
                statements, fresh, ..
            } => Some((
                statements.iter().map(|s| (s.id, s.sql.clone())).collect(),
                *fresh,
            )),
            _ => None,
        })
    }

    /// A screen that ran `sql` (query 1, finished with 10 rows) in its front tab.
    fn ran(sql: &str) -> (SqlScreen, Status) {
        let (mut screen, mut status) = (SqlScreen::new(100), Status::default());
        screen.editor.set_text(sql);
        screen.update(Action::RunQuery, &mut status);
        let done = Action::QueryFinished(1, Ok(GridResult::numbers(1, 10)));
        screen.update(done, &mut status);
        (screen, status)
    }

    #[test]
    fn a_tab_re_runs_its_last_run_every_interval_never_two_at_once() {
        let (mut screen, mut status) = (SqlScreen::new(100), Status::default());
        screen.update(Action::SetAutoRefresh("5s".into()), &mut status);
        assert!(status.text.contains("waits: run a query"), "{status:?}");
        assert!(screen.tick(Instant::now()).is_empty(), "nothing ran yet");
        screen.editor.set_text("SELECT count(*) FROM stream.events");
        screen.update(Action::RunQuery, &mut status);
        let t0 = Instant::now();
        assert!(screen.tick(later(t0, 6)).is_empty(), "the run is not over");
        let done = Action::QueryFinished(1, Ok(GridResult::numbers(1, 10)));
        screen.update(done, &mut status);
        screen.update(Action::Move(3), &mut status);
        assert!(screen.tick(later(t0, 1)).is_empty(), "not due yet");
        let refresh = screen.tick(later(t0, 6));
        assert_eq!(
            run_of(&refresh),
            Some((
                vec![(2, "SELECT count(*) FROM stream.events".into())],
                false
            ))
        );
        assert!(
            screen.tick(later(t0, 30)).is_empty(),
            "one refresh at a time"
        );
        // The user types meanwhile: the refresh leaves the editor, mode and place alone.
        screen.update(Action::EnterInsert, &mut status);
        screen.editor.set_text("SELECT 42");
        screen.update(Action::Escape, &mut status);
        assert_eq!(
            screen.mode,
            Mode::Normal,
            "Esc leaves the editor, the refresh runs on"
        );
        assert!(screen.running.is_some());
        screen.update(Action::EnterInsert, &mut status);
        let done = Action::QueryFinished(2, Ok(GridResult::numbers(2, 12)));
        screen.update(done, &mut status);
        assert_eq!((screen.mode, screen.focus), (Mode::Insert, Pane::Editor));
        assert_eq!((screen.grid.total_rows(), screen.grid.selected), (12, 3));
        let refresh = screen.auto_refresh().unwrap();
        assert!(refresh.finished.is_some() && refresh.error.is_none());
        assert!(
            refresh.label().starts_with("⟳ 5s · "),
            "{}",
            refresh.label()
        );
        // What refreshes is what ran, not what is being typed.
        let (statements, _) = run_of(&screen.tick(later(t0, 31))).unwrap();
        assert_eq!(statements[0].1, "SELECT count(*) FROM stream.events");
        screen.update(Action::ToggleAutoRefresh, &mut status);
        assert_eq!(status.text, "auto-refresh off");
        assert!(screen.tick(later(t0, 100)).is_empty());
    }

    #[test]
    fn a_failed_refresh_shows_in_place_and_keeps_trying() {
        let (mut screen, mut status) = ran("SELECT * FROM stream.events");
        screen.update(Action::SetAutoRefresh("1".into()), &mut status);
        let t0 = Instant::now();
        assert!(run_of(&screen.tick(later(t0, 1))).is_some());
        let failed = Action::QueryFinished(2, Err("Table stream.events does not exist".into()));
        screen.update(failed, &mut status);
        assert_eq!(status.kind, StatusKind::Error);
        assert_eq!(
            screen.auto_refresh().unwrap().error.as_deref(),
            Some("Table stream.events does not exist")
        );
        assert_eq!(screen.grid.total_rows(), 10, "the last rows stay");
        assert!(run_of(&screen.tick(later(t0, 2))).is_some(), "still trying");
        let done = Action::QueryFinished(3, Ok(GridResult::numbers(3, 11)));
        screen.update(done, &mut status);
        assert_eq!(screen.auto_refresh().unwrap().error, None);
    }

    #[test]
    fn a_refreshed_result_runs_its_filters_again_and_keeps_the_place() {
        let (mut screen, mut status) = ran("SELECT * FROM stream.events");
        let step = ViewStep::Condition("n > 1".into());
        screen.grid.steps = vec![step.clone()];
        screen.update(Action::SetAutoRefresh("1".into()), &mut status);
        assert!(run_of(&screen.tick(later(Instant::now(), 1))).is_some());
        let done = Action::QueryFinished(2, Ok(GridResult::numbers(2, 20)));
        let effects = screen.update(done, &mut status);
        let Some(Effect::GridJob { id, job }) = effects.last().cloned() else {
            panic!("{effects:?}")
        };
        assert_eq!(
            job,
            GridJob::View {
                base: 2,
                steps: vec![step.clone()],
                cell: None
            }
        );
        screen.update(Action::Move(5), &mut status);
        let view = GridResult::numbers(id, 8);
        let answer = crate::tui::grid::jobs::GridAnswer::View {
            result: view,
            steps: vec![step],
        };
        screen.update(Action::GridJobDone(id, Ok(answer)), &mut status);
        assert_eq!((screen.grid.total_rows(), screen.grid.selected), (8, 5));
        assert_eq!(screen.grid.steps.len(), 1);
    }

    #[test]
    fn writes_do_not_refresh_and_a_closed_tab_stops() {
        let (mut screen, mut status) = ran("CREATE TABLE t AS SELECT 1");
        screen.update(Action::SetAutoRefresh("5".into()), &mut status);
        assert!(
            status.text.contains("the last run has CREATE"),
            "{status:?}"
        );
        assert!(screen.tick(later(Instant::now(), 60)).is_empty());
        screen.update(Action::SetAutoRefresh("0".into()), &mut status);
        assert_eq!(status.kind, StatusKind::Error);
        assert!(status.text.contains("1 second at least"), "{status:?}");
        screen.update(Action::SetAutoRefresh("off".into()), &mut status);
        assert!(screen.auto_refresh().is_none());
        // A second tab refreshing, then closed: nothing refreshes any more.
        screen.update(Action::NewSqlTab, &mut status);
        screen.editor.set_text("SELECT 1");
        screen.update(Action::RunQuery, &mut status);
        let done = Action::QueryFinished(2, Ok(GridResult::numbers(2, 1)));
        screen.update(done, &mut status);
        screen.update(Action::SetAutoRefresh("5".into()), &mut status);
        assert_eq!(screen.tabs.label().as_deref(), Some("1 [2]⟳"));
        assert!(run_of(&screen.tick(later(Instant::now(), 6))).is_some());
        screen.update(Action::CloseSqlTab, &mut status);
        assert!(screen.tick(later(Instant::now(), 60)).is_empty());
    }
}
