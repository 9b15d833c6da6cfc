//! What every handler shares: [`AppState`].

use std::sync::{Arc, RwLock};

use axum::extract::State;
use duckdb::Connection;

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
}

impl AppState {
    /// Reloads the active tokens after the admin routes changed them.
    pub(crate) fn reload_tokens(&self, conn: &Connection) -> Result<(), tokens::TokenError> {
        let active = tokens::active(conn)?;
        *self.tokens.write().expect("tokens lock") = active;
        Ok(())
    }
}
