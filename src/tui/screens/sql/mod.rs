//! Screen 2, SQL: the catalog, the editor and the results grid, with tabs. Its state is
//! the front tab's editor, grid and query (the other tabs are parked in `tabs`), the
//! mode and focused pane, and the query history.

mod catalog;
mod chart_actions;
mod complete;
mod draw;
mod edit;
mod grid_actions;
mod hit;
pub mod live;
mod opened;
mod profile;
pub mod prompt;
mod query;
pub mod result_tabs;
mod results;
mod tab_actions;
pub mod tabs;

use ratatui::crossterm::event::KeyCode;

use crate::tui::action::Action;
use crate::tui::editor::Editor;
use crate::tui::effect::Effect;
use crate::tui::failure::Reported;
use crate::tui::focus::{Mode, Pane};
use crate::tui::grid::Grid;
use crate::tui::grid::jobs::JobKind;
use crate::tui::grid::prompt::PromptKind as GridPromptKind;
use crate::tui::layout::grid_body_height;
use crate::tui::status::Status;
use crate::warehouse::quote_ident;
pub use catalog::{Catalog, kind_label};
pub use hit::SqlTarget;
use prompt::Prompt;
use result_tabs::ResultTabs;
pub use tabs::{RunningQuery, SqlTabs};

/// The query the editor starts with.
pub const STARTER_SQL: &str = "SELECT country, count(*) AS lines, sum(quantity * unit_price) AS revenue\nFROM raw.order_lines\nGROUP BY country\nORDER BY revenue DESC";

#[derive(Debug, Clone)]
pub struct SqlScreen {
    /// Whether the workbench reads a server (`--remote`).
    pub remote: bool,
    pub mode: Mode,
    pub focus: Pane,
    pub catalog: Catalog,
    pub editor: Editor,
    /// The front result's grid (the other results are parked in `results`).
    pub grid: Grid,
    /// One result per statement of the last run.
    pub results: ResultTabs,
    /// The statement running now (the rest of its run waits in `results`).
    pub running: Option<RunningQuery>,
    /// The row detail overlay of the results grid.
    pub row_detail: bool,
    /// The chart of the front tab's result, over the screen while open.
    pub chart: Option<crate::tui::chart::ChartView>,
    /// Queries run before, oldest first (kept across sessions in the state dir).
    pub history: Vec<String>,
    /// Position while stepping through the history.
    history_pos: Option<usize>,
    /// The SQL tabs; the one in front lives in `editor`, `grid`, `results` and `running`.
    pub tabs: SqlTabs,
    /// The editor's find, replace or go-to-line prompt, when open.
    pub prompt: Option<Prompt>,
    /// The last text searched for (F3 finds it again).
    pub last_find: String,
    /// What Ctrl+C or Ctrl+X took last, for Ctrl+V (the terminal's clipboard cannot be
    /// read back).
    pub clipboard: String,
    /// The next id of a query, a chart or a grid job (a view's id is its result's).
    next_query_id: u64,
    /// The terminal's size, which decides how many rows the grid shows.
    pub size: (u16, u16),
}

impl SqlScreen {
    pub fn new(page_rows: u64) -> Self {
        Self {
            remote: false,
            mode: Mode::Normal,
            focus: Pane::Editor,
            catalog: Catalog::default(),
            editor: Editor::with_text(STARTER_SQL),
            grid: Grid::new(page_rows),
            results: ResultTabs::default(),
            running: None,
            row_detail: false,
            chart: None,
            history: Vec::new(),
            history_pos: None,
            tabs: SqlTabs::default(),
            prompt: None,
            last_find: String::new(),
            clipboard: String::new(),
            next_query_id: 1,
            size: (80, 24),
        }
    }

    /// Whether the warehouse is known to hold no order lines (the welcome screen), and
    /// no files are opened beside it (`ecom open`'s scratch database). A workbench
    /// reading a server never shows it: it cannot load files there.
    pub fn is_empty_warehouse(&self) -> bool {
        !self.remote
            && self.catalog.loaded
            && self.catalog.order_lines() == Some(0)
            && self.grid.result.is_none()
            && !self
                .catalog
                .relations
                .iter()
                .any(|r| r.schema == crate::open::SCHEMA)
    }

    /// Rows of the grid visible at the current terminal size.
    pub fn grid_height(&self) -> u64 {
        grid_body_height(self.size) as u64
    }

    pub fn update(&mut self, action: Action, status: &mut Status) -> Vec<Effect> {
        let mut effects = Vec::new();
        match action {
            Action::SortResults => effects.extend(self.sort_results(status)),
            Action::SortColumn(descending) => effects.extend(self.sort_column(descending, status)),
            Action::FindInResults => self.open_grid_prompt(GridPromptKind::Find),
            Action::FilterExpression => self.open_grid_prompt(GridPromptKind::Filter),
            Action::GridPromptKey(key) => effects.extend(self.grid_prompt_key(key, status)),
            Action::FindMatch(forward) => effects.extend(self.find_match(forward, status)),
            Action::FilterCell(negate) => effects.extend(self.filter_cell(negate, status)),
            Action::UndoView => effects.extend(self.undo_view(status)),
            Action::ProfileColumn => effects.extend(self.profile_column(status)),
            Action::FreezeColumns => self.freeze_columns(status),
            Action::FitColumns(all) => self.fit_columns(all),
            Action::GridJobDone(id, answer) => self.grid_job_done(id, answer, status),
            Action::ToggleRowDetail if self.grid.profile.is_some() => {
                effects.extend(self.filter_profile_value(status));
            }
            Action::ToggleRowDetail => {
                self.row_detail = !self.row_detail && self.grid.row(self.grid.selected).is_some();
            }
            Action::CopyRow => effects.extend(self.copy_row(status)),
            Action::CopyCell => effects.extend(self.copy_cell(status)),
            Action::ExportResult(format) => effects.extend(self.export(format, status)),
            Action::ResultExported(Ok(path)) => status.info(format!("wrote {path}")),
            Action::ResultExported(Err(e)) => status.error(format!("export failed: {e}")),
            Action::History(step) => self.step_history(step, status),
            Action::ExternalEditor => effects.push(Effect::EditExternally(self.editor.text())),
            Action::EditorText(text) => {
                self.editor.set_text(text.trim_end_matches('\n'));
                self.focus = Pane::Editor;
                status.info("SQL updated from the editor: r runs it");
            }
            Action::FocusNext => self.focus = self.focus.step(1),
            Action::FocusPrev => self.focus = self.focus.step(-1),
            Action::EnterInsert => {
                self.focus = Pane::Editor;
                self.mode = Mode::Insert;
            }
            Action::Escape if self.chart.is_some() => effects.extend(self.chart_escape(status)),
            Action::OpenChart => effects.extend(self.open_chart(status)),
            Action::ChangeChart(change) => effects.extend(self.change_chart(change, status)),
            Action::ChartLoaded(id, data) => self.chart_loaded(id, *data, status),
            Action::SaveChart => effects.extend(self.save_chart(status)),
            Action::ChartSaved(Ok(paths)) => status.info(format!("chart saved: {paths}")),
            Action::ChartSaved(Err(e)) => status.error(format!("saving the chart failed: {e}")),
            Action::Escape => {
                if self.grid.profile.is_some() {
                    self.grid.profile = None;
                    if let Some(job) = self.grid.jobs.iter().find(|j| j.kind == JobKind::Profile) {
                        effects.push(Effect::InterruptQuery(job.id));
                    }
                } else if self.row_detail {
                    self.row_detail = false;
                } else if self.running.is_some()
                    // Esc while typing leaves the editor: a refresh is not the user's run.
                    && !(self.results.refreshing && self.mode == Mode::Insert)
                {
                    effects.extend(self.interrupt_running());
                    status.info("cancelling…");
                } else if !self.grid.jobs.is_empty() {
                    effects.extend(self.cancel_grid_jobs());
                    status.info("cancelling…");
                } else {
                    self.mode = Mode::Normal;
                }
            }
            Action::EditorKey(key) => {
                let tab = key.code == KeyCode::Tab;
                if !(tab && self.complete(status)) {
                    self.editor.handle_key(key);
                }
            }
            Action::Edit(command) => effects.extend(self.edit(command, status)),
            Action::Paste(text) => self.paste(&text, status),
            Action::PromptKey(key) => self.prompt_key(key, status),
            Action::RunQuery => effects.extend(self.run_query(status)),
            Action::RunStatement => effects.extend(self.run_statement(status)),
            Action::SwitchResult(step) => self.switch_result(step, status),
            Action::NewSqlTab => effects.extend(self.new_tab(status)),
            Action::OpenSqlTab(sql) => effects.extend(self.open_tab_with(&sql, status)),
            Action::CloseSqlTab => effects.extend(self.close_tab(status)),
            Action::SetAutoRefresh(every) => self.set_auto_refresh(&every, status),
            Action::ToggleAutoRefresh => self.toggle_auto_refresh(status),
            Action::SwitchSqlTab(step) => effects.extend(self.switch_tab(step, status)),
            Action::RefreshCatalog => effects.push(Effect::LoadCatalog),
            Action::Move(delta) => self.move_selection(delta),
            Action::ScrollColumns(delta) => self.move_column(delta),
            Action::ResizeColumn(delta) => self.grid.resize_column(delta),
            Action::OpenRelation => {
                if let Some(rel) = self.catalog.selected_relation() {
                    let sql = format!(
                        "FROM {}.{}",
                        quote_ident(&rel.schema),
                        quote_ident(&rel.name)
                    );
                    self.editor.set_text(&sql);
                    effects.extend(self.run_query(status));
                }
            }
            Action::Resize(w, h) => self.size = (w, h),
            Action::CatalogLoaded(result) => self.catalog_loaded(result, status),
            Action::QueryFinished(id, result) => self.query_finished(id, result, status),
            Action::PageLoaded {
                query_id,
                start,
                rows,
            } => {
                if self
                    .grid
                    .result
                    .as_ref()
                    .is_some_and(|r| r.query_id == query_id)
                {
                    self.grid.receive_page(query_id, start, rows);
                } else {
                    self.receive_parked_page(query_id, start, rows);
                }
            }
            _ => {}
        }
        // A refreshed result under filters (now in front) runs them again.
        effects.extend(self.refresh_view_job());
        effects
    }

    /// The catalog's relations arrived: keep the selection, say what is there.
    fn catalog_loaded(
        &mut self,
        result: Reported<Vec<crate::warehouse::catalog::Relation>>,
        status: &mut Status,
    ) {
        let relations = match result {
            Ok(relations) => relations,
            Err(e) => return status.error(format!("catalog: {e}")),
        };
        let first_load = self.catalog.receive(relations);
        if first_load || self.is_empty_warehouse() {
            status.info(if self.is_empty_warehouse() {
                "empty warehouse: L loads the sample, :load PATH your files".to_string()
            } else {
                format!("{} tables and views", self.catalog.relations.len())
            });
        }
    }

    fn step_history(&mut self, step: i64, status: &mut Status) {
        if self.history.is_empty() {
            return;
        }
        let last = self.history.len() - 1;
        let pos = match self.history_pos {
            None if step < 0 => last,
            None => return,
            Some(p) => (p as i64 + step).clamp(0, last as i64) as usize,
        };
        self.history_pos = Some(pos);
        self.editor.set_text(&self.history[pos]);
        status.info(format!("history {} of {}", pos + 1, self.history.len()));
    }

    /// Moves the selection of the focused pane.
    fn move_selection(&mut self, delta: i64) {
        match self.focus {
            Pane::Catalog => {
                let count = self.catalog.relations.len();
                self.catalog.selected = (self.catalog.selected as i64)
                    .saturating_add(delta)
                    .clamp(0, count.saturating_sub(1) as i64)
                    as usize;
            }
            Pane::Grid if self.grid.profile.is_some() => {
                if let Some(pane) = self.grid.profile.as_mut() {
                    pane.move_by(delta);
                }
            }
            Pane::Grid => {
                let height = self.grid_height();
                self.grid.move_by(delta, height);
            }
            Pane::Editor => {}
        }
    }

    /// A click on the screen: tabs come to the front, catalog entries and grid rows are
    /// selected (and their pane focused), the editor gets the focus.
    pub fn click(&mut self, target: SqlTarget, status: &mut Status) {
        match target {
            SqlTarget::Tab(n) => self.show_tab(n, status),
            SqlTarget::Relation(i) => {
                self.focus = Pane::Catalog;
                self.catalog.selected = i;
            }
            SqlTarget::Row(row, column) => {
                self.focus = Pane::Grid;
                let height = self.grid_height();
                self.grid.move_to(row, height);
                if let Some(column) = column {
                    self.grid.column = column;
                }
            }
            // A click in the text places the cursor there, ready to type.
            SqlTarget::Editor(line, column) => {
                self.focus = Pane::Editor;
                self.mode = Mode::Insert;
                self.editor.click(line, column);
            }
        }
    }

    /// The page the grid needs to show its rows, if it is missing and not yet asked for.
    pub fn page_request(&mut self) -> Option<Effect> {
        let height = self.grid_height();
        let query_id = self.grid.result.as_ref()?.query_id;
        let start = self.grid.missing_page(height)?;
        Some(Effect::FetchPage {
            query_id,
            start,
            limit: self.grid.page_rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::grid::GridResult;
    use crate::tui::status::StatusKind;
    use crate::warehouse::catalog::{Relation, RelationKind};

    fn relation(schema: &str, name: &str, rows: u64) -> Relation {
        Relation {
            schema: schema.into(),
            name: name.into(),
            kind: RelationKind::Table,
            rows: Some(rows),
            columns: Vec::new(),
        }
    }

    #[test]
    fn the_catalog_starts_on_the_order_lines_and_spots_an_empty_warehouse() {
        let (mut sql, mut status) = (SqlScreen::new(100), Status::default());
        let relations = vec![
            relation("meta", "ingests", 1),
            relation("raw", "order_lines", 0),
        ];
        sql.update(Action::CatalogLoaded(Ok(relations)), &mut status);
        assert_eq!(sql.catalog.selected, 1);
        assert!(sql.is_empty_warehouse());
        assert!(status.text.starts_with("empty warehouse"), "{status:?}");
        sql.update(Action::CatalogLoaded(Err("locked".into())), &mut status);
        assert_eq!(
            (status.kind, status.text.as_str()),
            (StatusKind::Error, "catalog: locked")
        );
    }

    #[test]
    fn a_query_runs_is_cancelled_by_esc_and_its_result_is_paged_in() {
        let (mut sql, mut status) = (SqlScreen::new(100), Status::default());
        sql.editor.set_text("");
        assert!(sql.update(Action::RunQuery, &mut status).is_empty());
        assert_eq!(
            status.kind,
            StatusKind::Error,
            "an empty editor runs nothing"
        );
        sql.editor.set_text("SELECT 1");
        let effects = sql.update(Action::RunQuery, &mut status);
        assert_eq!(
            effects,
            vec![
                Effect::SaveHistory("SELECT 1".into()),
                Effect::RunQuery {
                    slot: 1,
                    statements: vec![crate::tui::effect::StatementRun {
                        id: 1,
                        sql: "SELECT 1".into(),
                        result: 0
                    }],
                    fresh: true
                }
            ]
        );
        assert_eq!(
            sql.update(Action::Escape, &mut status),
            vec![Effect::InterruptQuery(1)]
        );
        sql.update(
            Action::QueryFinished(1, Ok(GridResult::numbers(1, 1_000))),
            &mut status,
        );
        assert_eq!((sql.focus, sql.mode), (Pane::Grid, Mode::Normal));
        assert_eq!(
            sql.page_request(),
            Some(Effect::FetchPage {
                query_id: 1,
                start: 0,
                limit: 100
            })
        );
        sql.update(Action::Move(3), &mut status);
        assert_eq!(sql.grid.selected, 3);
        assert!(
            sql.update(Action::Escape, &mut status).is_empty(),
            "nothing to cancel"
        );
    }

    #[test]
    fn focus_insert_mode_and_history() {
        let (mut sql, mut status) = (SqlScreen::new(100), Status::default());
        sql.update(Action::FocusNext, &mut status);
        assert_eq!(sql.focus, Pane::Grid);
        sql.update(Action::FocusNext, &mut status);
        assert_eq!(sql.focus, Pane::Catalog);
        sql.update(Action::EnterInsert, &mut status);
        assert_eq!((sql.focus, sql.mode), (Pane::Editor, Mode::Insert));
        sql.history = vec!["SELECT 1".into(), "SELECT 2".into()];
        sql.update(Action::History(1), &mut status);
        assert_eq!(
            sql.editor.text(),
            STARTER_SQL,
            "nothing newer than the editor"
        );
        sql.update(Action::History(-1), &mut status);
        assert_eq!(sql.editor.text(), "SELECT 2");
        assert_eq!(status.text, "history 2 of 2");
        sql.update(Action::EditorText("SELECT 3\n".into()), &mut status);
        assert_eq!(sql.editor.text(), "SELECT 3");
    }
}
