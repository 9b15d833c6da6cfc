//! The headless CLI: one handler per subcommand, each a thin layer over a core call.
//!
//! Arguments become a validated [`Settings`] before any work starts; handlers return an
//! [`Outcome`] or an error, and `main` turns those into exit codes.

mod alerts;
pub mod args;
mod config_cmd;
mod dashboard;
mod export;
mod ingest;
mod interrupt;
mod kafka;
mod live;
mod ml;
mod models;
pub mod open;
mod output;
mod pipeline;
mod progress;
mod query;
mod remote;
mod serve;
mod status;
mod stream;

use std::path::PathBuf;

use crate::config::Config;
pub use crate::format::thousands;
use crate::warehouse::{Warehouse, WarehouseError};
pub use args::Cli;
use args::Command;

/// How a command ended: the jobs' one outcome policy, whose `exit_code` `main` returns.
pub use crate::jobs::Outcome;
/// Exit codes of the command surface (MISSION.md): 0, 1 error, 2 usage, 3 data checks.
pub use crate::jobs::outcome::exit;

/// Everything a handler needs, resolved from flags, environment, file and defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub config_path: PathBuf,
    pub config_explicit: bool,
    pub db_path: PathBuf,
    /// Whether `--db` (or `ECOM_DB`) named the warehouse: `ecom open` then makes its
    /// views there instead of in a scratch database.
    pub db_explicit: bool,
    pub json: bool,
    pub quiet: bool,
    pub verbose: u8,
    /// `--dashboards DIR`, listed beside the config folder's `dashboards/`.
    pub dashboards_dir: Option<PathBuf>,
    /// The alert rules: `--alerts FILE`, else `alerts.toml` in the config folder.
    pub alerts_file: PathBuf,
    /// Whether `--alerts` named the file (then it must exist).
    pub alerts_explicit: bool,
    /// `--remote URL`, else `[remote] url`: read that server instead of `db_path`.
    pub remote: Option<String>,
    /// `--token`, else `[remote] token`.
    pub token: Option<String>,
}

impl Settings {
    /// Applies the layers: defaults < config file < `ECOM_*` environment < flags.
    /// `config_may_be_missing` lets `ecom config edit` create a file named by `--config`.
    pub fn resolve(global: &args::GlobalArgs, config_may_be_missing: bool) -> anyhow::Result<Self> {
        let config_explicit = global.config.is_some();
        let config_path = global
            .config
            .clone()
            .unwrap_or_else(crate::paths::default_config_file);
        let mut config = Config::load(&config_path, config_explicit && !config_may_be_missing)?;
        config.apply_env(|name| std::env::var(name).ok())?;
        if global.verbose > 0 || global.quiet {
            config.log.level = match (global.quiet, global.verbose) {
                (true, _) => "warn",
                (_, 1) => "debug",
                _ => "trace",
            }
            .into();
        }
        let db_path = global
            .db
            .clone()
            .or_else(|| config.warehouse.path.clone())
            .unwrap_or_else(crate::paths::default_warehouse);
        config.warehouse.path = Some(db_path.clone());
        let alerts_file = global
            .alerts
            .clone()
            .unwrap_or_else(|| config_dir(&config_path).join("alerts.toml"));
        Ok(Self {
            config_path,
            config_explicit,
            db_path,
            db_explicit: global.db.is_some(),
            json: global.json,
            quiet: global.quiet,
            verbose: global.verbose,
            dashboards_dir: global.dashboards.clone(),
            alerts_file,
            alerts_explicit: global.alerts.is_some(),
            remote: global.remote.clone().or_else(|| config.remote.url.clone()),
            token: global.token.clone().or_else(|| config.remote.token.clone()),
            config,
        })
    }

    /// The server to read when `--remote` (or `[remote] url`) names one.
    pub fn remote_client(&self) -> anyhow::Result<Option<crate::remote::Client>> {
        let Some(url) = &self.remote else {
            return Ok(None);
        };
        let Some(token) = &self.token else {
            anyhow::bail!(
                "--remote {url} needs --token TOKEN (or [remote] token, ECOM_TOKEN): make one on the server with `ecom serve token create`"
            );
        };
        Ok(Some(crate::remote::Client::new(url, token)?))
    }

    /// The folder holding the config file, its `dashboards/` and `alerts.toml`.
    pub fn config_dir(&self) -> PathBuf {
        config_dir(&self.config_path)
    }

    /// Opens the warehouse named by the settings.
    pub fn open_warehouse(&self) -> anyhow::Result<Warehouse> {
        let warehouse = Warehouse::open(&self.db_path).map_err(|e| match e {
            WarehouseError::Db(_) => anyhow::Error::new(e).context(format!(
                "cannot open the warehouse {}",
                self.db_path.display()
            )),
            other => other.into(),
        })?;
        if let Some(limit) = &self.config.warehouse.memory_limit {
            warehouse
                .conn()
                .execute_batch(&format!(
                    "SET memory_limit = {}",
                    crate::warehouse::quote_literal(limit)
                ))
                .map_err(|e| anyhow::anyhow!("warehouse.memory_limit = {limit:?}: {e}"))?;
        }
        Ok(warehouse)
    }
}

/// The folder of a config file (the current folder for a bare file name).
fn config_dir(config_path: &std::path::Path) -> PathBuf {
    match config_path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Runs one subcommand.
pub fn dispatch(command: Command, settings: &Settings) -> anyhow::Result<Outcome> {
    match command {
        Command::Ingest(args) => ingest::run(&args, settings),
        Command::Query(args) => query::run(&args, settings),
        Command::Status => status::run(settings),
        Command::Config { action } => config_cmd::run(&action, settings),
        Command::Models { action } => models::run_action(action, settings),
        Command::Pipeline { action } => pipeline::run(action, settings),
        Command::Ml { action } => ml::run(action, settings),
        Command::Simulate(args) => stream::run_simulate(&args, settings),
        Command::Tail(args) => stream::run_tail(&args, settings),
        Command::Kafka { action } => kafka::run(action, settings),
        Command::Export(args) => export::run_export(&args, settings),
        Command::Report(args) => export::run_report(&args, settings),
        Command::Serve(args) => serve::run(args, settings),
        Command::Dashboard { action } => dashboard::run(action, settings),
        Command::Alerts { action } => alerts::run(action, settings),
        Command::Open(args) => open::run(&args, settings, None, std::time::Instant::now()),
    }
}

/// The workbench's options from the settings.
fn tui_options(
    settings: &Settings,
    frame_stats: Option<PathBuf>,
    started: std::time::Instant,
) -> anyhow::Result<crate::tui::TuiOptions> {
    let stream = &settings.config.tui.stream;
    let mut tail =
        crate::stream::tail::TailOptions::new(&stream.brokers, &stream.topic, &stream.group);
    tail.windows = stream
        .windows
        .iter()
        .map(|w| {
            Ok(crate::stream::window::WindowSpec::tumbling(
                crate::stream::parse_duration(w)?,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(crate::tui::TuiOptions {
        page_rows: settings.config.tui.page_rows as u64,
        keys: settings.config.tui.keys.clone(),
        frame_stats,
        started,
        tail,
        light: settings.config.tui.theme == crate::config::ThemeName::Light,
        alerts_file: settings.alerts_file.clone(),
        dashboards: crate::dashboards::Places::new(
            &settings.config_dir(),
            settings.dashboards_dir.clone(),
        ),
        open: crate::open::OpenOptions::default(),
        opened: None,
    })
}

/// Opens the workbench; with `demo`, on a temporary warehouse holding the bundled sample
/// and the models built from it.
pub fn workbench(
    settings: &Settings,
    demo: bool,
    frame_stats: Option<PathBuf>,
    started: std::time::Instant,
) -> anyhow::Result<()> {
    let options = tui_options(settings, frame_stats, started)?;
    if let Some(client) = settings.remote_client()? {
        if demo {
            anyhow::bail!("--demo opens a sample of its own: leave out --remote");
        }
        return crate::tui::run_remote(client, options);
    }
    if !demo {
        return crate::tui::run(settings.open_warehouse()?, options);
    }
    let dir = tempfile::Builder::new().prefix("ecom-demo-").tempdir()?;
    let warehouse = Warehouse::open(&dir.path().join("demo.duckdb"))?;
    crate::ingest::ingest(
        warehouse.conn(),
        vec![crate::sample::source()],
        &crate::ingest::IngestOptions::default(),
        &crate::jobs::NoProgress,
        &crate::jobs::CancelToken::new(),
    )?;
    // Build the bundled models too, so the dashboard has its marts.
    let project = crate::models::bundled::unpacked(warehouse.path())?;
    crate::models::build_project(
        warehouse.conn(),
        &project,
        Vec::new(),
        std::thread::available_parallelism().map_or(2, |n| n.get()),
        &crate::jobs::NoProgress,
        &crate::jobs::CancelToken::new(),
    )?;
    crate::tui::run(warehouse, options)
}
