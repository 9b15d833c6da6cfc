//! The command line, as clap sees it. These names are contracts: add, never rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Show, edit or check the layered configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// CSV files, folders (searched recursively), glob patterns, .csv.gz, or - for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// Exit with code 3 when more rows than this are quarantined (N rows or N%).
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
    /// List the selected nodes.
    Ls(ModelArgs),
    /// Render the selected models to SQL in target/compiled without running them.
    Compile(ModelArgs),
    /// Write the bundled project into DIR, to change it or run it under dbt.
    Init {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
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
    /// `ls` only: list these resource types (model, seed, test).
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
}
