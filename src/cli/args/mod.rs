//! The command line, as clap sees it. These names are contracts: add, never rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::ml::anomalies::AnomalyOptions;

mod alerts;
mod dashboards;
pub mod kafka;
mod open;
mod serve;

pub use alerts::AlertsAction;
pub use dashboards::DashboardAction;
pub use kafka::{BrowseArgs, KafkaAction, ProduceArgs, TopicsArgs};
pub use open::OpenArgs;
use serve::SERVE_ABOUT;
pub use serve::{PipelineLine, ServeAction, ServeArgs, TailLine, TokenAction};

/// ecom: e-commerce analytics in one binary. With no command it opens the workbench.
#[derive(Debug, Parser)]
#[command(name = "ecom", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// Open the workbench on the bundled sample data in a temporary warehouse.
    #[arg(long)]
    pub demo: bool,

    /// Record the workbench's frame times (CSV: frame, ms since start, draw µs) into FILE.
    #[arg(long, value_name = "FILE")]
    pub frame_stats: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The warehouse file (default: warehouse.duckdb in the XDG data dir).
    #[arg(long, global = true, env = "ECOM_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// The config file (default: config.toml in the XDG config dir).
    #[arg(long, global = true, env = "ECOM_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// More detail in the log file (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Less output: no progress, warnings and errors only.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Machine-readable output on stdout (one JSON document, or JSON lines for streams).
    #[arg(long, global = true)]
    pub json: bool,

    /// A folder of dashboard files listed beside the shipped ones and the config folder's
    /// `dashboards/`.
    #[arg(long, global = true, env = "ECOM_DASHBOARDS", value_name = "DIR")]
    pub dashboards: Option<PathBuf>,

    /// The alert rules and receivers (default: alerts.toml in the config folder).
    #[arg(long, global = true, env = "ECOM_ALERTS", value_name = "FILE")]
    pub alerts: Option<PathBuf>,

    /// Read a running `ecom serve` at URL instead of a warehouse file (the workbench,
    /// `query`, `status`); `[remote] url` in the config.
    #[arg(long, global = true, env = "ECOM_REMOTE", value_name = "URL")]
    pub remote: Option<String>,

    /// The API token for --remote (`ecom serve token create`); `[remote] token`.
    #[arg(
        long,
        global = true,
        env = "ECOM_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load online-retail CSV files, folders, globs, .gz or - (stdin); idempotent.
    Ingest(IngestArgs),
    /// Run SQL against the warehouse and print the result.
    Query(QueryArgs),
    /// Tables, row counts and the last ingests.
    Status,
    /// The dbt-compatible model runner (default project: the bundled one).
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
    /// Parquet data lake, Hive-partitioned, to a folder or s3://BUCKET/PREFIX.
    Export(ExportArgs),
    /// HTML and Markdown report with charts (PNG/SVG).
    Report(ReportArgs),
    /// The whole DAG (ingest, models and tests) with retries; --every or --cron to keep running.
    Pipeline {
        #[command(subcommand)]
        action: PipelineAction,
    },
    /// Machine learning over the marts: customer segments, recommendations, anomalies.
    Ml {
        #[command(subcommand)]
        action: MlAction,
    },
    /// Replay the CSV (or an event file) as events into Kafka, or into a JSON-lines file.
    Simulate(SimulateArgs),
    /// Consume events from Kafka: windows, dead letters, late events, exactly once into the warehouse.
    Tail(TailArgs),
    /// Browse any Kafka topic: topics and group lag, messages from an offset, a time or
    /// the end with filters, and produce JSON lines.
    Kafka {
        #[command(subcommand)]
        action: KafkaAction,
    },
    /// The REST API for other applications: token auth, cached answers, OpenAPI, Prometheus.
    #[command(long_about = SERVE_ABOUT)]
    Serve(ServeArgs),
    /// Dashboards as code: list them, copy the shipped one to edit, render one to a file.
    Dashboard {
        #[command(subcommand)]
        action: DashboardAction,
    },
    /// Alert rules over the warehouse: list them, check them once, silence or test one.
    Alerts {
        #[command(subcommand)]
        action: AlertsAction,
    },
    /// The workbench over files, folders, lakes or s3:// paths, each a view (--list:
    /// print the views instead). Without --db, in a scratch database.
    Open(OpenArgs),
    /// Show, edit or check the layered configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files (CSV/TSV, .xlsx, Parquet, JSON lines; each plain or .gz), folders (searched
    /// recursively), glob patterns, or - for stdin.
    #[arg(required_unless_present = "suggest_mapping", value_name = "PATH")]
    pub paths: Vec<String>,

    /// The shape of the files: uci, uci-ii, shopify or woocommerce (detected from each
    /// header when not given).
    #[arg(long, value_name = "NAME", conflicts_with = "mapping")]
    pub preset: Option<crate::ingest::mapping::Preset>,

    /// A column mapping (TOML, docs/INGEST.md) for a shape no preset knows; overrides
    /// `[ingest.mapping]`.
    #[arg(long, value_name = "FILE.toml")]
    pub mapping: Option<PathBuf>,

    /// Read only this sheet of workbooks (every sheet with the same header by default).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,

    /// The shop's time zone: times with a UTC offset are stored as its clock
    /// (`ingest.timezone`, UTC by default).
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,

    /// Print a commented column mapping guessed from FILE's header and values, for you
    /// to check and pass to --mapping; loads nothing.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["preset", "mapping"])]
    pub suggest_mapping: Option<String>,

    /// Exit with code 3 when more rows than this are quarantined (N rows or N%; 1% by
    /// default, or `ingest.max_bad_rows`).
    #[arg(long, value_name = "N|N%")]
    pub max_bad_rows: Option<String>,

    /// Rows per warehouse transaction (files are committed together up to this size).
    #[arg(long, value_name = "ROWS")]
    pub batch_rows: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
    Parquet,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The SQL to run (DuckDB dialect); - reads it from standard input.
    #[arg(value_name = "SQL")]
    pub sql: String,

    /// Output format; without it the --output file's extension decides (else table).
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Write the result to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// At most this many rows in table format (other formats write every row).
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_rows: usize,

    /// With --remote: rows to ask the server for at most (it caps them at its
    /// --max-rows; a cut answer is said on stderr).
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub limit: usize,

    /// Re-run the SQL every N (5 seconds: 5, 5s; 1m) and print each answer.
    ///
    /// Runs until Ctrl+C, or --times answers. A run starts once the one before
    /// has finished; a failed run is said on stderr and the next one still comes
    /// (the exit code is 1 when the last one failed). Reads only: SELECT, WITH,
    /// FROM, SHOW, DESCRIBE, PIVOT… What is printed, by --format:
    ///   table  each answer after a line `-- 2026-12-05 14:03:07 · answer 3`
    ///          (local time), then a blank line;
    ///   csv    one CSV document: one header (`refreshed_at`, then the query's
    ///          columns), then every answer's rows, each starting with the
    ///          answer's time (RFC 3339); an answer without rows adds no line;
    ///   json   JSON lines: one line per answer,
    ///          {"refreshed_at": "…", "answer": 3, "rows": [{…}, …]}.
    /// Parquet writes one file once: not with --auto-refresh.
    #[arg(long, value_name = "N", value_parser = crate::refresh::parse_every, verbatim_doc_comment)]
    pub auto_refresh: Option<std::time::Duration>,

    /// With --auto-refresh: stop after K answers.
    #[arg(long, value_name = "K", requires = "auto_refresh",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub times: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the path of the config file in use.
    Path,
    /// Print the effective configuration (defaults < file < environment < flags).
    Show,
    /// Open the config file in $VISUAL or $EDITOR (creating it first), then check it.
    Edit,
    /// Check a config file (default: the one in use) and report the first problem.
    Validate {
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// Build the selected models.
    Run(ModelArgs),
    /// Run the selected tests.
    Test(ModelArgs),
    /// Seeds, models and tests in DAG order, skipping what sits downstream of a failure.
    Build(ModelArgs),
    /// Load the seed CSV files.
    Seed(ModelArgs),
    /// Bring the snapshots (type-2 history tables) up to date.
    Snapshot(ModelArgs),
    /// Source commands: `source freshness`.
    Source {
        #[command(subcommand)]
        action: SourceAction,
    },
    /// List the selected nodes.
    Ls(ModelArgs),
    /// Render the selected models to SQL in target/compiled without running them.
    Compile(ModelArgs),
    /// Install the packages of packages.yml (local: and git: entries) into
    /// dbt_packages/ and pin them in package-lock.yml, as `dbt deps` does.
    Deps {
        /// The dbt project directory.
        #[arg(long, value_name = "DIR")]
        project: PathBuf,
    },
    /// Write the bundled project into DIR, to change it or run it under dbt.
    Init {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum SourceAction {
    /// How long ago each source table was loaded, against its warn_after and
    /// error_after (writes target/sources.json; exit 1 when one is past error_after).
    Freshness(ModelArgs),
}

#[derive(Debug, Args)]
pub struct ModelArgs {
    /// The dbt project directory (default: the bundled project).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// dbt node selection (names, +model, model+, tag:, path:, config.materialized:, …).
    #[arg(long, short = 's', value_name = "SEL", num_args = 1..)]
    pub select: Vec<String>,
    /// Nodes to leave out, same syntax as --select.
    #[arg(long, value_name = "SEL", num_args = 1..)]
    pub exclude: Vec<String>,
    /// Variables for var(), as YAML or JSON: '{batch: 2}'.
    #[arg(long, value_name = "YAML")]
    pub vars: Option<String>,
    /// Rebuild incremental models from scratch.
    #[arg(long)]
    pub full_refresh: bool,
    /// Nodes built at once (each on its own connection).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// The schema of models without a custom schema (dbt's target.schema).
    #[arg(long, value_name = "SCHEMA")]
    pub target_schema: Option<String>,
    /// `ls` only: list these resource types (model, seed, snapshot, test, …).
    #[arg(long, value_name = "TYPE", num_args = 1..)]
    pub resource_type: Vec<String>,
    /// `ls` only: `fqn` (default), `name` or `path` per line (`--json` for objects).
    #[arg(long, value_name = "FORMAT", default_value = "fqn")]
    pub output: String,
}

#[derive(Debug, Subcommand)]
pub enum PipelineAction {
    /// Run the pipeline's DAG (resuming an interrupted run), once or on a schedule.
    Run(PipelineArgs),
}

#[derive(Debug, Args)]
pub struct PipelineArgs {
    /// Run again this long after each start (`30m`, `1h`).
    #[arg(long, value_name = "DUR", conflicts_with = "cron")]
    pub every: Option<String>,
    /// Run at the times of a cron expression (`0 3 * * *`, local time).
    #[arg(long, value_name = "EXPR")]
    pub cron: Option<String>,
    /// Stop after this many runs (with --every or --cron).
    #[arg(long, value_name = "N")]
    pub max_runs: Option<u32>,
    /// Files, folders or globs for the ingest job (over `pipeline.ingest_paths`).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub ingest: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A folder or s3://BUCKET/PREFIX.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub to: String,
    /// Tables to export, `schema.table` with `*` (default: raw.order_lines, marts.*, stream.*, ml.*).
    #[arg(long, value_name = "PATTERN", num_args = 1..)]
    pub tables: Vec<String>,
    /// Only days on or after DATE (YYYY-MM-DD) of date-partitioned tables.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// An S3-compatible endpoint (MinIO, Garage, moto…), e.g. http://127.0.0.1:9000.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The folder for report.html, report.md, the PNG charts and report.json.
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,
    /// YYYY, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (default: all the data).
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Adds a dashboard (its name, as `ecom dashboard ls` lists it) drawn as
    /// dashboard-NAME.svg and .png, with --period as its period; repeat for several.
    #[arg(long, value_name = "NAME")]
    pub dashboard: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum MlAction {
    /// RFM customer segments (KMeans or a Gaussian mixture), k chosen by silhouette.
    Segment(SegmentArgs),
    /// Collaborative filtering evaluated against popularity on a temporal split, then
    /// refit on every invoice; --customer or --product answers from the stored lists.
    Recommend(RecommendArgs),
    /// Unusual days (net revenue, orders) and invoice lines, evaluated on injected anomalies.
    Anomalies(AnomalyArgs),
    /// The recorded runs (ml.model_runs), newest first.
    Runs {
        /// Only the runs of this job.
        #[arg(value_enum)]
        model: Option<crate::ml::MlModel>,
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: usize,
    },
}

#[derive(Debug, Args)]
pub struct SegmentArgs {
    #[arg(long, value_enum, default_value = "kmeans")]
    pub algorithm: crate::ml::segment::Algorithm,
    /// Exactly this many segments (instead of the best of --k-min..--k-max).
    #[arg(long, value_name = "K", conflicts_with_all = ["k_min", "k_max"])]
    pub k: Option<usize>,
    #[arg(long, default_value_t = 3, value_name = "K")]
    pub k_min: usize,
    #[arg(long, default_value_t = 8, value_name = "K")]
    pub k_max: usize,
    /// Seed of the initialisation: the same seed gives the same segments.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// The models to evaluate beside popularity (default: item-knn and als); the best is kept.
    #[arg(long, value_enum, num_args = 1..)]
    pub model: Vec<crate::ml::recommend::RecModel>,
    /// Fit on invoices before this day, evaluate on purchases from it on (YYYY-MM-DD).
    #[arg(long, default_value = "2011-09-01", value_name = "DATE")]
    pub split: String,
    /// Products stored per customer and per product (the evaluation is always at 10).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
    /// ALS latent factors.
    #[arg(long, default_value_t = 32)]
    pub factors: usize,
    /// ALS sweeps.
    #[arg(long, default_value_t = 15)]
    pub iterations: usize,
    /// ALS confidence per purchase (c = 1 + alpha·r).
    #[arg(long, default_value_t = 10.0)]
    pub alpha: f64,
    /// ALS L2 regularization.
    #[arg(long, default_value_t = 0.1)]
    pub regularization: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print the stored recommendations of this customer (running the job if there are none).
    #[arg(long, value_name = "ID", conflicts_with = "product")]
    pub customer: Option<i64>,
    /// Print the products most often bought with this one.
    #[arg(long, value_name = "STOCK_CODE")]
    pub product: Option<String>,
}

#[derive(Debug, Args)]
pub struct AnomalyArgs {
    /// Robust z-score past which a day is flagged.
    #[arg(long, default_value_t = AnomalyOptions::default().threshold, value_name = "Z")]
    pub threshold: f64,
    /// Robust z-score past which an invoice line is flagged.
    #[arg(long, default_value_t = AnomalyOptions::default().line_threshold, value_name = "Z")]
    pub line_threshold: f64,
    /// Injection trials of the evaluation (5 anomalies each).
    #[arg(long, default_value_t = AnomalyOptions::default().trials, value_name = "N")]
    pub trials: usize,
    #[arg(long, default_value_t = AnomalyOptions::default().seed)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Kafka bootstrap servers (host:port,…); not needed with --to-file.
    #[arg(
        long,
        env = "ECOM_BROKERS",
        value_name = "HOST:PORT",
        required_unless_present = "to_file"
    )]
    pub brokers: Option<String>,
    #[arg(long, default_value = "uk-retail-raw")]
    pub topic: String,
    /// CSV files, folders or globs (either dialect), or .jsonl event files replayed as they are.
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    pub from: Vec<String>,
    /// Events per second.
    #[arg(long, value_name = "N", conflicts_with = "speed")]
    pub rate: Option<f64>,
    /// Event-time speed-up: 1440 plays a day in a minute.
    #[arg(long, value_name = "X")]
    pub speed: Option<f64>,
    /// Stop after this many events.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Share of events sent after the events up to --late-by newer than them.
    #[arg(long, default_value_t = 0.0, value_name = "F")]
    pub late_fraction: f64,
    #[arg(long, default_value = "10m", value_name = "DUR")]
    pub late_by: String,
    /// Share of events sent twice.
    #[arg(long, default_value_t = 0.0, value_name = "F")]
    pub duplicate_fraction: f64,
    /// Random delay of each send, up to DUR of event time.
    #[arg(long, default_value = "0s", value_name = "DUR")]
    pub jitter: String,
    /// Also emit product views and add-to-carts leading to purchases (and some that do not).
    #[arg(long)]
    pub funnel: bool,
    /// Write the events as JSON lines to FILE instead of Kafka.
    #[arg(long, value_name = "FILE")]
    pub to_file: Option<PathBuf>,
    /// Partitions of the topic when it has to be created.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub partitions: i32,
    /// Seed of the disorder (late, duplicates, jitter, funnel).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// librdkafka producer settings (key=value), over ecom's defaults.
    #[arg(long, value_name = "KEY=VALUE", num_args = 1..)]
    pub producer_config: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    #[arg(long, env = "ECOM_BROKERS", value_name = "HOST:PORT")]
    pub brokers: String,
    #[arg(long, default_value = "uk-retail-raw")]
    pub topic: String,
    /// The consumer group: members split the partitions (each with its own --db).
    #[arg(long, default_value = "ecom-tail")]
    pub group: String,
    /// Event-time window sizes (tumbling, or hopping with --hop); repeat for several.
    #[arg(long, default_value = "1m", value_name = "DUR", num_args = 1..)]
    pub window: Vec<String>,
    /// Makes every window a hopping window advancing by DUR.
    #[arg(long, value_name = "DUR")]
    pub hop: Option<String>,
    /// How far behind the largest event time seen the watermark stays.
    #[arg(long, default_value = "5m", value_name = "DUR")]
    pub allowed_lateness: String,
    /// Dead-letter events dated more than this after their message's Kafka timestamp.
    #[arg(long, default_value = "1h", value_name = "DUR")]
    pub max_future_skew: String,
    /// Dead-letter events dated more than this before their message's Kafka timestamp.
    #[arg(long, default_value = "400days", value_name = "DUR")]
    pub max_past_skew: String,
    /// Where closed windows are published ("" to publish nothing).
    #[arg(long, default_value = "uk-retail-metrics", value_name = "TOPIC")]
    pub metrics_topic: String,
    /// Also send dead letters to this topic.
    #[arg(long, value_name = "TOPIC")]
    pub dlq_topic: Option<String>,
    /// Stop after DUR without messages (counted from the assignment when none came).
    #[arg(long, value_name = "DUR")]
    pub until_idle: Option<String>,
    /// Close the open windows of a partition without messages for DUR (`off`: wait for
    /// traffic forever).
    #[arg(long, default_value = "1m", value_name = "DUR")]
    pub idle_timeout: String,
    /// Stop after N messages.
    #[arg(long, value_name = "N")]
    pub max_messages: Option<u64>,
    /// librdkafka consumer settings (key=value), over ecom's defaults (session.timeout.ms=6000, …).
    #[arg(long, value_name = "KEY=VALUE", num_args = 1..)]
    pub consumer_config: Vec<String>,
    /// Serve the live figures in the Prometheus text format at http://ADDR/metrics.
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Messages per warehouse transaction at most: larger batches catch up faster, each
    /// one a larger unit of redone work after a crash.
    #[arg(long, default_value_t = crate::stream::tail::BATCH_MESSAGES, value_name = "N")]
    pub batch_messages: usize,
    /// A batch is committed after DUR at the latest: the delay before the warehouse
    /// shows what arrived.
    #[arg(long, default_value = "500ms", value_name = "DUR")]
    pub commit_interval: String,
}
