//! How the server runs: [`ServeOptions`], the CLI's flags with their defaults.

use std::net::SocketAddr;
use std::time::Duration;

use super::sandbox;

/// How the server runs; the CLI's flags.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    /// When set, `GET /metrics` needs `Authorization: Bearer` with this value.
    pub metrics_token: Option<String>,
    /// A query past this is interrupted.
    pub query_timeout: Duration,
    /// A query during which the process grows by more than this is interrupted.
    pub query_memory: u64,
    /// The most rows `POST /api/v1/query` returns.
    pub max_rows: usize,
    /// How many queries of `POST /api/v1/query` run at once (others wait).
    pub max_queries: usize,
    /// How long a query waits for its turn before it is answered 503.
    pub queue_timeout: Duration,
    /// The largest answer of `POST /api/v1/query`, in bytes; rows past it are cut.
    pub max_answer_bytes: usize,
    /// Time for a client to send a request's headers.
    pub header_timeout: Duration,
    /// Time for a whole request, body and answer included.
    pub request_timeout: Duration,
    /// Open connections at most; further clients wait in the listen queue.
    pub max_connections: usize,
    /// What the database may still reach once the server starts.
    pub sandbox: sandbox::Sandbox,
    /// Largest request body accepted, in bytes.
    pub max_body: usize,
    /// Connections for reads (and so database calls at once).
    pub connections: usize,
    /// Memory for cached answers, in bytes.
    pub cache_bytes: u64,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics_token: None,
            query_timeout: Duration::from_secs(10),
            query_memory: 2 << 30,
            max_rows: 100_000,
            max_queries: 4,
            queue_timeout: Duration::from_secs(5),
            max_answer_bytes: 16 * 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_connections: 256,
            sandbox: sandbox::Sandbox::default(),
            max_body: 64 * 1024,
            connections: 8,
            cache_bytes: 64 * 1024 * 1024,
        }
    }
}
