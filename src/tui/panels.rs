//! The dashboard's background work: binding its variables and running each panel, every
//! run on a connection of its own (a clone of the warehouse's) in a thread of its own, so
//! a slow or failing panel never holds up another, the database worker or a frame.
//!
//! What a job answers is [`answer`]'s: the event loop runs it in a thread, the tests
//! call it in line. Each answer carries the generation of the dashboard it was asked
//! for; the screen drops the answers of an older generation (a variable changed, the
//! file was reloaded), and a newer run of a panel interrupts the older one still going.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use duckdb::{Connection, InterruptHandle};
use tokio::sync::mpsc::UnboundedSender;

use super::action::Action;
use super::failure::Failure;
pub use crate::dashboards::BoundVariables;
use crate::dashboards::{Bindings, Dashboard, Panel, Selection, evaluate_panel, run};

/// One piece of the dashboard's work.
#[derive(Debug, Clone, PartialEq)]
pub enum DashboardJob {
    /// Resolve the variables of generation `generation` and list each one's choices.
    Bind {
        generation: u64,
        /// The dashboard file's text (what a server is sent).
        source: Arc<str>,
        dashboard: Box<Dashboard>,
        selection: Selection,
    },
    /// Run panel `index` of generation `generation`.
    Panel {
        generation: u64,
        /// The dashboard file's text (what a server is sent).
        source: Arc<str>,
        index: usize,
        panel: Box<Panel>,
        bindings: Box<Bindings>,
    },
    /// The SQL a tab runs to show a panel's rows (answered by opening that tab).
    TabSql {
        panel: Box<Panel>,
        bindings: Box<Bindings>,
    },
}

/// Does `job` on `conn` and says what came of it.
pub fn answer(conn: &Connection, job: DashboardJob) -> Action {
    match job {
        DashboardJob::Bind {
            generation,
            dashboard,
            selection,
            ..
        } => Action::DashboardBound {
            generation,
            bound: Box::new(
                crate::dashboards::bind(conn, &dashboard, &selection).map_err(Failure::of),
            ),
        },
        DashboardJob::Panel {
            generation,
            index,
            panel,
            bindings,
            ..
        } => Action::PanelLoaded {
            generation,
            index,
            figure: Box::new(evaluate_panel(conn, &panel, &bindings).map_err(Failure::of)),
        },
        DashboardJob::TabSql { panel, bindings } => match run::tab_sql(conn, &panel, &bindings) {
            Ok(sql) => Action::OpenPanelQuery(sql),
            Err(e) => Action::DashboardFailed(Failure::of(e)),
        },
    }
}

/// The panel runs going on: by panel index, the generation and how to interrupt it.
type Running = Arc<Mutex<HashMap<usize, (u64, Arc<InterruptHandle>)>>>;

/// Where panels run: on clones of the warehouse's connection, or in a server.
pub enum PanelSource {
    Local(Connection),
    /// A running `ecom serve` evaluates the dashboard (its guard checks every SQL).
    Remote(crate::remote::Blocking),
}

/// Runs dashboard jobs, each in its own thread on its own connection.
pub struct PanelRunner {
    base: PanelSource,
    events: UnboundedSender<Action>,
    running: Running,
    threads: Vec<JoinHandle<()>>,
}

impl PanelRunner {
    /// A runner whose connections are clones of `base` (or whose server is `base`);
    /// answers arrive on `events`.
    pub fn new(base: PanelSource, events: UnboundedSender<Action>) -> Self {
        Self {
            base,
            events,
            running: Running::default(),
            threads: Vec::new(),
        }
    }

    /// Starts `job` in a thread; a run of a panel supersedes (interrupts) an older
    /// generation's run of the same panel.
    pub fn start(&mut self, job: DashboardJob) -> anyhow::Result<()> {
        self.threads.retain(|t| !t.is_finished());
        let (events, running) = (self.events.clone(), Arc::clone(&self.running));
        let conn = match &self.base {
            PanelSource::Local(base) => base.try_clone()?,
            PanelSource::Remote(remote) => {
                // A superseded run is not interrupted: its answer's generation is old.
                let remote = remote.clone();
                let thread = std::thread::Builder::new()
                    .name("dashboard-panel".into())
                    .spawn(move || {
                        let _ = events.send(super::remote_panels::answer(&remote, job));
                    })?;
                self.threads.push(thread);
                return Ok(());
            }
        };
        let slot = match &job {
            DashboardJob::Panel {
                generation, index, ..
            } => {
                let handle = conn.interrupt_handle();
                let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((_, older)) = running.insert(*index, (*generation, handle)) {
                    older.interrupt();
                }
                Some((*index, *generation))
            }
            _ => None,
        };
        let thread = std::thread::Builder::new()
            .name("dashboard-panel".into())
            .spawn(move || {
                let action = answer(&conn, job);
                if let Some((index, generation)) = slot {
                    let mut running = running.lock().unwrap_or_else(|e| e.into_inner());
                    if running.get(&index).is_some_and(|r| r.0 == generation) {
                        running.remove(&index);
                    }
                }
                let _ = events.send(action);
            })?;
        self.threads.push(thread);
        Ok(())
    }

    /// Interrupts the runs going on and waits for their threads (their connections
    /// close before the warehouse checkpoints).
    pub fn stop(self) {
        for (_, handle) in self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
        {
            handle.interrupt();
        }
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}
