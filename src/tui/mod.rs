//! The workbench: one typed event loop. Terminal input, ticks and reports from background
//! work all become [`Action`]s on one channel; `App::update` changes the state and returns
//! effects; `ui::draw` renders the state. The terminal is restored on every exit,
//! including a panic (ratatui's `init` installs the hook).

pub mod action;
mod dashboard;
pub mod editor;
pub mod grid;
pub mod highlight;
mod jobs_screen;
pub mod keymap;
mod ml_screen;
pub mod model_tree;
pub mod models_screen;
mod quality;
pub mod state;
mod stream_screen;
pub mod tabs;
pub mod ui;
mod worker;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{Event, EventStream, KeyEventKind};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::ingest::{IngestOptions, ingest};
use crate::jobs::{self, JobEvent};
use crate::warehouse::Warehouse;
use action::Action;
use state::{App, Effect};
use worker::{Request, Worker};

/// How often the spinner and elapsed times refresh.
const TICK: Duration = Duration::from_millis(100);

/// Options of a workbench session.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    pub page_rows: u64,
    /// `[tui.keys]` overrides from the config file.
    pub keys: std::collections::BTreeMap<String, Vec<String>>,
    /// Where to write frame times (`--frame-stats`), for the benchmark.
    pub frame_stats: Option<std::path::PathBuf>,
    /// When the process started, so the first frame's latency can be measured.
    pub started: std::time::Instant,
    /// The tail the Stream screen starts (`[tui.stream]`).
    pub tail: crate::stream::tail::TailOptions,
    /// Colours for a light terminal background (`tui.theme = "light"`).
    pub light: bool,
}

/// Frame timings: when each frame was drawn and how long drawing took.
#[derive(Default)]
struct FrameStats(Vec<(f64, u128, state::Screen)>);

impl FrameStats {
    fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut text = String::from("frame,at_ms,draw_us,screen\n");
        for (i, (at, draw, screen)) in self.0.iter().enumerate() {
            text += &format!("{i},{at:.1},{draw},{screen:?}\n");
        }
        std::fs::write(path, text)
    }
}

/// Threads for DuckDB and model builds in the workbench: one core fewer than the
/// machine has (at least one), so drawing a frame never waits behind background work.
pub fn background_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

/// Runs the workbench on `warehouse` until the user quits.
pub fn run(warehouse: Warehouse, options: TuiOptions) -> anyhow::Result<()> {
    // Global to the database instance: every connection and job of the workbench.
    warehouse
        .conn()
        .execute_batch(&format!("SET threads = {}", background_threads()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut terminal = ratatui::init();
    let result = set_mouse(true)
        .and_then(|()| runtime.block_on(event_loop(&mut terminal, &warehouse, &options)));
    let _ = set_mouse(false);
    ratatui::restore();
    result
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    warehouse: &Warehouse,
    options: &TuiOptions,
) -> anyhow::Result<()> {
    let (tx, mut rx) = unbounded_channel::<Action>();
    let project = crate::models::bundled::unpacked(warehouse.path())?;
    let worker = Worker::start(warehouse.connect()?, project.clone(), tx.clone());
    let mut jobs: HashMap<u64, jobs::JobHandle> = HashMap::new();
    let mut stats = FrameStats::default();
    let bindings =
        keymap::bindings_with(&options.keys).map_err(|e| anyhow::anyhow!("the config's {e}"))?;
    let mut app = App::new(warehouse.path().display().to_string(), options.page_rows);
    app.stream.target = format!(
        "{} on {} (group {})",
        options.tail.topic, options.tail.brokers, options.tail.group
    );
    app.no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    app.light = options.light;
    app.commands = keymap::palette_items(&bindings);
    app.history = load_history(&crate::paths::history_file());
    let size = terminal.size()?;
    app.update(Action::Resize(size.width, size.height));
    worker.send(Request::Catalog);
    let mut input = EventStream::new();
    let mut ticks = tokio::time::interval(TICK);
    while !app.quit {
        let drawing = std::time::Instant::now();
        terminal.draw(|frame| ui::draw(frame, &app, &bindings))?;
        if options.frame_stats.is_some() {
            let at = options.started.elapsed().as_secs_f64() * 1000.0;
            stats
                .0
                .push((at, drawing.elapsed().as_micros(), app.screen));
        }
        let action = tokio::select! {
            event = input.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    keymap::action_for(&app, &bindings, key)
                }
                Some(Ok(Event::Resize(w, h))) => Some(Action::Resize(w, h)),
                Some(Ok(Event::Mouse(mouse))) => keymap::mouse_action(&app, mouse),
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e).context("reading terminal input"),
                None => Some(Action::Quit),
            },
            Some(action) = rx.recv() => Some(action),
            _ = ticks.tick() => Some(Action::Tick),
        };
        let Some(action) = action else { continue };
        for effect in app.update(action) {
            match effect {
                Effect::SetMouse(on) => set_mouse(on)?,
                Effect::Suspend => suspend(terminal, app.mouse)?,
                Effect::EditExternally(sql) => {
                    if let Some(text) = edit_externally(terminal, &sql, app.mouse)? {
                        app.update(Action::EditorText(text));
                    }
                }
                Effect::StartTail { job } => {
                    jobs.insert(job, start_tail(job, warehouse, &options.tail, &tx)?);
                }
                other => perform(other, &worker, warehouse, &project, &mut jobs, &tx)?,
            }
        }
    }
    if let Some(path) = &options.frame_stats {
        stats.write(path).context("writing --frame-stats")?;
    }
    let running = jobs.values().filter(|job| !job.is_finished()).count();
    if running > 0 {
        app.show_closing(running);
        // A failed draw must not skip the clean-up below.
        let _ = terminal.draw(|frame| ui::draw(frame, &app, &bindings));
    }
    close(warehouse, worker, jobs);
    Ok(())
}

/// Stops the background work and checkpoints the warehouse, so the next start does not
/// replay a long write-ahead log (a tail's or a build's commits): DuckDB only
/// checkpoints by itself when no other transaction runs, which is rare while the
/// workbench's jobs write.
fn close(warehouse: &Warehouse, worker: Worker, jobs: HashMap<u64, jobs::JobHandle>) {
    for job in jobs.values() {
        job.cancel.cancel();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for (_, job) in jobs {
        let name = job.name.clone();
        if !job.wait_until(deadline) {
            tracing::warn!(job = %name, "still running at exit");
        }
    }
    worker.stop();
    if let Err(e) = warehouse.conn().execute_batch("CHECKPOINT") {
        tracing::warn!(error = %e, "checkpointing the warehouse at exit");
    }
}

/// The most recent queries of the history file (at most 500), oldest first.
fn load_history(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let queries: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    queries[queries.len().saturating_sub(500)..].to_vec()
}

fn append_history(path: &Path, sql: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(file, "{}", serde_json::to_string(sql).unwrap_or_default())
}

/// Mouse capture on or off (on by default; `m` toggles it, e.g. to select text).
fn set_mouse(on: bool) -> anyhow::Result<()> {
    use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
    let mut out = std::io::stdout();
    if on {
        ratatui::crossterm::execute!(out, EnableMouseCapture)?;
    } else {
        ratatui::crossterm::execute!(out, DisableMouseCapture)?;
    }
    Ok(())
}

/// Ctrl+Z: give the terminal back, stop like any job-controlled program, and take the
/// terminal again when resumed (`fg`).
fn suspend(terminal: &mut DefaultTerminal, mouse: bool) -> anyhow::Result<()> {
    released(terminal, mouse, || {
        let status = std::process::Command::new("kill")
            .args(["-TSTP", &std::process::id().to_string()])
            .status();
        if let Err(e) = status {
            tracing::warn!(error = %e, "could not suspend");
        }
    })
}

/// Runs `f` with the terminal given back to the shell (normal mode, no mouse capture),
/// then takes it again and redraws from scratch.
fn released<T>(
    terminal: &mut DefaultTerminal,
    mouse: bool,
    f: impl FnOnce() -> T,
) -> anyhow::Result<T> {
    set_mouse(false)?;
    ratatui::restore();
    let value = f();
    *terminal = ratatui::init();
    terminal.clear()?;
    set_mouse(mouse)?;
    Ok(value)
}

/// Ctrl+E: the SQL in `$VISUAL`/`$EDITOR` (vi by default), with the terminal handed over
/// and taken back. `None` when the editor failed or left the text unchanged.
fn edit_externally(
    terminal: &mut DefaultTerminal,
    sql: &str,
    mouse: bool,
) -> anyhow::Result<Option<String>> {
    let file = tempfile::Builder::new()
        .prefix("ecom-")
        .suffix(".sql")
        .tempfile()?;
    std::fs::write(file.path(), sql)?;
    let (_, mut command) = crate::paths::editor_command(file.path());
    let status = released(terminal, mouse, || command.status())?;
    let text = std::fs::read_to_string(file.path())?;
    Ok(match status {
        Ok(s) if s.success() && text != sql => Some(text),
        _ => None,
    })
}

/// Starts the Stream screen's tail as job `job`: its progress goes to the Jobs screen,
/// and each time it publishes its figures (twice a second) they reach the Stream screen.
fn start_tail(
    job: u64,
    warehouse: &Warehouse,
    options: &crate::stream::tail::TailOptions,
    tx: &UnboundedSender<Action>,
) -> anyhow::Result<jobs::JobHandle> {
    let conn = warehouse.connect()?;
    let mut options = options.clone();
    options.status = Default::default();
    let status_tx = tx.clone();
    Ok(jobs::spawn(
        "tail",
        move |progress, cancel| {
            let forward = |p: jobs::Progress| {
                progress.report(p);
                if let Ok(status) = options.status.lock() {
                    let _ = status_tx.send(Action::TailStatus(Box::new(status.clone())));
                }
            };
            let status = crate::stream::tail::tail(&conn, &options, &forward, cancel)?;
            Ok(crate::stream::tail::describe(&status))
        },
        job_events(tx.clone(), job),
    ))
}

/// Turns a background job's events into the actions of job `job`, for the event loop.
fn job_events(
    tx: UnboundedSender<Action>,
    job: u64,
) -> impl Fn(JobEvent<String>) + Send + Sync + 'static {
    move |event| {
        let _ = tx.send(match event {
            JobEvent::Progress(p) => Action::JobProgress(job, p),
            JobEvent::Finished(r) => Action::JobFinished(job, r.map_err(|e| format!("{e:#}"))),
        });
    }
}

fn perform(
    effect: Effect,
    worker: &Worker,
    warehouse: &Warehouse,
    project: &Path,
    jobs: &mut HashMap<u64, jobs::JobHandle>,
    tx: &UnboundedSender<Action>,
) -> anyhow::Result<()> {
    match effect {
        Effect::LoadModels => worker.send(Request::Models),
        Effect::SetMouse(_) | Effect::Suspend | Effect::EditExternally(_) => {}
        Effect::ExportResult { query_id, path } => worker.send(Request::Export { query_id, path }),
        Effect::Copy(text) => {
            use base64::Engine;
            use std::io::Write;
            let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
            let mut out = std::io::stdout();
            write!(out, "\x1b]52;c;{encoded}\x07")?;
            out.flush()?;
        }
        Effect::SaveHistory(sql) => {
            if let Err(e) = append_history(&crate::paths::history_file(), &sql) {
                tracing::warn!(error = %e, "query history not saved");
            }
        }
        Effect::CancelJob(id) => {
            if let Some(handle) = jobs.get(&id) {
                handle.cancel.cancel();
            }
        }
        Effect::StartModels { job, select } => {
            let conn = warehouse.connect()?;
            let project = project.to_path_buf();
            let handle = jobs::spawn(
                "models build",
                move |progress, cancel| {
                    let summary = crate::models::build_project(
                        &conn,
                        &project,
                        select,
                        background_threads(),
                        progress,
                        cancel,
                    )?;
                    if cancel.is_cancelled() {
                        let total = summary.results.len();
                        let skipped = summary.count(crate::models::NodeStatus::Skipped);
                        anyhow::bail!("cancelled after {} of {total} nodes", total - skipped);
                    }
                    let failed = summary.count(crate::models::NodeStatus::Error)
                        + summary.count(crate::models::NodeStatus::Fail);
                    if failed > 0 {
                        anyhow::bail!("{failed} of {} nodes failed", summary.results.len());
                    }
                    Ok(format!(
                        "{} nodes in {:.1} s",
                        summary.results.len(),
                        summary.elapsed_time
                    ))
                },
                job_events(tx.clone(), job),
            );
            jobs.insert(job, handle);
        }
        Effect::LoadCatalog => worker.send(Request::Catalog),
        Effect::LoadDashboard { preset, country } => {
            worker.send(Request::Dashboard { preset, country })
        }
        Effect::LoadQuality => worker.send(Request::Quality),
        Effect::LoadMl => worker.send(Request::Ml),
        Effect::LoadStream => worker.send(Request::Stream),
        Effect::Lookup(text) => worker.send(Request::Lookup(text)),
        Effect::StartTail { .. } => {}
        Effect::StartMl { job, model } => {
            let conn = warehouse.connect()?;
            let handle = jobs::spawn(
                &format!("ml {}", model.name()),
                move |progress, cancel| {
                    Ok(crate::ml::run_with_defaults(
                        &conn, model, progress, cancel,
                    )?)
                },
                job_events(tx.clone(), job),
            );
            jobs.insert(job, handle);
        }
        Effect::RunQuery { id, sql, slot } => worker.send(Request::Run { id, sql, slot }),
        Effect::DiscardResult { slot } => worker.send(Request::Discard { slot }),
        Effect::LoadRecentRuns => worker.send(Request::RecentRuns),
        Effect::FetchPage {
            query_id,
            start,
            limit,
        } => worker.send(Request::Page {
            query_id,
            start,
            limit,
        }),
        Effect::InterruptQuery(id) => worker.interrupt(id),
        Effect::LoadSample | Effect::LoadFiles(_) => {
            let conn = warehouse.connect()?;
            let tx = tx.clone();
            let (name, path) = match effect {
                Effect::LoadFiles(path) => (format!("load {path}"), Some(path)),
                _ => ("load sample".to_string(), None),
            };
            jobs::spawn(
                &name,
                move |progress, cancel| {
                    let sources = match path {
                        Some(path) => crate::ingest::expand(&[path])?,
                        None => vec![crate::sample::source()],
                    };
                    let summary =
                        ingest(&conn, sources, &IngestOptions::default(), progress, cancel)?;
                    Ok(summary)
                },
                move |event| {
                    let _ = tx.send(match event {
                        JobEvent::Progress(p) => Action::IngestProgress(p),
                        JobEvent::Finished(r) => {
                            Action::IngestFinished(r.map_err(|e| format!("{e:#}")))
                        }
                    });
                },
            );
        }
    }
    Ok(())
}
