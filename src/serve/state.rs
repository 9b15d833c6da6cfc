//! What every handler shares ([`AppState`]) and who is calling ([`Caller`]).

use std::sync::{Arc, RwLock};

use axum::extract::State;
use axum::http::{StatusCode, header};
use duckdb::Connection;

use super::auth::bearer;
use super::metrics::JobMetrics;
use super::options::ServeOptions;
use super::tokens::{self, ActiveToken, Scope};
use super::{cache, metrics, pool, problem};

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
    /// The background jobs' own figures.
    pub job_metrics: Vec<JobMetrics>,
}

impl AppState {
    /// Who presents the request's bearer token, when it is a known, active one.
    pub(crate) fn caller(&self, headers: &header::HeaderMap) -> Option<Caller> {
        let presented = bearer(headers)?;
        let active = self.tokens.read().expect("tokens lock");
        tokens::check(&active, presented).map(|t| Caller {
            name: t.name.clone(),
            scope: t.scope,
        })
    }

    /// Reloads the active tokens after the admin routes changed them.
    pub(crate) fn reload_tokens(&self, conn: &Connection) -> Result<(), tokens::TokenError> {
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
