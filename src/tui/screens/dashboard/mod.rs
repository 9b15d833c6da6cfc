//! Screen 1, dashboards as code: any dashboard file (`docs/DASHBOARDS.md`) drawn from
//! its panels' [`Figure`]s, the shipped `overview` first. A picker (`d`) lists the
//! dashboards; the variables bar shows each variable's value and `p`, `f` and `v`
//! change them; Enter opens the selected panel's query in a SQL tab.
//!
//! Every panel runs as its own background job ([`crate::tui::panels`]); answers carry
//! the generation they were asked for, so a change of the variables or a reload of the
//! file drops what the older runs still send. The file is polled about once a second
//! and reloads when it changes; a broken one shows its error in place of the panels.

mod figures;
mod menu;
mod series;
mod view;

use std::time::{Instant, SystemTime};

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use crate::dashboards::bindings::{ALL, PERIOD_PRESETS};
use crate::dashboards::{Dashboard, DashboardFile, Figure, Places, Selection, VariableKind};
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::failure::{Failure, Reported};
use crate::tui::panels::{BoundVariables, DashboardJob};
use crate::tui::status::Status;
pub use menu::Menu;

/// Ticks (of 100 ms) between looks at the dashboard file's time on disk.
pub const POLL_TICKS: u64 = 10;

/// The dashboard shown, its variables and its panels' figures.
#[derive(Debug, Clone, Default)]
pub struct DashboardScreen {
    /// Where dashboards are found (`--dashboards DIR`, the config folder).
    pub places: Places,
    /// The dashboard file shown.
    pub file: Option<DashboardFile>,
    /// The file's time when it was read: a later one reloads it.
    modified: Option<SystemTime>,
    /// The file as parsed, or why it cannot be (its file, line and mistake).
    pub loaded: Option<Reported<Dashboard>>,
    /// The file's text as read: a remote workbench sends it to the server.
    pub source: std::sync::Arc<str>,
    /// The values the user picked (the others take their defaults).
    pub selection: Selection,
    /// The variables resolved against the warehouse, with their choices.
    pub bound: Option<Reported<BoundVariables>>,
    pub panels: Vec<PanelState>,
    /// Bumped by every reload and change of the variables; older answers are dropped.
    pub generation: u64,
    /// The selected panel: Enter opens its query.
    pub selected: usize,
    /// The picker or the variables' lists, while open.
    pub menu: Option<Menu>,
    /// The dashboards the picker lists, each with its title or why it cannot load.
    pub listed: Vec<Listed>,
}

/// A panel's latest figure (or error), and whether a run of it is going on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PanelState {
    pub figure: Option<Reported<Figure>>,
    pub running: bool,
    finished: Option<Instant>,
}

/// A dashboard in the picker.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub file: DashboardFile,
    /// Its title, or the error of a broken file.
    pub title: Reported<String>,
}

impl DashboardScreen {
    /// Brings the dashboard up to date when the screen comes to the front: the shipped
    /// `overview` the first time, else the one shown, read again and run again.
    pub fn request(&mut self, status: &mut Status) -> Vec<Effect> {
        let file = match &self.file {
            Some(file) => Ok(file.clone()),
            None => self
                .places
                .find(crate::dashboards::catalog::TEMPLATE)
                .or_else(|e| self.places.list()?.into_iter().next().ok_or(e)),
        };
        match file {
            Ok(file) => self.open(file, status),
            Err(e) => {
                self.loaded = Some(Err(Failure::of(e)));
                vec![]
            }
        }
    }

    /// Reads `file` and runs its panels (keeping the variables' values when it is the
    /// one already shown).
    fn open(&mut self, file: DashboardFile, status: &mut Status) -> Vec<Effect> {
        if self.file.as_ref() != Some(&file) {
            self.selection = Selection::default();
            self.selected = 0;
            self.bound = None;
        }
        self.modified = file.modified();
        self.loaded = Some(match file.text() {
            Ok(text) => {
                let parsed = crate::dashboards::spec::parse(&text, &file.origin_text());
                self.source = text.into();
                parsed.map_err(Failure::of)
            }
            Err(e) => Err(Failure::of(e)),
        });
        self.file = Some(file);
        self.generation += 1;
        let panels = self.dashboard().map_or(0, |d| d.panels.len());
        self.panels = vec![PanelState::default(); panels];
        self.selected = self.selected.min(panels.saturating_sub(1));
        status.info(self.describe());
        self.bind()
    }

    /// Asks for the variables' values, then (on their answer) every panel.
    fn bind(&self) -> Vec<Effect> {
        let Some(dashboard) = self.dashboard() else {
            return vec![];
        };
        vec![Effect::Dashboard(DashboardJob::Bind {
            generation: self.generation,
            source: std::sync::Arc::clone(&self.source),
            dashboard: Box::new(dashboard.clone()),
            selection: self.selection.clone(),
        })]
    }

    /// The dashboard as parsed, when its file is fine.
    pub fn dashboard(&self) -> Option<&Dashboard> {
        self.loaded.as_ref()?.as_ref().ok()
    }

    /// The resolved variables, once the warehouse answered.
    pub fn variables(&self) -> Option<&BoundVariables> {
        self.bound.as_ref()?.as_ref().ok()
    }

    /// The status line's sentence: which dashboard, and how its panels are doing.
    pub fn describe(&self) -> String {
        let Some(file) = &self.file else {
            return "no dashboard".into();
        };
        let name = format!("dashboard {} ({})", file.name, file.origin.label());
        match &self.loaded {
            Some(Err(_)) => format!("{name}: the file has a mistake, fix it and save"),
            _ if matches!(self.bound, Some(Err(_))) => format!("{name}: its variables failed"),
            _ => {
                let count =
                    |f: fn(&PanelState) -> bool| self.panels.iter().filter(|p| f(p)).count();
                let loading = count(|p| p.running || p.figure.is_none());
                let failed = count(|p| matches!(p.figure, Some(Err(_))));
                let mut text = format!("{name}: {} panels", self.panels.len());
                if loading > 0 {
                    text += &format!(", {loading} loading…");
                }
                if failed > 0 {
                    text += &format!(", {failed} failed");
                }
                text
            }
        }
    }

    /// The job opening the selected panel's query in a new SQL tab.
    pub fn drill_down(&self) -> Option<Effect> {
        let panel = self.dashboard()?.panels.get(self.selected)?;
        Some(Effect::Dashboard(DashboardJob::TabSql {
            panel: Box::new(panel.clone()),
            bindings: Box::new(self.variables()?.bindings.clone()),
        }))
    }

    pub fn update(&mut self, action: Action, status: &mut Status) -> Vec<Effect> {
        match action {
            Action::Move(delta) => {
                let last = self.panels.len().saturating_sub(1) as i64;
                self.selected =
                    (self.selected as i64).saturating_add(delta).clamp(0, last) as usize;
            }
            Action::DashboardPeriod => return self.next_value(VariableKind::Period, status),
            Action::DashboardCountry => return self.next_value(VariableKind::Text, status),
            Action::OpenDashboards => {
                self.list_dashboards();
                let shown = self
                    .listed
                    .iter()
                    .position(|l| Some(&l.file) == self.file.as_ref());
                self.menu = Some(Menu::Dashboards {
                    selected: shown.unwrap_or(0),
                });
            }
            Action::ChooseVariable => match self.variables() {
                Some(_) if self.dashboard().is_some_and(|d| !d.variables.is_empty()) => {
                    self.menu = Some(Menu::Variables { selected: 0 });
                }
                _ => status.info("this dashboard has no variables to choose (yet)"),
            },
            Action::ReloadDashboard => return self.request(status),
            Action::DashboardMenuKey(key) => return self.menu_key(key, status),
            Action::DashboardBound { generation, bound } if generation == self.generation => {
                self.bound = Some(*bound);
                return self.run_all(status);
            }
            Action::PanelLoaded {
                generation,
                index,
                figure,
            } if generation == self.generation => {
                if let Some(panel) = self.panels.get_mut(index) {
                    *panel = PanelState {
                        figure: Some(*figure),
                        running: false,
                        finished: Some(Instant::now()),
                    };
                }
                status.info(self.describe());
            }
            Action::DashboardFailed(failure) => status.error(failure.0),
            _ => {}
        }
        vec![]
    }

    /// Runs every panel with the bound variables.
    fn run_all(&mut self, status: &mut Status) -> Vec<Effect> {
        let indexes: Vec<usize> = (0..self.panels.len()).collect();
        let effects = self.run(&indexes);
        status.info(self.describe());
        effects
    }

    /// Runs the panels at `indexes` (marking them running).
    fn run(&mut self, indexes: &[usize]) -> Vec<Effect> {
        let (Some(dashboard), Some(bound)) = (self.dashboard(), self.variables()) else {
            return vec![];
        };
        let effects: Vec<Effect> = indexes
            .iter()
            .filter_map(|&index| {
                Some(Effect::Dashboard(DashboardJob::Panel {
                    generation: self.generation,
                    source: std::sync::Arc::clone(&self.source),
                    index,
                    panel: Box::new(dashboard.panels.get(index)?.clone()),
                    bindings: Box::new(bound.bindings.clone()),
                }))
            })
            .collect();
        for &index in indexes {
            if let Some(panel) = self.panels.get_mut(index) {
                panel.running = true;
            }
        }
        effects
    }

    /// Every tick: re-run the panels whose `refresh` time has come; with `poll_file`
    /// (every [`POLL_TICKS`]), reload the file when it changed on disk, and the
    /// picker's list.
    pub fn tick(&mut self, poll_file: bool, status: &mut Status) -> Vec<Effect> {
        if poll_file {
            if matches!(self.menu, Some(Menu::Dashboards { .. })) {
                self.list_dashboards();
            }
            if let Some(file) = self.file.clone()
                && file.modified() != self.modified
            {
                let effects = self.open(file, status);
                status.info(format!("{} reloaded: it changed on disk", self.describe()));
                return effects;
            }
        }
        let Some(dashboard) = self.dashboard() else {
            return vec![];
        };
        let due: Vec<usize> = dashboard
            .panels
            .iter()
            .zip(&self.panels)
            .enumerate()
            .filter(|(_, (panel, state))| {
                let (Some(every), Some(finished)) = (panel.refresh, state.finished) else {
                    return false;
                };
                !state.running && finished.elapsed().as_secs() >= every
            })
            .map(|(i, _)| i)
            .collect();
        self.run(&due)
    }

    /// Lists the dashboards for the picker, reading each one's title.
    fn list_dashboards(&mut self) {
        self.listed = match self.places.list() {
            Ok(files) => files
                .into_iter()
                .map(|file| Listed {
                    title: file.load().map(|d| d.title).map_err(Failure::of),
                    file,
                })
                .collect(),
            // Only a missing `--dashboards DIR` fails; the picker then lists nothing.
            Err(_) => Vec::new(),
        };
    }

    /// `p` and `f`: the next value of the period variable, or of the first text
    /// variable with choices (`all`, then each country).
    fn next_value(&mut self, kind: VariableKind, status: &mut Status) -> Vec<Effect> {
        let (Some(dashboard), Some(bound)) = (self.dashboard(), self.variables()) else {
            return vec![];
        };
        let found = dashboard
            .variables
            .iter()
            .zip(&bound.choices)
            .enumerate()
            .find(|(_, (v, choices))| v.kind == kind && !choices.is_empty());
        let Some((index, (variable, choices))) = found else {
            status.info(match kind {
                VariableKind::Period => "this dashboard has no period variable",
                _ => "this dashboard has no text variable with choices",
            });
            return vec![];
        };
        let current = self.current_value(index);
        let choices = if kind == VariableKind::Period {
            PERIOD_PRESETS.iter().map(|p| p.to_string()).collect()
        } else {
            choices.clone()
        };
        let next = match choices.iter().position(|c| *c == current) {
            Some(i) => choices[(i + 1) % choices.len()].clone(),
            None => choices[0].clone(),
        };
        let name = variable.name.clone();
        self.set_variable(&name, next)
    }

    /// The value variable `index` has now, as text.
    pub fn current_value(&self, index: usize) -> String {
        let Some(variable) = self.dashboard().and_then(|d| d.variables.get(index)) else {
            return String::new();
        };
        self.selection
            .get(&variable.name)
            .map(str::to_string)
            .or_else(|| variable.default.clone())
            .or_else(|| {
                self.variables()
                    .and_then(|b| b.choices.get(index)?.first().cloned())
            })
            .unwrap_or_else(|| ALL.into())
    }

    /// Sets a variable and runs the dashboard again with it.
    fn set_variable(&mut self, name: &str, value: String) -> Vec<Effect> {
        self.selection.set(name, value);
        self.generation += 1;
        for panel in &mut self.panels {
            panel.running = true;
        }
        self.bind()
    }

    /// A key typed while the picker or a variable's list is open.
    fn menu_key(&mut self, key: KeyEvent, status: &mut Status) -> Vec<Effect> {
        let Some(menu) = self.menu.take() else {
            return vec![];
        };
        let choices = self.menu_choices(&menu).len();
        match menu.key(key, choices) {
            menu::Outcome::Open(menu) => self.menu = Some(menu),
            menu::Outcome::Closed => {}
            menu::Outcome::Picked(menu, i) => match menu {
                Menu::Dashboards { .. } => {
                    if let Some(listed) = self.listed.get(i) {
                        return self.open(listed.file.clone(), status);
                    }
                }
                Menu::Variables { .. } => {
                    let current = self.current_value(i);
                    let selected = self
                        .variables()
                        .and_then(|b| b.choices.get(i)?.iter().position(|c| *c == current));
                    self.menu = Some(Menu::Values {
                        variable: i,
                        selected: selected.unwrap_or(0),
                    });
                }
                Menu::Values { variable, .. } => {
                    let value = self.menu_choices(&menu).get(i).cloned();
                    let name = self
                        .dashboard()
                        .and_then(|d| Some(d.variables.get(variable)?.name.clone()));
                    if let (Some(name), Some(value)) = (name, value) {
                        return self.set_variable(&name, value);
                    }
                }
            },
        }
        vec![]
    }

    /// What `menu` lists, as text.
    pub fn menu_choices(&self, menu: &Menu) -> Vec<String> {
        match menu {
            Menu::Dashboards { .. } => self
                .listed
                .iter()
                .map(|l| {
                    let title = match &l.title {
                        Ok(title) => title.clone(),
                        Err(_) => "✗ broken: open it to see the mistake".into(),
                    };
                    format!("{:<16} {:<13} {title}", l.file.name, l.file.origin.label())
                })
                .collect(),
            Menu::Variables { .. } => self
                .dashboard()
                .map(|d| {
                    d.variables
                        .iter()
                        .enumerate()
                        .map(|(i, v)| format!("{:<16} {}", v.label, self.current_value(i)))
                        .collect()
                })
                .unwrap_or_default(),
            Menu::Values { variable, .. } => {
                let period = self
                    .dashboard()
                    .and_then(|d| d.variables.get(*variable))
                    .is_some_and(|v| v.kind == VariableKind::Period);
                let listed = self
                    .variables()
                    .and_then(|b| b.choices.get(*variable).cloned())
                    .unwrap_or_default();
                if period && listed.is_empty() {
                    PERIOD_PRESETS.iter().map(|p| p.to_string()).collect()
                } else {
                    listed
                }
            }
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        view::draw(frame, self, area);
        if let Some(menu) = &self.menu {
            menu::draw(frame, self, menu);
        }
    }

    /// The panel drawn at terminal cell (x, y) of a screen body `area`.
    pub fn panel_at(&self, area: Rect, x: u16, y: u16) -> Option<usize> {
        view::panel_at(self, area, x, y)
    }
}
