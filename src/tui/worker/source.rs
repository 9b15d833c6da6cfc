//! Where the worker's answers come from: the warehouse file the workbench holds, or a
//! running `ecom serve` read through its API. Results are kept in the worker's own
//! DuckDB either way (a remote answer is copied into a temporary table as it arrives),
//! so the grid, its jobs, charts and exports never know the difference.

use std::path::PathBuf;
use std::time::Instant;

use duckdb::Connection;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::Request;
use crate::remote::{Blocking, Cancel, Canceller, QueryRequest};
use crate::tui::action::Action;
use crate::tui::failure::{Failure, Reported};
use crate::tui::screens::alerts::AlertsView;
use crate::warehouse::catalog;
use crate::warehouse::pager::{self, PagedResult};

/// Rows a remote SQL tab asks for at most (the server caps them at its `--max-rows`).
const REMOTE_ROWS: usize = 100_000;

/// What the worker reads.
#[derive(Debug, Clone)]
pub enum Source {
    /// The warehouse of the worker's connection, and the bundled project's folder.
    Local { project: PathBuf },
    /// A running `ecom serve`; the worker's connection only keeps results.
    Remote {
        remote: Blocking,
        canceller: Canceller,
    },
}

/// `GET /api/v1/workbench/lookup`'s answer.
#[derive(Deserialize)]
struct LookupAnswer {
    title: String,
    list: Vec<crate::ml::recommend::Suggestion>,
}

impl Source {
    /// A token for a query starting now, cancelled by [`Self::cancel`] (remote only).
    pub(super) fn cancel_token(&self) -> Option<Cancel> {
        match self {
            Self::Local { .. } => None,
            Self::Remote { canceller, .. } => Some(canceller.token()),
        }
    }

    /// Cancels the remote request in flight, if any.
    pub(super) fn cancel(&self) {
        if let Self::Remote { canceller, .. } = self {
            canceller.cancel();
        }
    }

    /// Runs one statement of a SQL tab into `temp.{table}`.
    pub(super) fn run(
        &self,
        conn: &Connection,
        sql: &str,
        table: &str,
        cancel: Option<Cancel>,
    ) -> Result<(PagedResult, Option<String>), Failure> {
        match (self, cancel) {
            (Self::Remote { remote, .. }, Some(mut cancel)) => {
                remote_run(remote, conn, sql, table, &mut cancel)
            }
            _ => pager::run(conn, sql, table)
                .map(|result| (result, None))
                .map_err(|e| Failure(super::explain_query_error(&e.to_string()))),
        }
    }

    /// The answer to a request that reads the warehouse's state (the catalog, a
    /// screen's figures) rather than a result; `None` for the other requests.
    pub(super) fn load(&self, conn: &Connection, request: &Request) -> Option<Action> {
        Some(match (self, request) {
            (Self::Local { .. }, Request::Catalog) => {
                Action::CatalogLoaded(catalog::relations(conn).map_err(Failure::of))
            }
            (Self::Remote { remote, .. }, Request::Catalog) => {
                Action::CatalogLoaded(part(remote, "catalog"))
            }
            (Self::Local { project }, Request::Models) => Action::ModelsLoaded(
                crate::models::overview::load(project)
                    .map_err(|e| Failure(format!("{:#}", anyhow::Error::from(e)))),
            ),
            (Self::Remote { remote, .. }, Request::Models) => {
                Action::ModelsLoaded(part(remote, "models"))
            }
            (Self::Local { .. }, Request::Ml) => Action::MlLoaded(Box::new(
                crate::ml::summary::summary(conn).map_err(|e| Failure(format!("{e:#}"))),
            )),
            (Self::Remote { remote, .. }, Request::Ml) => {
                Action::MlLoaded(Box::new(part(remote, "ml")))
            }
            (Self::Local { .. }, Request::Lookup(text)) => {
                let what = crate::ml::recommend::Lookup::parse(text);
                Action::LookupAnswered(match crate::ml::recommend::lookup(conn, &what) {
                    Ok(Some(list)) => Ok((what.title(), list)),
                    Ok(None) => Err(NO_RECOMMENDATIONS.into()),
                    Err(e) => Err(Failure(format!("{e:#}"))),
                })
            }
            (Self::Remote { remote, .. }, Request::Lookup(text)) => {
                let answer = remote.block_on(remote.client.get_with::<Option<LookupAnswer>>(
                    "api/v1/workbench/lookup",
                    &[("text", text.as_str())],
                ));
                Action::LookupAnswered(match answer {
                    Ok(Some(answer)) => Ok((answer.title, answer.list)),
                    Ok(None) => Err(NO_RECOMMENDATIONS.into()),
                    Err(e) => Err(Failure::of(e)),
                })
            }
            (Self::Local { .. }, Request::Stream) => {
                Action::StreamLoaded(crate::stream::recent::load(conn, 12).map_err(Failure::of))
            }
            (Self::Remote { remote, .. }, Request::Stream) => {
                Action::StreamLoaded(part(remote, "stream"))
            }
            (Self::Local { .. }, Request::RecentRuns) => Action::RecentRunsLoaded(
                crate::warehouse::history::recent_runs(conn, 50).map_err(Failure::of),
            ),
            (Self::Remote { remote, .. }, Request::RecentRuns) => {
                Action::RecentRunsLoaded(part(remote, "runs"))
            }
            (Self::Local { .. }, Request::Quality) => {
                Action::QualityLoaded(catalog::quality(conn).map_err(Failure::of))
            }
            (Self::Remote { remote, .. }, Request::Quality) => {
                Action::QualityLoaded(part(remote, "quality"))
            }
            (Self::Local { .. }, Request::Alerts(file)) => {
                Action::AlertsLoaded(Box::new(AlertsView::load(conn, file)))
            }
            (Self::Local { .. }, Request::SilenceAlert { file, rule, until }) => {
                let done = match until {
                    Some(until) => crate::alerts::silence(conn, rule, *until),
                    None => crate::alerts::unsilence(conn, rule),
                };
                Action::AlertsLoaded(Box::new(
                    done.map_err(Failure::of)
                        .and_then(|()| AlertsView::load(conn, file)),
                ))
            }
            (Self::Remote { .. }, Request::Alerts(_) | Request::SilenceAlert { .. }) => {
                Action::AlertsLoaded(Box::new(Err(ALERTS_ARE_THE_SERVERS.into())))
            }
            _ => return None,
        })
    }
}

const NO_RECOMMENDATIONS: &str = "no recommendations yet: c runs the job";
const ALERTS_ARE_THE_SERVERS: &str = "the server evaluates its own alert rules (`ecom serve --alerts`): run `ecom alerts ls` where it runs";

/// One part of the workbench's state from `GET /api/v1/workbench/{part}`.
fn part<T: DeserializeOwned>(remote: &Blocking, part: &str) -> Reported<T> {
    remote
        .block_on(remote.client.get(&format!("api/v1/workbench/{part}")))
        .map_err(Failure::of)
}

/// Runs `sql` on the server and keeps its rows in `temp.{table}` as they arrive; the
/// second value says when the server cut the rows.
fn remote_run(
    remote: &Blocking,
    conn: &Connection,
    sql: &str,
    table: &str,
    cancel: &mut Cancel,
) -> Result<(PagedResult, Option<String>), Failure> {
    let started = Instant::now();
    let request = QueryRequest {
        sql: sql.trim().trim_end_matches(';').to_string(),
        limit: Some(REMOTE_ROWS),
    };
    let answered = remote
        .block_on(remote.client.query_into(conn, table, &request, cancel))
        .map_err(Failure::of)?;
    let result = pager::adopt(conn, table, started)
        .map_err(|e| Failure(super::explain_query_error(&e.to_string())))?;
    let cut = answered.truncated.then(|| {
        format!(
            "the server answered the first {} rows only (its --max-rows or --max-answer-bytes)",
            crate::format::thousands(answered.rows)
        )
    });
    Ok((result, cut))
}
