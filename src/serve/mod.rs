//! `ecom serve`: the warehouse's figures over HTTP for other applications, with token
//! auth, an answer cache, an OpenAPI document and Prometheus metrics.
//!
//! One writer: DuckDB lets one process write a file, and this server is that process
//! while it runs. Reads go through a [`pool::Pool`] of connections to its one database;
//! the scheduler (`--pipeline`) and the Kafka tail (`--tail`) run as [`BackgroundJob`]s
//! inside it on connections of the same database, so the API answers while data keeps
//! arriving, and each of their commits moves the cache on to the new data.

mod cache;
mod contract;
mod encode;
pub mod guard;
mod http;
mod metrics;
mod pool;
mod problem;
mod query;
mod routes;
mod rows;
pub mod sandbox;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use duckdb::Connection;

use crate::jobs::{CancelToken, Progress, ProgressSink};
use crate::warehouse::Warehouse;
pub use routes::ApiDoc;
use tokens::{ActiveToken, Scope};

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

/// Work the server runs beside the API on a connection of its database (the pipeline's
/// scheduler, the tail), cancelled when the server shuts down.
pub struct BackgroundJob {
    pub name: String,
    /// The job's own figures in the Prometheus text format, appended to `/metrics`.
    pub metrics: Option<JobMetrics>,
    #[allow(clippy::type_complexity)]
    pub work: Box<
        dyn FnOnce(&Connection, &dyn ProgressSink, &CancelToken) -> anyhow::Result<String> + Send,
    >,
}

/// Renders a background job's own figures for `/metrics`.
pub type JobMetrics = Arc<dyn Fn() -> String + Send + Sync>;

/// What every handler shares.
pub(crate) struct AppState {
    pub pool: Arc<pool::Pool>,
    pub cache: Arc<cache::AnswerCache>,
    pub metrics: Arc<metrics::Metrics>,
    pub tokens: RwLock<Vec<ActiveToken>>,
    /// Turns of `POST /api/v1/query` (`--max-queries`).
    pub query_turns: Arc<tokio::sync::Semaphore>,
    pub options: ServeOptions,
    pub warehouse_path: String,
    /// The background jobs' own figures.
    pub job_metrics: Vec<JobMetrics>,
}

impl AppState {
    /// Who presents the request's bearer token, when it is a known, active one.
    fn caller(&self, headers: &header::HeaderMap) -> Option<Caller> {
        let presented = bearer(headers)?;
        let active = self.tokens.read().expect("tokens lock");
        tokens::check(&active, presented).map(|t| Caller {
            name: t.name.clone(),
            scope: t.scope,
        })
    }

    /// Reloads the active tokens after the admin routes changed them.
    fn reload_tokens(&self, conn: &Connection) -> Result<(), tokens::TokenError> {
        let active = tokens::active(conn)?;
        *self.tokens.write().expect("tokens lock") = active;
        Ok(())
    }
}

/// Who is calling: the token's name and scope, set by [`authenticate`].
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub name: String,
    pub scope: Scope,
}

impl Caller {
    /// 403 unless the caller's scope includes `needed`.
    pub fn require(&self, needed: Scope) -> Result<(), problem::Problem> {
        if self.scope >= needed {
            return Ok(());
        }
        Err(problem::Problem::new(
            StatusCode::FORBIDDEN,
            format!(
                "the token `{}` has the {} scope; this route needs a token with the {needed} scope \
                 (`ecom serve token create --name NAME --scope {needed}`)",
                self.name, self.scope
            ),
        ))
    }
}

/// Serves until SIGTERM or Ctrl+C, then lets requests in flight finish, stops the
/// background jobs, checkpoints the warehouse and returns. `ready` learns the bound address (useful with port 0).
pub fn run(
    warehouse: Warehouse,
    options: ServeOptions,
    jobs: Vec<BackgroundJob>,
    ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let conn = warehouse.conn();
    let allowed = options.sandbox.lock(conn)?;
    tracing::info!(allowed = ?allowed, "the database reaches these folders only");
    let state = Arc::new(AppState {
        pool: Arc::new(pool::Pool::new(conn, options.connections)?),
        cache: cache::AnswerCache::new(options.cache_bytes),
        metrics: Arc::default(),
        tokens: RwLock::new(tokens::active(conn)?),
        query_turns: Arc::new(tokio::sync::Semaphore::new(options.max_queries.max(1))),
        warehouse_path: warehouse.path().display().to_string(),
        options: options.clone(),
        job_metrics: jobs.iter().filter_map(|j| j.metrics.clone()).collect(),
    });
    let cancel = CancelToken::new();
    let mut threads = Vec::new();
    for job in jobs {
        threads.push(start_job(job, conn.try_clone()?, &state.metrics, &cancel)?);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .thread_name("serve")
        // DuckDB's plans of deep queries are walked on these threads' stacks.
        .thread_stack_size(8 << 20)
        .build()?;
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(options.addr)
            .await
            .with_context(|| format!("--addr {}: cannot listen there", options.addr))?;
        ready(listener.local_addr()?);
        let app = router(Arc::clone(&state));
        http::serve(
            listener,
            app,
            &options,
            Arc::clone(&state.metrics),
            shutdown_signal(),
        )
        .await;
        anyhow::Ok(())
    });
    cancel.cancel();
    for thread in threads {
        let _ = thread.join();
    }
    // Requests are done; do not wait on idle keep-alive connections' blocking tasks.
    runtime.shutdown_timeout(Duration::from_secs(5));
    // The in-process tail and pipeline commit while the API reads, so DuckDB rarely
    // checkpoints by itself: do it now, or the next start replays a long log.
    if let Err(e) = warehouse.conn().execute_batch("CHECKPOINT") {
        tracing::warn!(error = %e, "checkpointing the warehouse at shutdown");
    }
    served
}

fn start_job(
    job: BackgroundJob,
    conn: Connection,
    metrics: &Arc<metrics::Metrics>,
    cancel: &CancelToken,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let metrics = Arc::clone(metrics);
    let cancel = cancel.clone();
    let name = job.name.clone();
    Ok(std::thread::Builder::new()
        .name(format!("serve-{name}"))
        .spawn(move || {
            metrics.job(&name, |j| j.running = true);
            let sink = |progress: Progress| metrics.job(&name, |j| j.last = Some(progress));
            let result = crate::jobs::catching_panics(&name, || (job.work)(&conn, &sink, &cancel));
            metrics.job(&name, |j| {
                j.running = false;
                j.runs += 1;
                if let Err(e) = &result {
                    j.failures += 1;
                    j.last_error = Some(format!("{e:#}"));
                }
            });
            match result {
                Ok(summary) => tracing::info!(job = %name, %summary, "background job finished"),
                Err(e) => {
                    tracing::error!(job = %name, error = %format!("{e:#}"), "background job failed")
                }
            }
        })?)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// Every route, with auth on `/api/`, limits and metrics.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let api =
        routes::api()
            .merge(query::route())
            .route_layer(axum::middleware::from_fn_with_state(
                Arc::clone(&state),
                authenticate,
            ));
    Router::new()
        .merge(routes::public())
        .merge(api)
        .fallback(|| async {
            problem::Problem::not_found("no such route: GET /openapi.json lists every route")
        })
        .method_not_allowed_fallback(|| async {
            problem::Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "this route does not take that method: GET /openapi.json lists every route and its methods",
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(state.options.max_body))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            http::deadline,
        ))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), measure))
        .with_state(state)
}

/// Counts every request by route and status, and times it.
async fn measure(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let started = Instant::now();
    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let response = next.run(request).await;
    state.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    state
        .metrics
        .record(&route, response.status().as_u16(), started.elapsed());
    response
}

/// `Authorization: Bearer TOKEN` on every `/api/` route: 401 without a known, active one.
async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    if bearer(request.headers()).is_none() {
        return unauthorized(
            "this route needs `Authorization: Bearer TOKEN`; create a token with `ecom serve token create --name NAME --scope read`",
        );
    }
    match state.caller(request.headers()) {
        Some(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        None => unauthorized(
            "the token is unknown or revoked; `ecom serve token ls` lists the active ones",
        ),
    }
}

/// The token of `Authorization: Bearer TOKEN`, when there is one.
fn bearer(headers: &header::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

fn unauthorized(detail: &str) -> Response {
    let mut response = problem::Problem::new(StatusCode::UNAUTHORIZED, detail).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}
