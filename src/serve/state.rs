//! What every handler shares: [`AppState`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use axum::extract::State;
use duckdb::{Connection, InterruptHandle};

use crate::jobs::JobId;

use super::options::ServeOptions;
use super::tokens::{self, ActiveToken};
use super::{cache, metrics, pool};

/// The state extractor of every handler.
pub(crate) type Shared = State<Arc<AppState>>;

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
    /// The background jobs (`--pipeline`, `--tail`, and those clients start through
    /// `POST /api/v1/jobs`): `/metrics` and `/api/v1/jobs` read their records.
    pub jobs: crate::jobs::Registry,
    /// The bundled model project, unpacked beside the warehouse: what the Models part
    /// lists and what a client's `models` job builds.
    pub project: std::path::PathBuf,
    /// The DuckDB statements of client-started builds and ML runs, interrupted when the
    /// job is cancelled: a model or a model fit may run for a minute between two of the
    /// job's own cancellation points.
    pub job_statements: Mutex<HashMap<JobId, Arc<InterruptHandle>>>,
}

impl AppState {
    /// Interrupts `statements` when job `id` is cancelled ([`AppState::cancel_job`]).
    pub(crate) fn interrupt_on_cancel(&self, id: JobId, statements: Arc<InterruptHandle>) {
        let mut all = self.job_statements.lock().expect("job statements lock");
        all.retain(|id, _| self.jobs.record(*id).is_some_and(|r| r.is_running()));
        all.insert(id, statements);
    }

    /// Asks job `id` to stop, interrupting its statement; false when it is not running.
    pub(crate) fn cancel_job(&self, id: JobId) -> bool {
        let asked = self.jobs.cancel(id);
        if asked
            && let Some(statements) = self
                .job_statements
                .lock()
                .expect("job statements lock")
                .get(&id)
        {
            statements.interrupt();
        }
        asked
    }

    /// Asks every job to stop, interrupting their statements (the server is stopping).
    pub(crate) fn cancel_all_jobs(&self) {
        self.jobs.cancel_all();
        for statements in self
            .job_statements
            .lock()
            .expect("job statements lock")
            .values()
        {
            statements.interrupt();
        }
    }

    /// Reloads the active tokens after the admin routes changed them.
    pub(crate) fn reload_tokens(&self, conn: &Connection) -> Result<(), tokens::TokenError> {
        let active = tokens::active(conn)?;
        *self.tokens.write().expect("tokens lock") = active;
        Ok(())
    }
}
