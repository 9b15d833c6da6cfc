//! `ecom serve`: the warehouse's figures over HTTP for other applications, with token
//! auth, an answer cache, an OpenAPI document and Prometheus metrics.
//!
//! One writer: DuckDB lets one process write a file, and this server is that process
//! while it runs. Reads go through a [`pool::Pool`] of connections to its one database;
//! the scheduler (`--pipeline`) and the Kafka tail (`--tail`) run as [`BackgroundJob`]s
//! inside it on connections of the same database, so the API answers while data keeps
//! arriving, and each of their commits moves the cache on to the new data.

mod answer;
mod auth;
mod cache;
mod contract;
mod encode;
mod error;
pub mod guard;
mod http;
mod metrics;
mod options;
mod pool;
mod problem;
mod query;
mod rejection;
mod routes;
mod rows;
pub mod sandbox;
mod state;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use duckdb::Connection;

use crate::jobs::{CancelToken, JobError, JobKind, Outcome, ProgressSink, Registry};
use crate::warehouse::Warehouse;
pub use error::ServeError;
pub use options::ServeOptions;
pub use routes::dashboards::{BindRequest, PanelAnswer, PanelRequest};
pub use routes::job_start::{JobRequest, StartedJob};
pub use routes::jobs::JobInfo;
pub use routes::openapi::ApiDoc;
use routes::router;
pub use routes::workbench::{LookupAnswer, PARTS as WORKBENCH_PARTS};
use state::AppState;

/// Work the server runs beside the API on a connection of its database (the pipeline's
/// scheduler, the tail), as a job of the server's [`Registry`], cancelled when the server
/// shuts down.
pub struct BackgroundJob {
    pub kind: JobKind,
    pub name: String,
    #[allow(clippy::type_complexity)]
    pub work: Box<
        dyn FnOnce(&Connection, &dyn ProgressSink, &CancelToken) -> Result<Outcome, JobError>
            + Send,
    >,
}

/// Serves until SIGTERM or Ctrl+C, then lets requests in flight finish, stops the
/// background jobs, checkpoints the warehouse and returns. `ready` learns the bound address (useful with port 0).
pub fn run(
    warehouse: Warehouse,
    options: ServeOptions,
    jobs: Vec<BackgroundJob>,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let conn = warehouse.conn();
    // A client's `models` job reads the project's seeds through DuckDB.
    let project = crate::models::bundled::unpacked(warehouse.path())?;
    let mut options = options;
    options.sandbox.allowed_dirs.push(project.clone());
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
        jobs: Registry::new(),
        project,
        job_statements: Default::default(),
    });
    for job in jobs {
        let conn = conn.try_clone()?;
        let work = job.work;
        state.jobs.start(job.kind, &job.name, move |sink, cancel| {
            work(&conn, sink, cancel)
        });
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
            .map_err(|source| ServeError::Listen {
                addr: options.addr,
                source,
            })?;
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
        Ok::<_, ServeError>(())
    });
    state.cancel_all_jobs();
    if !state
        .jobs
        .wait_all(std::time::Instant::now() + Duration::from_secs(120))
    {
        tracing::warn!("background jobs still running two minutes after the stop");
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
