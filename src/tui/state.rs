//! The workbench's state and `update`: the only place it changes. `update` returns the
//! effects (work for the database worker, jobs to start) instead of doing them, so it is
//! plain, testable logic.

use std::time::Instant;

use crate::export::report::PeriodPreset;
use crate::ingest::IngestSummary;
use crate::jobs::Progress;
use crate::warehouse::catalog::{Relation, RelationKind};
use crate::warehouse::quote_ident;

use super::action::Action;
use super::editor::Editor;
use super::grid::Grid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Insert,
}

/// The workbench's screens, by their number key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Dashboard,
    Sql,
    Models,
    Jobs,
    Stream,
    Ml,
    Quality,
}

/// A node of the model DAG as the Models screen lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRow {
    pub name: String,
    pub resource_type: String,
    pub materialized: String,
    pub schema: String,
    /// The box-drawing before the name: the node's place in the DAG's tree.
    pub tree: String,
    /// Names of its parents (sources as `source.table`) and of its children.
    pub parents: Vec<String>,
    pub children: Vec<String>,
    /// Status, rows, completion time (RFC 3339) and duration in seconds of the last
    /// run, from `target/run_results.json`.
    pub last_status: Option<String>,
    pub last_rows: Option<u64>,
    pub last_run_at: Option<String>,
    pub last_seconds: Option<f64>,
    /// The SQL the last run executed for it.
    pub compiled: Option<String>,
    /// Its tests: name, last status, failing rows, message.
    pub tests: Vec<TestRow>,
}

/// A data test of a node, with its last result.
#[derive(Debug, Clone, PartialEq)]
pub struct TestRow {
    pub name: String,
    pub status: Option<String>,
    pub failures: Option<u64>,
    pub message: Option<String>,
}

/// How a background job stands.
#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    Running,
    Finished(String),
    Failed(String),
    Cancelling,
}

/// A background job as the Jobs screen shows it.
#[derive(Debug, Clone)]
pub struct JobView {
    pub id: u64,
    pub name: String,
    pub started: Instant,
    pub finished: Option<Instant>,
    pub progress: Option<Progress>,
    pub state: JobState,
    /// The latest progress messages, newest last.
    pub log: Vec<String>,
}

impl Screen {
    /// (key, name) of every screen, in tab order.
    pub const TABS: [(Screen, char, &'static str); 7] = [
        (Screen::Dashboard, '1', "Dashboard"),
        (Screen::Sql, '2', "SQL"),
        (Screen::Models, '3', "Models"),
        (Screen::Jobs, '4', "Jobs"),
        (Screen::Stream, '5', "Stream"),
        (Screen::Ml, '6', "ML"),
        (Screen::Quality, '7', "Data quality"),
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Catalog,
    Editor,
    Grid,
}

impl Pane {
    const ORDER: [Pane; 3] = [Pane::Catalog, Pane::Editor, Pane::Grid];

    fn step(self, by: isize) -> Pane {
        let i = Self::ORDER.iter().position(|&p| p == self).unwrap_or(0) as isize;
        Self::ORDER[(i + by).rem_euclid(Self::ORDER.len() as isize) as usize]
    }
}

/// Which nodes a build from the Models screen covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildScope {
    All,
    Node,
    WithParents,
    WithChildren,
}

/// Work the event loop must start on behalf of `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadCatalog,
    /// Run `sql` into the result slot of the SQL tab in front.
    RunQuery {
        id: u64,
        sql: String,
        slot: u32,
    },
    /// A SQL tab closed: drop its result.
    DiscardResult {
        slot: u32,
    },
    FetchPage {
        query_id: u64,
        start: u64,
        limit: u64,
    },
    /// Cancel query `id`: interrupted if it runs, skipped if it still waits its turn
    /// (another tab's query may be the one running).
    InterruptQuery(u64),
    LoadSample,
    /// `load PATH` in the palette: the user's own files, shape and format detected.
    LoadFiles(String),
    /// The dashboard's figures for a period and, optionally, one country.
    LoadDashboard {
        preset: PeriodPreset,
        country: Option<String>,
    },
    LoadQuality,
    /// What ran in this warehouse (ingests, pipeline jobs, ML runs).
    LoadRecentRuns,
    LoadMl,
    /// The tail's latest windows, dead letters and late events from the warehouse.
    LoadStream,
    /// Suggestions for a customer id or a stock code.
    Lookup(String),
    /// Start the tail of `[tui.stream]` as job `job`.
    StartTail {
        job: u64,
    },
    /// Run an ML job (default options) in the background.
    StartMl {
        job: u64,
        model: crate::ml::MlModel,
    },
    LoadModels,
    /// Build the selected nodes of the bundled project as a background job.
    StartModels {
        job: u64,
        select: Vec<String>,
    },
    CancelJob(u64),
    /// Mouse capture on or off.
    SetMouse(bool),
    /// Ctrl+Z: suspend to the shell.
    Suspend,
    /// Ctrl+E: open this SQL in the user's editor.
    EditExternally(String),
    /// Append a query to the history file.
    SaveHistory(String),
    /// Put text on the terminal's clipboard (OSC 52).
    Copy(String),
    /// Write the current result to a file.
    ExportResult {
        query_id: u64,
        path: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum StatusKind {
    Info,
    Error,
}

#[derive(Debug, Clone)]
pub struct RunningQuery {
    pub id: u64,
    pub started: Instant,
}

/// The catalog pane: relations and the selected one.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub relations: Vec<Relation>,
    pub selected: usize,
    pub loaded: bool,
}

impl Catalog {
    pub fn selected_relation(&self) -> Option<&Relation> {
        self.relations.get(self.selected)
    }

    /// Rows of `raw.order_lines`, once the catalog is loaded.
    pub fn order_lines(&self) -> Option<u64> {
        self.relations
            .iter()
            .find(|r| r.schema == "raw" && r.name == "order_lines")
            .and_then(|r| r.rows)
    }
}

/// The command palette: a query and the selected match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Palette {
    pub query: String,
    pub selected: usize,
}

pub struct App {
    pub warehouse: String,
    pub palette: Option<Palette>,
    /// What the palette offers: every action of the bindings in force.
    pub commands: Vec<super::keymap::PaletteItem>,
    /// Draw without colours (the `NO_COLOR` convention).
    pub no_color: bool,
    /// The light theme: colours remapped for a light terminal background.
    pub light: bool,
    /// Mouse capture (scrolling); on by default.
    pub mouse: bool,
    /// The grid's sort: column and ascending, when sorted by `o`.
    pub sort: Option<(String, bool)>,
    /// The row detail overlay of the results grid.
    pub row_detail: bool,
    /// Queries run before, oldest first (kept across sessions in the state dir).
    pub history: Vec<String>,
    /// Position while stepping through the history.
    history_pos: Option<usize>,
    pub screen: Screen,
    pub dashboard: Option<Result<crate::export::report::ReportData, String>>,
    /// The dashboard's period and country filter (`p` and `f` cycle them).
    pub dashboard_preset: PeriodPreset,
    pub dashboard_country: Option<String>,
    /// Countries to cycle through: the top ten of the unfiltered data.
    dashboard_countries: Vec<String>,
    pub quality: Option<Result<crate::warehouse::catalog::QualitySummary, String>>,
    /// The ML screen's lookup box while typing (a customer id or a stock code).
    pub ml_lookup: Option<String>,
    /// The last lookup's answer.
    pub ml_answer: Option<Result<(String, Vec<crate::ml::recommend::Suggestion>), String>>,
    /// The Stream screen: the running tail and what it wrote.
    pub stream: StreamView,
    /// The ML screen's tables, once loaded.
    pub ml: Option<Result<crate::ml::summary::MlSummary, String>>,
    pub models: Option<Result<Vec<ModelRow>, String>>,
    pub model_selected: usize,
    pub jobs: Vec<JobView>,
    /// What ran in this warehouse, from its records (the Jobs screen's lower list).
    pub recent_runs: Option<Result<Vec<crate::warehouse::history::RecentRun>, String>>,
    pub job_selected: usize,
    next_job_id: u64,
    pub mode: Mode,
    pub focus: Pane,
    pub show_help: bool,
    pub catalog: Catalog,
    pub editor: Editor,
    pub grid: Grid,
    pub running: Option<RunningQuery>,
    /// The SQL tabs; the one in front lives in `editor`, `grid`, `running` and `sort`.
    pub sql_tabs: super::tabs::SqlTabs,
    next_query_id: u64,
    pub status: (StatusKind, String),
    pub ingest: Option<Progress>,
    pub ticks: u64,
    pub size: (u16, u16),
    pub quit: bool,
}

/// The query the editor starts with.
pub const STARTER_SQL: &str = "SELECT country, count(*) AS lines, sum(quantity * unit_price) AS revenue\nFROM raw.order_lines\nGROUP BY country\nORDER BY revenue DESC";

impl App {
    pub fn new(warehouse: String, page_rows: u64) -> Self {
        Self {
            warehouse,
            palette: None,
            commands: super::keymap::palette_items(&super::keymap::bindings()),
            no_color: false,
            light: false,
            mouse: true,
            history: Vec::new(),
            history_pos: None,
            row_detail: false,
            sort: None,
            screen: Screen::Sql,
            dashboard: None,
            dashboard_preset: PeriodPreset::All,
            dashboard_country: None,
            dashboard_countries: Vec::new(),
            quality: None,
            ml: None,
            stream: StreamView::default(),
            ml_lookup: None,
            ml_answer: None,
            models: None,
            model_selected: 0,
            jobs: Vec::new(),
            recent_runs: None,
            job_selected: 0,
            next_job_id: 1,
            mode: Mode::Normal,
            focus: Pane::Editor,
            show_help: false,
            catalog: Catalog::default(),
            editor: Editor::with_text(STARTER_SQL),
            grid: Grid::new(page_rows),
            running: None,
            sql_tabs: Default::default(),
            next_query_id: 1,
            status: (StatusKind::Info, "loading the catalog…".into()),
            ingest: None,
            ticks: 0,
            size: (80, 24),
            quit: false,
        }
    }

    /// Whether the warehouse is known to hold no order lines (the welcome screen).
    pub fn is_empty_warehouse(&self) -> bool {
        self.catalog.loaded && self.catalog.order_lines() == Some(0) && self.grid.result.is_none()
    }

    /// Rows of the grid visible at the current terminal size.
    pub fn grid_height(&self) -> u64 {
        super::ui::grid_body_height(self.size) as u64
    }

    /// The last frame's message while the workbench stops its jobs on the way out.
    pub fn show_closing(&mut self, jobs: usize) {
        self.info(format!(
            "closing: stopping {jobs} job(s) and checkpointing the warehouse…"
        ));
    }

    pub(super) fn info(&mut self, text: impl Into<String>) {
        self.status = (StatusKind::Info, text.into());
    }

    pub(super) fn error(&mut self, text: impl Into<String>) {
        self.status = (StatusKind::Error, text.into());
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut effects = Vec::new();
        match action {
            Action::Quit => self.quit = true,
            Action::ToggleTheme => {
                self.light = !self.light;
                self.info(if self.light {
                    "light theme (tui.theme = \"light\" keeps it)"
                } else {
                    "dark theme"
                });
            }
            Action::ToggleMouse => {
                self.mouse = !self.mouse;
                self.info(if self.mouse {
                    "mouse on"
                } else {
                    "mouse off: the terminal selects text"
                });
                effects.push(Effect::SetMouse(self.mouse));
            }
            Action::Suspend => effects.push(Effect::Suspend),
            Action::SortResults => effects.extend(self.sort_results()),
            Action::ToggleRowDetail => {
                self.row_detail = !self.row_detail && self.grid.row(self.grid.selected).is_some();
            }
            Action::CopyRow => {
                if let Some(row) = self.grid.row(self.grid.selected) {
                    effects.push(Effect::Copy(row.join("\t")));
                    self.info(format!(
                        "copied row {} to the clipboard",
                        self.grid.selected + 1
                    ));
                }
            }
            Action::CopyCell => {
                let column = self.grid.first_column;
                let cell = self
                    .grid
                    .row(self.grid.selected)
                    .and_then(|r| r.get(column).cloned());
                let name = self
                    .grid
                    .result
                    .as_ref()
                    .and_then(|r| r.columns.get(column))
                    .map(|c| c.name.clone());
                if let (Some(cell), Some(name)) = (cell, name) {
                    effects.push(Effect::Copy(cell));
                    self.info(format!(
                        "copied {name} of row {} to the clipboard (h/l choose the column)",
                        self.grid.selected + 1
                    ));
                }
            }
            Action::ExportResult(format) => {
                if let Some(result) = &self.grid.result {
                    let path = format!(
                        "ecom-result-{}.{format}",
                        chrono::Local::now().format("%Y%m%d-%H%M%S")
                    );
                    effects.push(Effect::ExportResult {
                        query_id: result.query_id,
                        path,
                    });
                    self.info("writing the result…");
                }
            }
            Action::ResultExported(Ok(path)) => self.info(format!("wrote {path}")),
            Action::ResultExported(Err(e)) => self.error(format!("export failed: {e}")),
            Action::History(step) => {
                if !self.history.is_empty() {
                    let last = self.history.len() - 1;
                    let pos = match self.history_pos {
                        None if step < 0 => last,
                        None => return effects,
                        Some(p) => (p as i64 + step).clamp(0, last as i64) as usize,
                    };
                    self.history_pos = Some(pos);
                    self.editor.set_text(&self.history[pos]);
                    self.info(format!("history {} of {}", pos + 1, self.history.len()));
                }
            }
            Action::ExternalEditor => effects.push(Effect::EditExternally(self.editor.text())),
            Action::EditorText(text) => {
                self.editor.set_text(text.trim_end_matches('\n'));
                self.screen = Screen::Sql;
                self.focus = Pane::Editor;
                self.info("SQL updated from the editor: r runs it");
            }
            Action::OpenPalette => {
                self.palette = Some(Palette::default());
                self.mode = Mode::Normal;
            }
            Action::PaletteKey(key) => effects.extend(self.palette_key(key)),
            Action::ShowScreen(screen) => {
                self.screen = screen;
                self.mode = Mode::Normal;
                match screen {
                    Screen::Dashboard => effects.push(self.dashboard_request()),
                    Screen::Quality => effects.push(Effect::LoadQuality),
                    Screen::Ml => effects.push(Effect::LoadMl),
                    Screen::Stream => effects.push(Effect::LoadStream),
                    Screen::Models => effects.push(Effect::LoadModels),
                    Screen::Jobs => effects.push(Effect::LoadRecentRuns),
                    Screen::Sql => {}
                }
            }
            Action::DashboardLoaded(result) => {
                if let (Ok(data), None) = (result.as_ref(), &self.dashboard_country)
                    && self.dashboard_countries.is_empty()
                {
                    self.dashboard_countries =
                        data.top_countries.iter().map(|c| c.0.clone()).collect();
                }
                self.dashboard = Some(*result);
            }
            Action::DashboardPeriod => {
                self.dashboard_preset = self.dashboard_preset.next();
                effects.push(self.dashboard_request());
            }
            Action::DashboardCountry => {
                let position = self
                    .dashboard_country
                    .as_ref()
                    .and_then(|c| self.dashboard_countries.iter().position(|x| x == c));
                self.dashboard_country = match position {
                    None => self.dashboard_countries.first().cloned(),
                    Some(i) => self.dashboard_countries.get(i + 1).cloned(),
                };
                effects.push(self.dashboard_request());
            }
            Action::QualityLoaded(result) => self.quality = Some(result),
            Action::RecentRunsLoaded(result) => self.recent_runs = Some(result),
            Action::MlLoaded(result) => self.ml = Some(*result),
            Action::RunMl(model) => effects.push(self.start_ml(model)),
            Action::ToggleTail => effects.push(self.toggle_tail()),
            Action::StartLookup => self.ml_lookup = Some(String::new()),
            Action::LookupKey(key) => effects.extend(self.lookup_key(key)),
            Action::LookupAnswered(answer) => self.ml_answer = Some(answer),
            Action::TailStatus(status) => self.stream.record(*status),
            Action::StreamLoaded(result) => self.stream.recent = Some(result),
            Action::ModelsLoaded(result) => {
                self.models = Some(result);
                self.model_selected = self
                    .model_selected
                    .min(self.model_rows().len().saturating_sub(1));
            }
            Action::BuildModels(scope) => effects.extend(self.start_models(scope)),
            Action::CancelJob => {
                if let Some(job) = self.jobs.get_mut(self.job_selected)
                    && job.state == JobState::Running
                {
                    job.state = JobState::Cancelling;
                    effects.push(Effect::CancelJob(job.id));
                }
            }
            Action::JobProgress(id, progress) => {
                if let Some(job) = self.jobs.iter_mut().find(|j| j.id == id) {
                    if !progress.message.is_empty() {
                        job.log.push(progress.message.clone());
                        if job.log.len() > 200 {
                            job.log.remove(0);
                        }
                    }
                    job.progress = Some(progress);
                }
            }
            Action::JobFinished(id, result) => {
                if let Some(job) = self.jobs.iter_mut().find(|j| j.id == id) {
                    job.finished = Some(Instant::now());
                    let ok = result.is_ok();
                    job.state = match result {
                        Ok(message) => JobState::Finished(message),
                        Err(message) => JobState::Failed(message),
                    };
                    let text = format!(
                        "job {} {}",
                        job.name,
                        if ok { "finished" } else { "failed" }
                    );
                    self.info(text);
                }
                if self.screen == Screen::Models {
                    effects.push(Effect::LoadModels);
                }
                if self.screen == Screen::Jobs {
                    effects.push(Effect::LoadRecentRuns);
                }
                if self.screen == Screen::Ml {
                    effects.push(Effect::LoadMl);
                }
                if self.stream.job == Some(id) {
                    self.stream.job = None;
                    self.stream.stopping = false;
                    effects.push(Effect::LoadStream);
                }
            }
            Action::ToggleHelp => self.show_help = !self.show_help,
            Action::FocusNext => self.focus = self.focus.step(1),
            Action::FocusPrev => self.focus = self.focus.step(-1),
            Action::EnterInsert => {
                self.focus = Pane::Editor;
                self.mode = Mode::Insert;
            }
            Action::Escape => {
                if self.row_detail {
                    self.row_detail = false;
                } else if self.show_help {
                    self.show_help = false;
                } else if let Some(query) = &self.running {
                    effects.push(Effect::InterruptQuery(query.id));
                    self.info("cancelling…");
                } else {
                    self.mode = Mode::Normal;
                }
            }
            Action::EditorKey(key) => {
                let tab = key.code == ratatui::crossterm::event::KeyCode::Tab;
                if !(tab && self.complete()) {
                    self.editor.handle_key(key);
                }
            }
            Action::RunQuery => effects.extend(self.run_query()),
            Action::NewSqlTab => effects.extend(self.new_sql_tab()),
            Action::CloseSqlTab => effects.extend(self.close_sql_tab()),
            Action::SwitchSqlTab(step) => effects.extend(self.switch_sql_tab(step)),
            Action::LoadSample => {
                if self.ingest.is_none() {
                    effects.push(Effect::LoadSample);
                    self.info("loading the bundled sample…");
                }
            }
            Action::RefreshCatalog => effects.push(Effect::LoadCatalog),
            Action::Move(delta) => self.move_selection(delta),
            Action::MovePage(pages) => {
                self.move_selection(pages * self.grid_height().max(1) as i64)
            }
            Action::MoveToStart => self.move_selection(i64::MIN / 2),
            Action::MoveToEnd => self.move_selection(i64::MAX / 2),
            Action::ScrollColumns(delta) => self.grid.scroll_columns(delta),
            Action::ResizeColumn(delta) => self.grid.resize_column(delta),
            Action::OpenRelation => {
                if let Some(rel) = self.catalog.selected_relation() {
                    let sql = format!(
                        "FROM {}.{}",
                        quote_ident(&rel.schema),
                        quote_ident(&rel.name)
                    );
                    self.editor.set_text(&sql);
                    effects.extend(self.run_query());
                }
            }
            Action::Tick => {
                self.ticks += 1;
                // The Stream screen follows what the tail writes, every two seconds.
                if self.screen == Screen::Stream
                    && self.stream.job.is_some()
                    && self.ticks.is_multiple_of(20)
                {
                    effects.push(Effect::LoadStream);
                }
            }
            Action::Resize(w, h) => self.size = (w, h),
            Action::CatalogLoaded(Ok(relations)) => {
                if !self.catalog.loaded {
                    // Start on the data, not on the bookkeeping tables that sort first.
                    self.catalog.selected = relations
                        .iter()
                        .position(|r| r.schema == "raw" && r.name == "order_lines")
                        .unwrap_or(0);
                }
                self.catalog.relations = relations;
                self.catalog.selected = self
                    .catalog
                    .selected
                    .min(self.catalog.relations.len().saturating_sub(1));
                let first_load = !self.catalog.loaded;
                self.catalog.loaded = true;
                if first_load || self.is_empty_warehouse() {
                    self.info(if self.is_empty_warehouse() {
                        "empty warehouse: L loads the sample, :load PATH your files".to_string()
                    } else {
                        format!("{} tables and views", self.catalog.relations.len())
                    });
                }
            }
            Action::CatalogLoaded(Err(e)) => self.error(format!("catalog: {e}")),
            Action::QueryFinished(id, result) => {
                if self.running.as_ref().is_none_or(|r| r.id != id) {
                    // A tab not in front, or a query nobody waits for any more.
                    self.finish_parked_query(id, &result);
                } else {
                    self.running = None;
                    match result {
                        Ok(result) => {
                            self.info(format!(
                                "{} rows in {:.2} s",
                                crate::format::thousands(result.total_rows),
                                result.elapsed_ms as f64 / 1000.0
                            ));
                            self.grid.set_result(result);
                            self.focus = Pane::Grid;
                            self.mode = Mode::Normal;
                        }
                        Err(e) => self.error(e),
                    }
                }
            }
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
            Action::IngestProgress(p) => self.ingest = Some(p),
            Action::IngestFinished(result) => {
                self.ingest = None;
                match result {
                    Ok(s) => self.info(ingest_message(&s)),
                    Err(e) => self.error(format!("loading failed: {e}")),
                }
                effects.push(Effect::LoadCatalog);
            }
        }
        effects.extend(self.page_request());
        effects
    }

    fn run_query(&mut self) -> Vec<Effect> {
        let sql = self.editor.text();
        if sql.trim().is_empty() {
            self.error("the editor is empty: press i and type some SQL");
            return vec![];
        }
        let mut effects = Vec::new();
        if self.history.last() != Some(&sql) {
            self.history.push(sql.clone());
            effects.push(Effect::SaveHistory(sql.clone()));
        }
        self.history_pos = None;
        self.sort = None;
        effects.extend(self.start_query(sql));
        effects
    }

    /// Runs `sql` for the grid, interrupting a query still running.
    fn start_query(&mut self, sql: String) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Some(query) = &self.running {
            effects.push(Effect::InterruptQuery(query.id));
        }
        let id = self.next_query_id;
        self.next_query_id += 1;
        self.running = Some(RunningQuery {
            id,
            started: Instant::now(),
        });
        self.mode = Mode::Normal;
        self.info("running…");
        effects.push(Effect::RunQuery {
            id,
            sql,
            slot: self.sql_tabs.active_slot(),
        });
        effects
    }

    /// Sorts the result by its first visible column, ascending, then descending, then
    /// back to the query's own order.
    fn sort_results(&mut self) -> Vec<Effect> {
        let Some(result) = &self.grid.result else {
            return vec![];
        };
        let Some(column) = result
            .columns
            .get(self.grid.first_column)
            .map(|c| c.name.clone())
        else {
            return vec![];
        };
        self.sort = match &self.sort {
            Some((c, true)) if *c == column => Some((column, false)),
            Some((c, false)) if *c == column => None,
            _ => Some((column, true)),
        };
        let base = self.editor.text();
        let base = base.trim().trim_end_matches(';');
        let sql = match &self.sort {
            Some((c, asc)) => format!(
                "SELECT * FROM ({base}\n) AS sorted ORDER BY {} {} NULLS LAST",
                quote_ident(c),
                if *asc { "ASC" } else { "DESC" }
            ),
            None => base.to_string(),
        };
        self.start_query(sql)
    }

    fn move_selection(&mut self, delta: i64) {
        let step = |current: usize, count: usize| {
            (current as i64)
                .saturating_add(delta)
                .clamp(0, count.saturating_sub(1) as i64) as usize
        };
        match self.screen {
            Screen::Models => {
                self.model_selected = step(self.model_selected, self.model_rows().len());
                return;
            }
            Screen::Jobs => {
                self.job_selected = step(self.job_selected, self.jobs.len());
                return;
            }
            _ => {}
        }
        match self.focus {
            Pane::Catalog => {
                self.catalog.selected = step(self.catalog.selected, self.catalog.relations.len());
            }
            Pane::Grid => {
                let height = self.grid_height();
                self.grid.move_by(delta, height);
            }
            Pane::Editor => {}
        }
    }

    /// The Models screen's rows, once loaded.
    fn model_rows(&self) -> &[ModelRow] {
        self.models
            .as_ref()
            .and_then(|m| m.as_ref().ok())
            .map_or(&[], Vec::as_slice)
    }

    fn dashboard_request(&self) -> Effect {
        Effect::LoadDashboard {
            preset: self.dashboard_preset,
            country: self.dashboard_country.clone(),
        }
    }

    /// Tab in the editor: completes the word before the cursor from SQL keywords and the
    /// catalog's schemas, tables and columns. Returns false when there is nothing to
    /// complete (Tab then indents).
    fn complete(&mut self) -> bool {
        let word = self.editor.word_before_cursor();
        if word.is_empty() {
            return false;
        }
        let lower = word.to_lowercase();
        let mut candidates: Vec<String> = Vec::new();
        let mut offer = |c: String| {
            if c.to_lowercase().starts_with(&lower)
                && c.len() > word.len()
                && !candidates.contains(&c)
            {
                candidates.push(c);
            }
        };
        for keyword in super::highlight::KEYWORDS {
            let keyword = if word.chars().next().is_some_and(char::is_lowercase) {
                keyword.to_lowercase()
            } else {
                keyword.to_string()
            };
            offer(keyword);
        }
        for rel in &self.catalog.relations {
            offer(rel.schema.clone());
            offer(format!("{}.{}", rel.schema, rel.name));
            offer(rel.name.clone());
            for column in &rel.columns {
                offer(column.name.clone());
            }
        }
        let Some(first) = candidates.first() else {
            return false;
        };
        let common = candidates.iter().skip(1).fold(first.clone(), |acc, c| {
            acc.chars()
                .zip(c.chars())
                .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
                .map(|(a, _)| a)
                .collect()
        });
        let rest: String = common.chars().skip(word.chars().count()).collect();
        self.editor.insert_str(&rest);
        if candidates.len() > 1 {
            let shown: Vec<&str> = candidates.iter().take(8).map(String::as_str).collect();
            self.info(format!(
                "{} matches: {}",
                candidates.len(),
                shown.join("  ")
            ));
        }
        true
    }

    /// Typing into the palette; Enter runs the selected command, Esc closes.
    fn palette_key(&mut self, key: ratatui::crossterm::event::KeyEvent) -> Vec<Effect> {
        use ratatui::crossterm::event::KeyCode;
        let Some(palette) = self.palette.as_mut() else {
            return vec![];
        };
        match key.code {
            KeyCode::Esc => self.palette = None,
            KeyCode::Enter if palette.query.starts_with("load ") => {
                let path = palette.query["load ".len()..].trim().to_string();
                self.palette = None;
                if self.ingest.is_some() {
                    self.error("a load is already running");
                } else if !path.is_empty() {
                    self.info(format!("loading {path}…"));
                    return vec![Effect::LoadFiles(path)];
                }
            }
            KeyCode::Enter => {
                let chosen = super::keymap::palette_matches(&self.commands, &palette.query)
                    .get(palette.selected)
                    .map(|item| item.action.clone());
                self.palette = None;
                if let Some(action) = chosen {
                    return self.update(action);
                }
            }
            KeyCode::Up => palette.selected = palette.selected.saturating_sub(1),
            KeyCode::Down => palette.selected += 1,
            KeyCode::Backspace => {
                palette.query.pop();
                palette.selected = 0;
            }
            KeyCode::Char(c) => {
                palette.query.push(c);
                palette.selected = 0;
            }
            _ => {}
        }
        if let Some(palette) = self.palette.as_mut() {
            let count = super::keymap::palette_matches(&self.commands, &palette.query).len();
            palette.selected = palette.selected.min(count.saturating_sub(1));
        }
        vec![]
    }

    /// Starts a model build of the selected node (or everything) as a job.
    fn start_models(&mut self, scope: BuildScope) -> Vec<Effect> {
        let node = self
            .model_rows()
            .get(self.model_selected)
            .map(|m| m.name.clone());
        let select = match (scope, node) {
            (BuildScope::All, _) => Vec::new(),
            (BuildScope::Node, Some(n)) => vec![n],
            (BuildScope::WithParents, Some(n)) => vec![format!("+{n}")],
            (BuildScope::WithChildren, Some(n)) => vec![format!("{n}+")],
            (_, None) => return vec![],
        };
        let name = if select.is_empty() {
            "models build".to_string()
        } else {
            format!("models build {}", select.join(" "))
        };
        let job = self.add_job(name);
        vec![Effect::StartModels { job, select }]
    }

    /// Typing in the ML screen's lookup box: Enter asks, Esc closes it.
    fn lookup_key(&mut self, key: ratatui::crossterm::event::KeyEvent) -> Option<Effect> {
        use ratatui::crossterm::event::KeyCode;
        let text = self.ml_lookup.as_mut()?;
        match key.code {
            KeyCode::Esc => self.ml_lookup = None,
            KeyCode::Enter => {
                let asked = std::mem::take(text).trim().to_string();
                self.ml_lookup = None;
                if !asked.is_empty() {
                    return Some(Effect::Lookup(asked));
                }
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) => text.push(c),
            _ => {}
        }
        None
    }

    /// Starts the tail, or asks the running one to stop.
    fn toggle_tail(&mut self) -> Effect {
        if let Some(job) = self.stream.job {
            self.stream.stopping = true;
            if let Some(view) = self.jobs.iter_mut().find(|j| j.id == job) {
                view.state = JobState::Cancelling;
            }
            self.info("stopping the tail after its current batch…");
            return Effect::CancelJob(job);
        }
        let job = self.add_job("tail".into());
        self.stream.job = Some(job);
        self.stream.rates.clear();
        self.stream.status = None;
        Effect::StartTail { job }
    }

    /// Starts an ML job with its default options and lists it on the Jobs screen.
    fn start_ml(&mut self, model: crate::ml::MlModel) -> Effect {
        let job = self.add_job(format!("ml {}", model.name()));
        Effect::StartMl { job, model }
    }

    /// Lists a new running job on the Jobs screen (selected) and returns its id.
    fn add_job(&mut self, name: String) -> u64 {
        let id = self.next_job_id;
        self.next_job_id += 1;
        self.jobs.insert(
            0,
            JobView {
                id,
                name: name.clone(),
                started: Instant::now(),
                finished: None,
                progress: None,
                state: JobState::Running,
                log: Vec::new(),
            },
        );
        self.job_selected = 0;
        self.info(format!("started {name}: 4 shows the jobs"));
        id
    }

    fn page_request(&mut self) -> Option<Effect> {
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

fn ingest_message(s: &IngestSummary) -> String {
    let mut presets: Vec<&str> = s.files.iter().filter_map(|f| f.preset.as_deref()).collect();
    presets.dedup();
    let rejected = s
        .files
        .iter()
        .find_map(|f| {
            f.reason
                .as_deref()
                .filter(|_| f.status == crate::ingest::FileStatus::Rejected)
        })
        .map(|reason| format!("; {} rejected: {reason}", s.files_rejected))
        .unwrap_or_default();
    format!(
        "loaded {} rows from {} file(s){}, {} quarantined, {} already loaded{rejected}",
        crate::format::thousands(s.rows_loaded),
        s.files_loaded,
        if presets.is_empty() {
            String::new()
        } else {
            format!(" read as {}", presets.join(", "))
        },
        s.rows_quarantined,
        s.files_duplicate
    )
}

/// Short label of a relation kind for the catalog.
pub fn kind_label(kind: RelationKind) -> &'static str {
    match kind {
        RelationKind::Table => "table",
        RelationKind::View => "view",
    }
}

/// The Stream screen's state: the tail job, its latest figures and their history.
#[derive(Debug, Clone, Default)]
pub struct StreamView {
    /// The running tail's job, when one runs.
    pub job: Option<u64>,
    /// Asked to stop; waiting for its last batch.
    pub stopping: bool,
    /// What the tail consumes, for the title.
    pub target: String,
    pub status: Option<crate::stream::tail::TailStatus>,
    /// Events per second at each publication, oldest first (at most [`RATE_HISTORY`]).
    pub rates: Vec<u64>,
    pub recent: Option<Result<crate::stream::recent::StreamRecent, String>>,
}

/// Samples of the events-per-second sparkline (two a second: a minute).
pub const RATE_HISTORY: usize = 120;

impl StreamView {
    fn record(&mut self, status: crate::stream::tail::TailStatus) {
        self.rates.push(status.events_per_second.round() as u64);
        if self.rates.len() > RATE_HISTORY {
            self.rates.remove(0);
        }
        self.status = Some(status);
    }
}
