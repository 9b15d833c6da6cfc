//! The workbench's app: the global state (the screen in front, the palette, the help,
//! the jobs list, the status line, theme and mouse) and one component per screen. Its
//! `update` is the only place state changes: it handles the global actions and routes
//! the others to the screen they belong to, collecting the effects for the event loop.

use ratatui::crossterm::event::KeyEvent;

use crate::jobs::Progress;

use super::action::{Action, HelpScroll};
use super::effect::Effect;
use super::focus::Mode;
use super::jobs::Jobs;
use super::keymap::{self, KeyContext};
use super::palette::{Palette, PaletteItem, Typed, palette_items};
use super::screen::Screen;
use super::screens::alerts::AlertsScreen;
use super::screens::dashboard::{self, DashboardScreen};
use super::screens::jobs::JobsScreen;
use super::screens::ml::MlScreen;
use super::screens::models::ModelsScreen;
use super::screens::quality::QualityScreen;
use super::screens::sql::{SqlScreen, SqlTarget};
use super::screens::stream::StreamScreen;
use super::status::Status;
use super::theme::Theme;
use crate::tui::failure::Reported;

/// How many ticks (of 100 ms) between reloads of a live screen's state: what the tail
/// wrote (Stream), what a check job evaluated (Alerts).
const RELOAD_TICKS: u64 = 20;

pub struct App {
    pub warehouse: String,
    /// The server this workbench reads, when it is a client of one (`--remote`).
    pub remote: Option<super::remote::RemoteAccess>,
    pub screen: Screen,
    pub palette: Option<Palette>,
    /// What the palette offers: every action of the bindings in force.
    pub commands: Vec<PaletteItem>,
    pub theme: Theme,
    /// Mouse capture (scrolling); on by default.
    pub mouse: bool,
    pub show_help: bool,
    /// The help overlay's text, from the bindings in force, and how far it is scrolled.
    pub help: Vec<keymap::HelpSection>,
    pub help_scroll: usize,
    pub status: Status,
    /// The session's background jobs.
    pub jobs: Jobs,
    /// The running load's progress.
    pub ingest: Option<Progress>,
    pub ticks: u64,
    pub quit: bool,
    pub dashboard: DashboardScreen,
    pub sql: SqlScreen,
    pub models: ModelsScreen,
    pub jobs_screen: JobsScreen,
    pub stream: StreamScreen,
    pub ml: MlScreen,
    pub quality: QualityScreen,
    pub alerts: AlertsScreen,
}

impl App {
    pub fn new(warehouse: String, page_rows: u64) -> Self {
        let mut status = Status::default();
        status.info("loading the catalog…");
        Self {
            warehouse,
            remote: None,
            screen: Screen::Sql,
            palette: None,
            commands: palette_items(&keymap::bindings()),
            help: keymap::help_sections(&keymap::bindings()),
            help_scroll: 0,
            theme: Theme::default(),
            mouse: true,
            show_help: false,
            status,
            jobs: Jobs::default(),
            ingest: None,
            ticks: 0,
            quit: false,
            dashboard: DashboardScreen::default(),
            sql: SqlScreen::new(page_rows),
            models: ModelsScreen::default(),
            jobs_screen: JobsScreen::default(),
            stream: StreamScreen::default(),
            ml: MlScreen::default(),
            quality: QualityScreen::default(),
            alerts: AlertsScreen::new(
                crate::paths::default_config_file().with_file_name("alerts.toml"),
            ),
        }
    }

    /// The palette and the help offer the bindings in force (the config's keys).
    pub fn use_bindings(&mut self, bindings: &[keymap::Binding]) {
        self.commands = palette_items(bindings);
        self.help = keymap::help_sections(bindings);
    }

    /// What the keymap needs to know to find the action of a key.
    pub fn key_context(&self) -> KeyContext {
        KeyContext {
            mode: self.sql.mode,
            focus: self.sql.focus,
            screen: self.screen,
            palette: self.palette.is_some(),
            lookup: self.ml.lookup.is_some(),
            dashboard_menu: self.screen == Screen::Dashboard && self.dashboard.menu.is_some(),
            prompt: self.sql.prompt.is_some() && self.screen == Screen::Sql,
            grid_prompt: self.screen == Screen::Sql && self.sql.grid.prompt.is_some(),
            help: self.show_help,
            mouse: self.mouse,
            chart: self.screen == Screen::Sql && self.sql.chart.is_some(),
            browser: self.screen == Screen::Stream && self.stream.browser.is_some(),
            browser_prompt: self.screen == Screen::Stream
                && self
                    .stream
                    .browser
                    .as_ref()
                    .is_some_and(|b| b.prompt.is_some()),
        }
    }

    /// The last frame's message while the workbench stops its jobs on the way out.
    pub fn show_closing(&mut self, jobs: usize) {
        self.status.info(format!(
            "closing: stopping {jobs} job(s) and checkpointing the warehouse…"
        ));
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut effects = self.route(action);
        effects.extend(self.sql.page_request());
        match &self.remote {
            Some(remote) => remote.refuse(effects, &mut self.jobs, &mut self.status),
            None => effects,
        }
    }

    /// Scrolls the help by lines or pages of the terminal's height, within its text.
    fn scroll_help(&mut self, scroll: HelpScroll) {
        let size = self.sql.size;
        let page = keymap::help_view_height(size.1) as i64;
        let wanted = match scroll {
            HelpScroll::Lines(n) => self.help_scroll as i64 + n as i64,
            HelpScroll::Pages(n) => self.help_scroll as i64 + n as i64 * page,
            HelpScroll::Start => 0,
            HelpScroll::End => i64::MAX / 2,
        };
        let rows = keymap::help_rows(&self.help, size.0).len();
        self.help_scroll = keymap::help_first_line(wanted.max(0) as usize, rows, size.1);
    }

    fn route(&mut self, action: Action) -> Vec<Effect> {
        let (jobs, status) = (&mut self.jobs, &mut self.status);
        match action {
            Action::Quit => self.quit = true,
            Action::ToggleTheme => {
                self.theme.light = !self.theme.light;
                status.info(if self.theme.light {
                    "light theme (tui.theme = \"light\" keeps it)"
                } else {
                    "dark theme"
                });
            }
            Action::ToggleMouse => {
                self.mouse = !self.mouse;
                status.info(if self.mouse {
                    "mouse on"
                } else {
                    "mouse off: the terminal selects text"
                });
                return vec![Effect::SetMouse(self.mouse)];
            }
            Action::Suspend => return vec![Effect::Suspend],
            Action::OpenPalette => {
                self.palette = Some(Palette::default());
                self.sql.mode = Mode::Normal;
            }
            Action::PaletteKey(key) => return self.palette_key(key),
            Action::ShowScreen(screen) => return self.show(screen),
            Action::ToggleHelp => {
                self.show_help = !self.show_help;
                self.help_scroll = 0;
            }
            Action::ScrollHelp(scroll) => self.scroll_help(scroll),
            // Esc closes the row detail first, then the help, then goes to the SQL screen.
            Action::Escape if self.show_help && !self.sql.row_detail => self.show_help = false,
            Action::Escape if self.screen == Screen::Stream && self.stream.browser.is_some() => {
                return self.stream.update(action, jobs, status);
            }
            // The topic browser's commands bring its screen to the front.
            Action::Browse(_) if self.screen != Screen::Stream => {
                let shown = self.show(Screen::Stream);
                return [shown, self.route(action)].concat();
            }
            Action::Tick => {
                self.ticks += 1;
                // SQL tabs refresh themselves behind any screen.
                return [self.sql.tick(std::time::Instant::now()), self.screen_tick()].concat();
            }
            Action::Notice(text) => status.info(text),
            Action::JobProgress(id, progress) => jobs.progress(id, progress),
            Action::JobFinished(id, result) => return self.job_finished(id, result),
            Action::LoadSample => {
                if self.ingest.is_none() {
                    status.info("loading the bundled sample…");
                    return vec![Effect::LoadSample];
                }
            }
            Action::IngestProgress(p) => self.ingest = Some(p),
            Action::Opened(_) | Action::Imported(_) => return self.opened(action),
            Action::IngestFinished(result) => {
                self.ingest = None;
                match result {
                    Ok(s) => status.info(super::status::ingest_message(&s)),
                    Err(e) => status.error(format!("loading failed: {e}")),
                }
                return vec![Effect::LoadCatalog];
            }
            Action::MovePage(pages) => {
                return self.route(Action::Move(pages * self.sql.grid_height().max(1) as i64));
            }
            Action::MoveToStart => return self.route(Action::Move(i64::MIN / 2)),
            Action::MoveToEnd => return self.route(Action::Move(i64::MAX / 2)),
            Action::Move(_) => match self.screen {
                Screen::Dashboard => return self.dashboard.update(action, status),
                Screen::Ml => return self.ml.update(action, jobs, status),
                Screen::Stream => return self.stream.update(action, jobs, status),
                Screen::Models => return self.models.update(action, jobs, status),
                Screen::Jobs => return self.jobs_screen.update(action, jobs),
                Screen::Alerts => return self.alerts.update(action, jobs, status),
                _ => return self.sql.update(action, status),
            },
            Action::DrillDown => return self.drill_down(),
            Action::Click(x, y) => return self.click(x, y),
            Action::Drag(x, y) => self.drag(x, y),
            // Pasted text goes to the SQL editor only while it is in front, uncovered.
            Action::Paste(_) if self.screen != Screen::Sql || self.palette.is_some() => {}
            // These bring the SQL screen to the front, from wherever they come (the
            // palette runs editor commands from any screen).
            Action::OpenPanelQuery(sql) => {
                self.screen = Screen::Sql;
                let effects = self.sql.update(Action::OpenSqlTab(sql), status);
                // PREPARE, then EXECUTE: the panel's rows are the last result.
                self.sql.update(Action::SwitchResult(-1), status);
                return effects;
            }
            Action::NewSqlTab | Action::OpenSqlTab(_) | Action::EditorText(_) | Action::Edit(_) => {
                self.screen = Screen::Sql;
                return self.sql.update(action, status);
            }
            Action::DashboardBound { .. }
            | Action::PanelLoaded { .. }
            | Action::DashboardFailed(_)
            | Action::DashboardPeriod
            | Action::DashboardCountry
            | Action::OpenDashboards
            | Action::ChooseVariable
            | Action::ReloadDashboard
            | Action::DashboardMenuKey(_) => {
                // Answers arriving behind another screen leave its status line alone.
                let mut behind = Status::default();
                let status = if self.screen == Screen::Dashboard {
                    status
                } else {
                    &mut behind
                };
                return self.dashboard.update(action, status);
            }
            Action::QualityLoaded(_) => self.quality.update(action),
            Action::AlertsLoaded(_)
            | Action::CheckAlerts
            | Action::SilenceAlert(_)
            | Action::UnsilenceAlert => return self.alerts.update(action, jobs, status),
            Action::RecentRunsLoaded(_) | Action::CancelJob => {
                return self.jobs_screen.update(action, jobs);
            }
            Action::MlLoaded(_)
            | Action::RunMl(_)
            | Action::StartLookup
            | Action::LookupKey(_)
            | Action::LookupAnswered(_) => return self.ml.update(action, jobs, status),
            Action::ToggleTail
            | Action::TailStatus(_)
            | Action::StreamLoaded(_)
            | Action::Browse(_)
            | Action::BrowseKey(_)
            | Action::Browsed(_) => {
                return self.stream.update(action, jobs, status);
            }
            Action::ModelsLoaded(_) | Action::BuildModels(_) => {
                return self.models.update(action, jobs, status);
            }
            Action::Escape
            | Action::SortResults
            | Action::SortColumn(_)
            | Action::FindInResults
            | Action::FindMatch(_)
            | Action::FilterCell(_)
            | Action::FilterExpression
            | Action::UndoView
            | Action::ProfileColumn
            | Action::FreezeColumns
            | Action::FitColumns(_)
            | Action::GridPromptKey(_)
            | Action::GridJobDone(..)
            | Action::ToggleRowDetail
            | Action::CopyRow
            | Action::CopyCell
            | Action::ExportResult(_)
            | Action::ResultExported(_)
            | Action::History(_)
            | Action::ExternalEditor
            | Action::FocusNext
            | Action::FocusPrev
            | Action::EnterInsert
            | Action::EditorKey(_)
            | Action::Paste(_)
            | Action::PromptKey(_)
            | Action::RunQuery
            | Action::RunStatement
            | Action::SwitchResult(_)
            | Action::CloseSqlTab
            | Action::SetAutoRefresh(_)
            | Action::ToggleAutoRefresh
            | Action::SwitchSqlTab(_)
            | Action::RefreshCatalog
            | Action::ScrollColumns(_)
            | Action::ResizeColumn(_)
            | Action::OpenRelation
            | Action::OpenChart
            | Action::ChangeChart(_)
            | Action::SaveChart
            | Action::ChartLoaded(..)
            | Action::ChartSaved(_)
            | Action::Resize(..)
            | Action::CatalogLoaded(_)
            | Action::QueryFinished(..)
            | Action::PageLoaded { .. } => return self.sql.update(action, status),
        }
        vec![]
    }

    /// A tick for the screen in front: reloads of Stream and Alerts, dashboard polls.
    fn screen_tick(&mut self) -> Vec<Effect> {
        let (jobs, status) = (&mut self.jobs, &mut self.status);
        let reload = self.ticks.is_multiple_of(RELOAD_TICKS);
        match self.screen {
            Screen::Stream if reload => self.stream.update(Action::Tick, jobs, status),
            Screen::Alerts if reload => self.alerts.update(Action::Tick, jobs, status),
            Screen::Dashboard => {
                let poll = self.ticks.is_multiple_of(dashboard::POLL_TICKS);
                self.dashboard.tick(poll, status)
            }
            _ => vec![],
        }
    }

    /// Opens the rows behind the selected figure of the screen in front in a new SQL tab
    /// (the dashboard's panel query, once the worker has written it out).
    fn drill_down(&mut self) -> Vec<Effect> {
        let sql = match self.screen {
            Screen::Dashboard => {
                return match self.dashboard.drill_down() {
                    Some(effect) => vec![effect],
                    None => {
                        self.status.info("no panel to open yet");
                        vec![]
                    }
                };
            }
            Screen::Ml => self.ml.drill_down_sql(),
            Screen::Stream => self.stream.drill_down_sql(),
            Screen::Alerts => self.alerts.drill_down_sql(),
            _ => None,
        };
        match sql {
            Some(sql) => self.route(Action::OpenSqlTab(sql)),
            None => {
                self.status.info("nothing selected to drill into yet");
                vec![]
            }
        }
    }

    /// A left click at terminal cell (x, y): what is drawn there is selected; a second
    /// click on a selected dashboard figure drills down.
    fn click(&mut self, x: u16, y: u16) -> Vec<Effect> {
        match super::mouse::target_at(self, self.sql.size, x, y) {
            Some(super::mouse::Target::ScreenTab(screen)) => self.show(screen),
            Some(super::mouse::Target::Sql(target)) => {
                self.sql.click(target, &mut self.status);
                vec![]
            }
            Some(super::mouse::Target::Figure(i)) => {
                let selected = match self.screen {
                    Screen::Ml => &mut self.ml.selected,
                    _ => &mut self.dashboard.selected,
                };
                if std::mem::replace(selected, i) == i {
                    return self.drill_down();
                }
                vec![]
            }
            None => vec![],
        }
    }

    /// A drag in the SQL editor's text selects from where the button went down.
    fn drag(&mut self, x: u16, y: u16) {
        if let Some(super::mouse::Target::Sql(SqlTarget::Editor(line, column))) =
            super::mouse::target_at(self, self.sql.size, x, y)
        {
            self.sql.editor.drag_to(line, column);
        }
    }

    /// Brings `screen` to the front and asks for its data.
    fn show(&mut self, screen: Screen) -> Vec<Effect> {
        self.screen = screen;
        self.sql.mode = Mode::Normal;
        let load = match screen {
            Screen::Dashboard => return self.dashboard.request(&mut self.status),
            Screen::Quality => Effect::LoadQuality,
            Screen::Alerts => self.alerts.request(),
            Screen::Ml => Effect::LoadMl,
            Screen::Stream => Effect::LoadStream,
            Screen::Models => Effect::LoadModels,
            Screen::Jobs => Effect::LoadRecentRuns,
            Screen::Sql => return vec![],
        };
        vec![load]
    }

    /// A key typed into the open palette: a chosen command runs as if its key was pressed.
    fn palette_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(palette) = self.palette.as_mut() else {
            return vec![];
        };
        match palette.key(key, &self.commands) {
            Typed::Open => {}
            Typed::Closed => self.palette = None,
            Typed::Run(action) => {
                self.palette = None;
                return self.update(action);
            }
            Typed::OpenPath(path) => {
                self.palette = None;
                return self.palette_open(path);
            }
            Typed::Import(name) => {
                self.palette = None;
                return self.palette_import(name);
            }
            Typed::Load(path) => {
                self.palette = None;
                if self.ingest.is_some() {
                    self.status.error("a load is already running");
                } else if !path.is_empty() {
                    self.status.info(format!("loading {path}…"));
                    return vec![Effect::LoadFiles(path)];
                }
            }
        }
        vec![]
    }

    /// A job ended: the screen in front reloads what the job may have changed.
    fn job_finished(&mut self, id: u64, result: Reported<String>) -> Vec<Effect> {
        self.jobs.finish(id, result.clone(), &mut self.status);
        let mut effects = match self.screen {
            Screen::Models => vec![Effect::LoadModels],
            Screen::Jobs => vec![Effect::LoadRecentRuns],
            Screen::Ml => vec![Effect::LoadMl],
            _ => vec![],
        };
        let finished = Action::JobFinished(id, result);
        effects.extend(
            self.stream
                .update(finished, &mut self.jobs, &mut self.status),
        );
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::focus::Pane;

    #[test]
    fn screens_load_their_data_when_shown() {
        let mut app = App::new("w.duckdb".into(), 100);
        app.update(Action::EnterInsert);
        assert_eq!(
            app.update(Action::ShowScreen(Screen::Models)),
            vec![Effect::LoadModels]
        );
        assert_eq!((app.screen, app.sql.mode), (Screen::Models, Mode::Normal));
        assert_eq!(
            app.update(Action::ShowScreen(Screen::Jobs)),
            vec![Effect::LoadRecentRuns]
        );
        assert!(app.update(Action::ShowScreen(Screen::Sql)).is_empty());
        // New tabs and text from the external editor bring the SQL screen back.
        app.update(Action::ShowScreen(Screen::Quality));
        app.update(Action::EditorText("SELECT 1".into()));
        assert_eq!((app.screen, app.sql.focus), (Screen::Sql, Pane::Editor));
    }

    #[test]
    fn moves_go_to_the_list_of_the_screen_in_front() {
        let mut app = App::new("w.duckdb".into(), 100);
        app.update(Action::BuildModels(crate::tui::action::BuildScope::All));
        app.update(Action::RunMl(crate::ml::MlModel::Anomalies));
        app.update(Action::ShowScreen(Screen::Jobs));
        app.update(Action::MoveToEnd);
        assert_eq!(app.jobs.selected, 1);
        app.update(Action::MovePage(-1));
        assert_eq!(app.jobs.selected, 0);
        assert_eq!(app.update(Action::CancelJob), vec![Effect::CancelJob(2)]);
        // A job's end reloads what the screen in front shows.
        assert_eq!(
            app.update(Action::JobFinished(2, Err("cancelled".into()))),
            vec![Effect::LoadRecentRuns]
        );
        assert_eq!(app.status.text, "job ml anomalies failed");
    }

    #[test]
    fn esc_closes_the_help_and_ticks_follow_the_tail() {
        let mut app = App::new("w.duckdb".into(), 100);
        app.update(Action::ToggleHelp);
        app.sql.running = Some(crate::tui::screens::sql::RunningQuery {
            id: 7,
            started: std::time::Instant::now(),
        });
        assert!(app.update(Action::Escape).is_empty());
        assert!(
            !app.show_help,
            "the help closes before the query is cancelled"
        );
        assert_eq!(app.update(Action::Escape), vec![Effect::InterruptQuery(7)]);
        app.update(Action::ShowScreen(Screen::Stream));
        app.update(Action::ToggleTail);
        let reloads = (0..40)
            .filter(|_| app.update(Action::Tick) == vec![Effect::LoadStream])
            .count();
        assert_eq!(reloads, 2, "every two seconds");
    }

    #[test]
    fn the_palette_runs_commands_and_loads_files() {
        use ratatui::crossterm::event::{KeyCode, KeyModifiers};
        let mut app = App::new("w.duckdb".into(), 100);
        let key = |code| Action::PaletteKey(KeyEvent::new(code, KeyModifiers::NONE));
        app.update(Action::OpenPalette);
        for c in "load data/".chars() {
            app.update(key(KeyCode::Char(c)));
        }
        assert_eq!(
            app.update(key(KeyCode::Enter)),
            vec![Effect::LoadFiles("data/".into())]
        );
        assert!(app.palette.is_none());
        app.update(Action::IngestProgress(Progress::new(
            "ingest",
            1,
            None,
            crate::jobs::Unit::Rows,
        )));
        app.update(Action::OpenPalette);
        for c in "load more/".chars() {
            app.update(key(KeyCode::Char(c)));
        }
        assert!(app.update(key(KeyCode::Enter)).is_empty());
        assert_eq!(app.status.text, "a load is already running");
        assert!(
            app.update(Action::LoadSample).is_empty(),
            "one load at a time"
        );
        app.update(Action::OpenPalette);
        app.update(key(KeyCode::Esc));
        assert!(app.palette.is_none());
    }
}
