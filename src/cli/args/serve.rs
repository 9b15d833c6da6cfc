//! `ecom serve …`: the API server's flags, and the `--pipeline` and `--tail` lines it
//! runs inside its own process.

use clap::{Args, Parser, Subcommand};

use super::{PipelineArgs, TailArgs};

pub(super) const SERVE_ABOUT: &str = "\
The REST API for other applications: token auth, cached answers, OpenAPI, Prometheus.

Routes: GET /health, /metrics and /openapi.json without a token; every /api/v1/ route
with `Authorization: Bearer TOKEN` (create one with `ecom serve token create`).

One writer: a DuckDB file has one writing process, and while it serves that process is
this one, so `ecom ingest`, `ecom models build`… cannot open the warehouse meanwhile.
To keep data arriving while the API serves, run the work inside this process:
--pipeline='--every 10m --ingest DIR' runs the scheduler of `ecom pipeline run`, and
--tail='--brokers HOST:PORT --topic T' runs `ecom tail`; both write through this
process's own database, and every commit they make invalidates the answer cache.
Tokens can be created and revoked meanwhile through the admin routes (/api/v1/tokens).";

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServeArgs {
    #[command(subcommand)]
    pub action: Option<ServeAction>,
    /// Where to listen (port 0 picks a free one; the address is printed on stderr).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub addr: std::net::SocketAddr,
    /// Require `Authorization: Bearer TOKEN` with this value on GET /metrics.
    #[arg(long, env = "ECOM_METRICS_TOKEN", value_name = "TOKEN")]
    pub metrics_token: Option<String>,
    /// Run the pipeline in this process, with the flags of `ecom pipeline run` (quoted).
    #[arg(long, value_name = "ARGS", num_args = 0..=1, default_missing_value = "", allow_hyphen_values = true)]
    pub pipeline: Option<String>,
    /// Run the Kafka tail in this process, with the flags of `ecom tail` (quoted).
    #[arg(long, value_name = "ARGS", allow_hyphen_values = true)]
    pub tail: Option<String>,
    /// Interrupt a query of POST /api/v1/query running longer than this.
    #[arg(long, default_value = "10s", value_name = "DUR")]
    pub query_timeout: String,
    /// The most rows POST /api/v1/query returns.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub max_rows: usize,
    /// Queries of POST /api/v1/query running at once (others wait their turn).
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub max_queries: usize,
    /// The largest request body accepted, in bytes.
    #[arg(long, default_value_t = 65_536, value_name = "BYTES")]
    pub max_body: usize,
    /// Interrupt a query of POST /api/v1/query once the server has grown by more than
    /// this while it runs (bytes; 503). DuckDB has no bound per query of its own.
    #[arg(long, default_value_t = 2 << 30, value_name = "BYTES")]
    pub query_memory: u64,
    /// The largest answer of POST /api/v1/query, in bytes; rows past it are cut
    /// (X-Truncated), and a first row larger than this is answered 413.
    #[arg(long, default_value_t = 16 * 1024 * 1024, value_name = "BYTES")]
    pub max_answer_bytes: usize,
    /// How long a query waits for a free turn (--max-queries) before a 503 with Retry-After.
    #[arg(long, default_value = "5s", value_name = "DUR")]
    pub queue_timeout: String,
    /// Time for a client to send a request's headers before the connection is closed.
    #[arg(long, default_value = "10s", value_name = "DUR")]
    pub header_timeout: String,
    /// Time for a whole request, body and answer included (408 past it); never less
    /// than --query-timeout plus --queue-timeout plus 1 s.
    #[arg(long, default_value = "60s", value_name = "DUR")]
    pub request_timeout: String,
    /// Connections open at once; further clients wait until one closes.
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub max_connections: usize,
    /// A folder the database may read and write besides the pipeline's own (model
    /// project, export folders); every other file is out of reach. Repeatable.
    #[arg(long, value_name = "DIR")]
    pub allow_dir: Vec<std::path::PathBuf>,
    /// DuckDB's memory limit for the whole server (e.g. 4GB); `warehouse.memory_limit`
    /// when not given, else DuckDB's default (80% of RAM).
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ServeAction {
    /// Create, list and revoke API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token; it is printed once, on stdout alone; only its hash is kept.
    Create {
        #[arg(long)]
        name: String,
        /// read: the figures; query: also POST /api/v1/query; admin: also tokens and jobs.
        #[arg(long, value_enum)]
        scope: crate::serve::tokens::Scope,
    },
    /// List tokens (never the tokens themselves).
    Ls,
    /// Revoke a token by name: it stops working at once.
    Revoke { name: String },
}

/// `--pipeline ARGS`, parsed like `ecom pipeline run ARGS`.
#[derive(Debug, Parser)]
#[command(name = "--pipeline", no_binary_name = true)]
pub struct PipelineLine {
    #[command(flatten)]
    pub args: PipelineArgs,
}

/// `--tail ARGS`, parsed like `ecom tail ARGS`.
#[derive(Debug, Parser)]
#[command(name = "--tail", no_binary_name = true)]
pub struct TailLine {
    #[command(flatten)]
    pub args: TailArgs,
}
