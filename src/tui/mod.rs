//! The workbench: one typed event loop. Terminal input, ticks and reports from background
//! work all become [`Action`]s on one channel; `App::update` changes the state (routing
//! each action to its screen) and returns effects; `ui::draw` renders the state. The
//! terminal is restored on every exit, including a panic (ratatui's `init` installs the
//! hook).
//!
//! Dependencies point one way: `app` → `screens` → `widgets` / `theme`; the keymap
//! knows only actions and a [`keymap::KeyContext`]; `jobs` keeps the background jobs.

pub mod action;
pub mod app;
mod backend;
pub mod chart;
pub mod editor;
pub mod effect;
pub mod failure;
pub mod focus;
pub mod grid;
mod history;
pub mod jobs;
pub mod keymap;
pub mod layout;
pub mod mouse;
mod open_commands;
pub mod palette;
pub mod panels;
pub mod path_complete;
pub mod remote;
mod remote_panels;
pub mod screen;
pub mod screens;
pub mod status;
mod terminal;
pub mod theme;
pub mod topic_reader;
pub mod ui;
pub mod widgets;
mod worker;

pub use worker::ResultStore;

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{Event, EventStream, KeyEventKind};
use tokio::sync::mpsc::unbounded_channel;

use crate::warehouse::Warehouse;
use action::Action;
use app::App;
use backend::Backend;
use effect::Effect;
use screen::Screen;
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
    /// The alert rules screen 8 shows (`--alerts`, else the config folder's).
    pub alerts_file: std::path::PathBuf,
    /// Where screen 1 finds dashboards (the config folder's, `--dashboards DIR`).
    pub dashboards: crate::dashboards::Places,
    /// How the palette's `open PATH` opens files (the `--endpoint` of `ecom open`).
    pub open: crate::open::OpenOptions,
    /// What `ecom open PATH...` opened before the workbench started: shown first.
    pub opened: Option<crate::open::OpenReport>,
}

/// Frame timings: when each frame was drawn and how long drawing took.
#[derive(Default)]
struct FrameStats(Vec<(f64, u128, Screen)>);

impl FrameStats {
    fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut text = String::from("frame,at_ms,draw_us,screen\n");
        for (i, (at, draw, screen)) in self.0.iter().enumerate() {
            text += &format!("{i},{at:.1},{draw},{screen:?}\n");
        }
        std::fs::write(path, text)
    }
}

/// Runs the workbench on `warehouse` until the user quits.
pub fn run(warehouse: Warehouse, options: TuiOptions) -> anyhow::Result<()> {
    run_on(Backend::local(warehouse, options.open.clone())?, options)
}

/// Runs the workbench as a client of the `ecom serve` `client` talks to.
pub fn run_remote(client: crate::remote::Client, options: TuiOptions) -> anyhow::Result<()> {
    run_on(Backend::remote(client)?, options)
}

fn run_on(backend: Backend, options: TuiOptions) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut terminal = ratatui::init();
    let result = terminal::set_mouse(true)
        .and_then(|()| terminal::set_bracketed_paste(true))
        .and_then(|()| runtime.block_on(event_loop(&mut terminal, backend, &options)));
    let _ = terminal::set_mouse(false);
    let _ = terminal::set_bracketed_paste(false);
    ratatui::restore();
    result
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    mut backend: Backend,
    options: &TuiOptions,
) -> anyhow::Result<()> {
    let (tx, mut rx) = unbounded_channel::<Action>();
    let worker = backend.worker(tx.clone())?;
    let mut panels = backend.panels(tx.clone())?;
    // A remote workbench browses the brokers of this machine's config too: Kafka is no
    // part of the server's API, and the tail it starts there reads these same brokers.
    let mut topics = topic_reader::TopicReader::new(
        &options.tail.brokers,
        &options.tail.consumer_settings,
        tx.clone(),
    );
    let mut stats = FrameStats::default();
    let bindings =
        keymap::bindings_with(&options.keys).map_err(|e| anyhow::anyhow!("the config's {e}"))?;
    let mut app = App::new(backend.name(), options.page_rows);
    app.remote = backend.access();
    app.sql.remote = app.remote.is_some();
    app.alerts.file = options.alerts_file.clone();
    app.stream.brokers = options.tail.brokers.clone();
    app.stream.target = format!(
        "{} on {} (group {})",
        options.tail.topic, options.tail.brokers, options.tail.group
    );
    app.theme.no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    app.theme.light = options.light;
    app.dashboard.places = options.dashboards.clone();
    app.use_bindings(&bindings);
    app.sql.history = history::load(&crate::paths::history_file());
    let size = terminal.size()?;
    app.update(Action::Resize(size.width, size.height));
    worker.send(Request::Catalog);
    if let Some(report) = &options.opened {
        let _ = tx.send(Action::Opened(Ok(report.clone())));
    }
    let mut input = EventStream::new();
    let mut ticks = tokio::time::interval(TICK);
    while !app.quit {
        let drawing = std::time::Instant::now();
        terminal.draw(|frame| ui::draw(frame, &app))?;
        if options.frame_stats.is_some() {
            let at = options.started.elapsed().as_secs_f64() * 1000.0;
            stats
                .0
                .push((at, drawing.elapsed().as_micros(), app.screen));
        }
        let action = tokio::select! {
            event = input.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    keymap::action_for(&app.key_context(), &bindings, key)
                }
                Some(Ok(Event::Resize(w, h))) => Some(Action::Resize(w, h)),
                Some(Ok(Event::Paste(text))) => Some(Action::Paste(text)),
                Some(Ok(Event::Mouse(mouse))) => keymap::mouse_action(&app.key_context(), mouse),
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
                Effect::SetMouse(on) => terminal::set_mouse(on)?,
                Effect::Suspend => terminal::suspend(terminal, app.mouse)?,
                Effect::EditExternally(sql) => {
                    if let Some(text) = terminal::edit_externally(terminal, &sql, app.mouse)? {
                        app.update(Action::EditorText(text));
                    }
                }
                Effect::Dashboard(job) => panels.start(job)?,
                Effect::Browse(job) => topics
                    .start(job)
                    .context("starting a thread of the topic browser")?,
                other => {
                    if !backend.perform(&other, &options.tail, &tx)? {
                        perform(other, &worker, &tx)?;
                    }
                }
            }
        }
    }
    if let Some(path) = &options.frame_stats {
        stats.write(path).context("writing --frame-stats")?;
    }
    let running = backend.running();
    if running > 0 {
        app.show_closing(running);
        // A failed draw must not skip the clean-up below.
        let _ = terminal.draw(|frame| ui::draw(frame, &app));
    }
    panels.stop();
    topics.stop_all();
    backend.close(worker);
    Ok(())
}

/// Draws `data` to `{stem}.png` and `{stem}.svg` with the report's plotters code.
pub fn save_chart(
    data: &crate::warehouse::chart_data::ChartData,
    stem: &str,
) -> failure::Reported<String> {
    use crate::export::charts::{Chart, SeriesChart, save_png_and_svg};
    let chart = Chart::Series(SeriesChart::of(data));
    save_png_and_svg(&chart, Path::new(stem), chart::SAVED_SIZE)
        .map(|(png, svg)| format!("{} and {}", png.display(), svg.display()))
        .map_err(failure::Failure::of)
}

/// The effects that are no job's: requests to the database worker, the clipboard, the
/// history file.
fn perform(
    effect: Effect,
    worker: &Worker,
    events: &tokio::sync::mpsc::UnboundedSender<Action>,
) -> anyhow::Result<()> {
    match effect {
        Effect::ComputeChart { id, query_id, spec } => {
            worker.send(Request::Chart { id, query_id, spec })
        }
        Effect::SaveChart { data, stem } => {
            let events = events.clone();
            std::thread::spawn(move || {
                let _ = events.send(Action::ChartSaved(save_chart(&data, &stem)));
            });
        }
        Effect::LoadModels => worker.send(Request::Models),
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
            if let Err(e) = history::append(&crate::paths::history_file(), &sql) {
                tracing::warn!(error = %e, "query history not saved");
            }
        }
        Effect::LoadCatalog => worker.send(Request::Catalog),
        Effect::LoadQuality => worker.send(Request::Quality),
        Effect::LoadAlerts(file) => worker.send(Request::Alerts(file)),
        Effect::SilenceAlert { file, rule, until } => {
            worker.send(Request::SilenceAlert { file, rule, until })
        }
        Effect::LoadMl => worker.send(Request::Ml),
        Effect::LoadStream => worker.send(Request::Stream),
        Effect::Lookup(text) => worker.send(Request::Lookup(text)),
        Effect::RunQuery {
            slot,
            statements,
            fresh,
        } => worker.send(Request::Run {
            slot,
            statements,
            fresh,
        }),
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
        Effect::GridJob { id, job } => worker.send(Request::Grid { id, job }),
        // The event loop's own (terminal) and the jobs' effects are handled before.
        Effect::SetMouse(_)
        | Effect::Suspend
        | Effect::EditExternally(_)
        | Effect::Dashboard(_)
        | Effect::Browse(_)
        | Effect::CancelJob(_)
        | Effect::StartTail { .. }
        | Effect::StartModels { .. }
        | Effect::StartMl { .. }
        | Effect::StartAlertsCheck { .. }
        | Effect::LoadSample
        | Effect::LoadFiles(_)
        | Effect::OpenFiles(_)
        | Effect::ImportView(_) => {}
    }
    Ok(())
}
