//! What the results grid's keys do beyond moving: the current column, freezing and
//! fitting columns, and the jobs on the whole result the worker runs (filters and a
//! sort as a view, finding text, a column profile), each cancellable and superseded by
//! a newer one of its kind; and their answers arriving, for the front tab or a parked one.

use std::time::Instant;

use ratatui::crossterm::event::KeyEvent;

use super::SqlScreen;
use crate::format::thousands;
use crate::tui::effect::Effect;
use crate::tui::failure::Reported;
use crate::tui::grid::jobs::{CellFilter, GridAnswer, GridJob, JobKind, RunningJob};
use crate::tui::grid::profile::ProfilePane;
use crate::tui::grid::prompt::{Prompt, PromptKind, Typed};
use crate::tui::grid::{Grid, RefreshView};
use crate::tui::status::Status;
use crate::warehouse::view::ViewStep;

impl SqlScreen {
    /// The grid's width on screen, borders included.
    pub fn grid_width(&self) -> u16 {
        let (w, h) = self.size;
        crate::tui::layout::areas(ratatui::layout::Rect::new(0, 0, w, h))
            .grid
            .width
    }

    pub(super) fn move_column(&mut self, delta: i32) {
        let (width, height) = (self.grid_width(), self.grid_height());
        self.grid.move_column(delta, width, height);
    }

    pub(super) fn freeze_columns(&mut self, status: &mut Status) {
        let (width, height) = (self.grid_width(), self.grid_height());
        self.grid.toggle_freeze(width, height);
        match self.grid.frozen {
            0 => status.info("columns unfrozen"),
            n => status.info(format!(
                "{n} column(s) frozen at the left (f again unfreezes)"
            )),
        }
    }

    pub(super) fn fit_columns(&mut self, all: bool) {
        if all {
            self.grid.fit_all_columns();
        } else {
            self.grid.fit_column(self.grid.column);
        }
        let (width, height) = (self.grid_width(), self.grid_height());
        self.grid.keep_column_visible(width, height);
    }

    /// Sends `job` for the front grid as a new query id, interrupting the job of the
    /// same kind it supersedes.
    fn start_grid_job(&mut self, job: GridJob, status: &mut Status) -> Vec<Effect> {
        let id = self.next_query_id;
        self.next_query_id += 1;
        let kind = job.kind();
        let mut effects = Vec::new();
        let running = RunningJob {
            id,
            kind,
            started: Instant::now(),
        };
        if let Some(old) = self.grid.start_job(running) {
            effects.push(Effect::InterruptQuery(old.id));
        }
        status.info(format!("{}… (Esc cancels)", kind.doing()));
        effects.push(Effect::GridJob { id, job });
        effects
    }

    /// Asks for the view of `steps` (then the cell filter) over the query's result.
    fn change_view(
        &mut self,
        steps: Vec<ViewStep>,
        cell: Option<CellFilter>,
        status: &mut Status,
    ) -> Vec<Effect> {
        let Some(base) = &self.grid.base else {
            return vec![];
        };
        let job = GridJob::View {
            base: base.query_id,
            steps,
            cell,
        };
        self.start_grid_job(job, status)
    }

    /// `=` / `!=`: keep the rows whose current column equals (or not) the current cell.
    pub(super) fn filter_cell(&mut self, negate: bool, status: &mut Status) -> Vec<Effect> {
        let (Some(result), Some(column)) = (&self.grid.result, self.grid.column_name()) else {
            return vec![];
        };
        if self.grid.row(self.grid.selected).is_none() {
            status.info("the row is still loading");
            return vec![];
        }
        let cell = CellFilter {
            query_id: result.query_id,
            row: self.grid.selected,
            column: column.to_string(),
            negate,
        };
        self.change_view(self.grid.steps.clone(), Some(cell), status)
    }

    /// `u`: the view without its last step.
    pub(super) fn undo_view(&mut self, status: &mut Status) -> Vec<Effect> {
        let mut steps = self.grid.steps.clone();
        if steps.pop().is_none() {
            status.info("no filter or sort to undo");
            return vec![];
        }
        self.change_view(steps, None, status)
    }

    /// Sorts by the current column: `Some(descending)`, or `None` for the result's own order.
    fn sort_by(&mut self, descending: Option<bool>, status: &mut Status) -> Vec<Effect> {
        let Some(column) = self.grid.column_name().map(str::to_string) else {
            return vec![];
        };
        let mut steps: Vec<ViewStep> = self
            .grid
            .steps
            .iter()
            .filter(|s| !matches!(s, ViewStep::Sort { .. }))
            .cloned()
            .collect();
        if let Some(descending) = descending {
            steps.push(ViewStep::Sort { column, descending });
        }
        self.change_view(steps, None, status)
    }

    /// `[` / `]`.
    pub(super) fn sort_column(&mut self, descending: bool, status: &mut Status) -> Vec<Effect> {
        self.sort_by(Some(descending), status)
    }

    /// `o`: ascending, then descending, then the result's own order.
    pub(super) fn sort_results(&mut self, status: &mut Status) -> Vec<Effect> {
        let next = match (self.grid.sort(), self.grid.column_name()) {
            (Some((sorted, false)), Some(column)) if sorted == column => Some(true),
            (Some((sorted, true)), Some(column)) if sorted == column => None,
            _ => Some(false),
        };
        self.sort_by(next, status)
    }

    pub(super) fn open_grid_prompt(&mut self, kind: PromptKind) {
        if self.grid.result.is_some() {
            self.grid.prompt = Some(Prompt::new(kind));
        }
    }

    /// A key typed into the prompt: Enter finds or filters.
    pub(super) fn grid_prompt_key(&mut self, key: KeyEvent, status: &mut Status) -> Vec<Effect> {
        let Some(prompt) = self.grid.prompt.as_mut() else {
            return vec![];
        };
        let kind = prompt.kind;
        let text = match prompt.key(key) {
            Typed::Editing => return vec![],
            Typed::Cancelled => {
                self.grid.prompt = None;
                return vec![];
            }
            Typed::Submitted(text) => text,
        };
        self.grid.prompt = None;
        if text.is_empty() {
            return vec![];
        }
        match kind {
            PromptKind::Find => {
                self.grid.search = Some(text);
                self.find_match(true, status)
            }
            PromptKind::Filter => {
                let mut steps = self.grid.steps.clone();
                steps.push(ViewStep::Condition(text));
                self.change_view(steps, None, status)
            }
        }
    }

    /// `n` / `N`: the next or previous row holding the search text.
    pub(super) fn find_match(&mut self, forward: bool, status: &mut Status) -> Vec<Effect> {
        let (Some(result), Some(text)) = (&self.grid.result, &self.grid.search) else {
            status.info("/ finds text first");
            return vec![];
        };
        let job = GridJob::Find {
            query_id: result.query_id,
            text: text.clone(),
            from: self.grid.selected,
            forward,
        };
        self.start_grid_job(job, status)
    }

    /// `F`: the overlay of the current column's profile, computed by the worker.
    pub(super) fn profile_column(&mut self, status: &mut Status) -> Vec<Effect> {
        let (Some(result), Some(column)) = (&self.grid.result, self.grid.column_name()) else {
            return vec![];
        };
        let job = GridJob::Profile {
            query_id: result.query_id,
            column: column.to_string(),
        };
        self.grid.profile = Some(ProfilePane::loading(column.to_string()));
        self.start_grid_job(job, status)
    }

    /// Enter in the profile: an `=` filter on the selected value.
    pub(super) fn filter_profile_value(&mut self, status: &mut Status) -> Vec<Effect> {
        let Some(pane) = self.grid.profile.take() else {
            return vec![];
        };
        let Some(value) = pane.selected_value() else {
            return vec![];
        };
        let mut steps = self.grid.steps.clone();
        steps.push(ViewStep::Equals {
            column: pane.column,
            value,
            negate: false,
        });
        self.change_view(steps, None, status)
    }

    /// Esc with grid jobs running: interrupts them all.
    pub(super) fn cancel_grid_jobs(&mut self) -> Vec<Effect> {
        self.grid
            .jobs
            .iter()
            .map(|j| Effect::InterruptQuery(j.id))
            .collect()
    }

    /// A grid job's answer, for the grid that waits for it (front or parked).
    pub(super) fn grid_job_done(
        &mut self,
        id: u64,
        answer: Reported<GridAnswer>,
        status: &mut Status,
    ) {
        let height = self.grid_height();
        if let Some(kind) = self.grid.finish_job(id) {
            apply(&mut self.grid, (id, kind), answer, height, status);
            return;
        }
        for tab in &mut self.tabs.tabs {
            if let Some(parked) = tab.parked.as_mut()
                && let Some(kind) = parked.grid.finish_job(id)
            {
                let mut behind = Status::default();
                apply(&mut parked.grid, (id, kind), answer, height, &mut behind);
                return;
            }
        }
    }
}

/// Shows job `id`'s answer in `grid`. The view an auto-refresh asked for keeps the
/// user's place and says nothing, unless it failed: then the whole result shows.
fn apply(
    grid: &mut Grid,
    (id, kind): (u64, JobKind),
    answer: Reported<GridAnswer>,
    height: u64,
    status: &mut Status,
) {
    let refreshed = grid.refresh_view == RefreshView::Running(id);
    match answer {
        Ok(GridAnswer::View { result, steps }) if refreshed => grid.show_view(result, steps, true),
        Err(e) if refreshed => {
            if let Some(base) = grid.base.clone() {
                grid.show_view(base, Vec::new(), true);
            }
            status.error(format!(
                "the refreshed result's filters and sort failed, the whole result shows: {e}"
            ));
        }
        Ok(GridAnswer::View { result, steps }) => {
            let rows = result.total_rows;
            grid.show_view(result, steps, false);
            let chips: Vec<String> = grid.steps.iter().map(ViewStep::label).collect();
            status.info(if chips.is_empty() {
                format!("{} rows: the result as the query made it", thousands(rows))
            } else {
                format!(
                    "{} rows where {} (u undoes)",
                    thousands(rows),
                    chips.join(" · ")
                )
            });
        }
        Ok(GridAnswer::Found(Some(found))) => {
            grid.move_to(found.row, height);
            status.info(format!(
                "match at row {} (of {} matches)",
                thousands(found.row + 1),
                thousands(found.matches)
            ));
        }
        Ok(GridAnswer::Found(None)) => status.info(format!(
            "no match for {}",
            grid.search.as_deref().unwrap_or_default()
        )),
        Ok(GridAnswer::Profile(profile)) => {
            if let Some(pane) = grid.profile.as_mut().filter(|p| p.column == profile.column) {
                pane.profile = Some(profile);
                status.info("Enter filters on the selected value, Esc closes");
            }
        }
        Err(e) => {
            if kind == JobKind::Profile {
                grid.profile = None;
            }
            status.error(format!("{}: {e}", kind.doing()));
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};

    use super::*;
    use crate::tui::action::Action;
    use crate::tui::focus::Pane;
    use crate::tui::grid::GridResult;
    use crate::tui::status::StatusKind;
    use crate::warehouse::find::Found;
    use crate::warehouse::pager::ResultColumn;
    use crate::warehouse::profile::{ColumnProfile, TopValue};

    fn column(name: &str) -> ResultColumn {
        ResultColumn {
            name: name.into(),
            data_type: "VARCHAR".into(),
            numeric: false,
        }
    }

    /// A SQL screen showing query 1's result (`country`, `lines`) with its first page.
    fn screen() -> (SqlScreen, Status) {
        let (mut sql, mut status) = (SqlScreen::new(100), Status::default());
        sql.update(Action::RunQuery, &mut status);
        let result = GridResult {
            query_id: 1,
            columns: vec![column("country"), column("lines")],
            total_rows: 3,
            elapsed_ms: 1,
        };
        sql.update(Action::QueryFinished(1, Ok(result)), &mut status);
        let rows = [["France", "1"], ["Spain", "2"], ["France", "3"]];
        let rows = rows.iter().map(|r| r.map(String::from).to_vec()).collect();
        sql.update(
            Action::PageLoaded {
                query_id: 1,
                start: 0,
                rows,
            },
            &mut status,
        );
        (sql, status)
    }

    fn the_job(effects: &[Effect]) -> (u64, GridJob) {
        effects
            .iter()
            .find_map(|e| match e {
                Effect::GridJob { id, job } => Some((*id, job.clone())),
                _ => None,
            })
            .expect("a grid job")
    }

    #[test]
    fn an_equal_filter_asks_the_worker_for_the_cell_and_undo_pops_it() {
        let (mut sql, mut status) = screen();
        assert_eq!(sql.focus, Pane::Grid);
        sql.update(Action::ScrollColumns(1), &mut status);
        let effects = sql.update(Action::FilterCell(true), &mut status);
        let (id, job) = the_job(&effects);
        assert_eq!(
            job,
            GridJob::View {
                base: 1,
                steps: vec![],
                cell: Some(CellFilter {
                    query_id: 1,
                    row: 0,
                    column: "lines".into(),
                    negate: true,
                }),
            }
        );
        assert_eq!(status.text, "filtering and sorting… (Esc cancels)");
        let step = ViewStep::Equals {
            column: "lines".into(),
            value: Some("1".into()),
            negate: true,
        };
        let view = GridResult {
            query_id: id,
            total_rows: 2,
            ..sql.grid.base.clone().unwrap()
        };
        let answer = GridAnswer::View {
            result: view,
            steps: vec![step.clone()],
        };
        sql.update(Action::GridJobDone(id, Ok(answer)), &mut status);
        assert_eq!(sql.grid.steps, vec![step]);
        assert_eq!(sql.grid.result.as_ref().unwrap().query_id, id);
        assert_eq!(status.text, "2 rows where lines != '1' (u undoes)");
        assert!(sql.grid.jobs.is_empty());
        assert_eq!(sql.grid.column, 1, "the current column stays");
        // Undo asks for the view without the step: the base result.
        let (_, job) = the_job(&sql.update(Action::UndoView, &mut status));
        assert!(matches!(job, GridJob::View { steps, cell: None, .. } if steps.is_empty()));
    }

    #[test]
    fn a_newer_job_of_a_kind_supersedes_the_older_and_esc_cancels() {
        let (mut sql, mut status) = screen();
        let (first, _) = the_job(&sql.update(Action::SortColumn(true), &mut status));
        let effects = sql.update(Action::SortColumn(false), &mut status);
        assert_eq!(effects[0], Effect::InterruptQuery(first));
        let (second, job) = the_job(&effects);
        assert!(
            matches!(job, GridJob::View { steps, .. } if steps == vec![ViewStep::Sort {
                column: "country".into(),
                descending: false
            }])
        );
        // The superseded job's answer is ignored.
        sql.update(
            Action::GridJobDone(first, Err("query cancelled".into())),
            &mut status,
        );
        assert_eq!(sql.grid.jobs.len(), 1);
        assert_eq!(
            sql.update(Action::Escape, &mut status),
            vec![Effect::InterruptQuery(second)]
        );
        sql.update(
            Action::GridJobDone(second, Err("query cancelled".into())),
            &mut status,
        );
        assert_eq!(
            (status.kind, status.text.as_str()),
            (StatusKind::Error, "filtering and sorting: query cancelled")
        );
        assert!(sql.grid.steps.is_empty(), "the view is unchanged");
    }

    #[test]
    fn find_prompt_then_next_and_previous_match() {
        let (mut sql, mut status) = screen();
        assert!(sql.update(Action::FindMatch(true), &mut status).is_empty());
        assert_eq!(status.text, "/ finds text first");
        sql.update(Action::FindInResults, &mut status);
        let key = |c| Action::GridPromptKey(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        sql.update(key('f'), &mut status);
        sql.update(key('r'), &mut status);
        let enter = Action::GridPromptKey(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        let (id, job) = the_job(&sql.update(enter, &mut status));
        assert_eq!(
            job,
            GridJob::Find {
                query_id: 1,
                text: "fr".into(),
                from: 0,
                forward: true
            }
        );
        assert_eq!(sql.grid.prompt, None);
        let found = GridAnswer::Found(Some(Found { row: 2, matches: 2 }));
        sql.update(Action::GridJobDone(id, Ok(found)), &mut status);
        assert_eq!(sql.grid.selected, 2);
        assert_eq!(status.text, "match at row 3 (of 2 matches)");
        let (id, job) = the_job(&sql.update(Action::FindMatch(false), &mut status));
        assert!(matches!(
            job,
            GridJob::Find {
                from: 2,
                forward: false,
                ..
            }
        ));
        sql.update(
            Action::GridJobDone(id, Ok(GridAnswer::Found(None))),
            &mut status,
        );
        assert_eq!(status.text, "no match for fr");
    }

    #[test]
    fn a_typed_condition_and_a_profile_value_become_filters() {
        let (mut sql, mut status) = screen();
        sql.update(Action::FilterExpression, &mut status);
        for c in "lines > 1".chars() {
            let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
            sql.update(Action::GridPromptKey(key), &mut status);
        }
        let enter = Action::GridPromptKey(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        let (_, job) = the_job(&sql.update(enter, &mut status));
        assert!(matches!(job, GridJob::View { steps, .. }
            if steps == vec![ViewStep::Condition("lines > 1".into())]));
        // The profile of `country`: Esc closes it, Enter filters on the chosen value.
        let (id, job) = the_job(&sql.update(Action::ProfileColumn, &mut status));
        assert_eq!(
            job,
            GridJob::Profile {
                query_id: 1,
                column: "country".into()
            }
        );
        let profile = ColumnProfile {
            column: "country".into(),
            data_type: "VARCHAR".into(),
            rows: 3,
            nulls: 0,
            distinct: 2,
            min: Some("France".into()),
            max: Some("Spain".into()),
            mean: None,
            quantiles: vec![],
            top: vec![
                TopValue {
                    value: Some("France".into()),
                    count: 2,
                },
                TopValue {
                    value: Some("Spain".into()),
                    count: 1,
                },
            ],
        };
        let answer = GridAnswer::Profile(Box::new(profile));
        sql.update(Action::GridJobDone(id, Ok(answer)), &mut status);
        sql.update(Action::Move(5), &mut status);
        assert_eq!(sql.grid.profile.as_ref().unwrap().selected, 1);
        assert_eq!(sql.grid.selected, 0, "j/k move in the profile");
        let (_, job) = the_job(&sql.update(Action::ToggleRowDetail, &mut status));
        assert_eq!(sql.grid.profile, None);
        assert!(
            matches!(job, GridJob::View { steps, .. } if steps == vec![ViewStep::Equals {
                column: "country".into(),
                value: Some("Spain".into()),
                negate: false
            }])
        );
        sql.update(Action::ProfileColumn, &mut status);
        sql.update(Action::Escape, &mut status);
        assert_eq!(sql.grid.profile, None);
    }
}
