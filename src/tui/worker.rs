//! The workbench's database worker: one thread that owns one DuckDB connection, runs
//! queries into its temporary result table and serves pages of it. Requests queue on a
//! channel; a burst is coalesced so only the latest query and page are worked on.

mod source;
mod store;

pub use source::Source;
pub use store::ResultStore;

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use duckdb::{Connection, InterruptHandle};
use tokio::sync::mpsc::UnboundedSender;

use crate::warehouse::pager::{self, PagedResult};

use super::action::Action;
use super::effect::StatementRun;
use super::grid::GridResult;
use crate::tui::failure::Failure;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Catalog,
    /// Write the result of `query_id` to `path` (CSV or Parquet by extension).
    Export {
        query_id: u64,
        path: String,
    },
    Models,
    Quality,
    /// The alert rules of a file and their state.
    Alerts(PathBuf),
    /// Silence a rule until then (`None` lifts it), then read the rules again.
    SilenceAlert {
        file: PathBuf,
        rule: String,
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// What ran in this warehouse, for the Jobs screen.
    RecentRuns,
    Ml,
    Stream,
    Lookup(String),
    /// Run statements in order into the results of a SQL tab's slot (see
    /// [`crate::tui::effect::Effect::RunQuery`]).
    Run {
        slot: u32,
        statements: Vec<StatementRun>,
        fresh: bool,
    },
    /// A tab closed: drop its results.
    Discard {
        slot: u32,
    },
    Page {
        query_id: u64,
        start: u64,
        limit: u64,
    },
    /// Compute a chart of the result of `query_id` (cancellable as query `id`).
    Chart {
        id: u64,
        query_id: u64,
        spec: crate::warehouse::chart_data::ChartSpec,
    },
    /// A grid's view, search or profile, cancellable like a query by its id.
    Grid {
        id: u64,
        job: super::grid::jobs::GridJob,
    },
}

/// The UI's handle on the worker.
pub struct Worker {
    requests: Sender<Request>,
    interrupt: Arc<InterruptHandle>,
    queries: Arc<Mutex<Queries>>,
    /// Where answers come from; a remote query is cancelled through it.
    source: Source,
    thread: std::thread::JoinHandle<()>,
}

/// The query the worker runs now, and queued ones cancelled before their turn: one
/// connection serves every SQL tab, so cancelling one tab's query must not interrupt
/// another's.
#[derive(Default)]
struct Queries {
    running: Option<u64>,
    cancelled: std::collections::HashSet<u64>,
}

impl Queries {
    /// Marks `id` as running; false when it was cancelled while it waited.
    fn start(queries: &Mutex<Queries>, id: u64) -> bool {
        let mut q = queries.lock().unwrap_or_else(|e| e.into_inner());
        if q.cancelled.remove(&id) {
            return false;
        }
        q.running = Some(id);
        true
    }

    fn finish(queries: &Mutex<Queries>) {
        queries.lock().unwrap_or_else(|e| e.into_inner()).running = None;
    }

    /// The statements a stopped run never reached: their cancels have nothing to stop.
    fn forget(queries: &Mutex<Queries>, ids: impl Iterator<Item = u64>) {
        let mut q = queries.lock().unwrap_or_else(|e| e.into_inner());
        for id in ids {
            q.cancelled.remove(&id);
        }
    }
}

impl Worker {
    /// Starts the worker on `conn`, reading `source`; its reports arrive as actions on
    /// `events`.
    pub fn start(conn: Connection, source: Source, events: UnboundedSender<Action>) -> Self {
        let (requests, inbox) = channel();
        let interrupt = conn.interrupt_handle();
        let queries = Arc::new(Mutex::new(Queries::default()));
        let shared = Arc::clone(&queries);
        let reads = source.clone();
        let thread = std::thread::Builder::new()
            .name("db-worker".into())
            .spawn(move || serve(conn, &reads, inbox, events, &shared))
            .expect("the OS refused to start a thread");
        Self {
            requests,
            interrupt,
            queries,
            source,
            thread,
        }
    }

    /// Stops the worker (interrupting the statement it runs; requests it already took
    /// still run) and waits until its connection is closed.
    pub fn stop(self) {
        drop(self.requests);
        self.interrupt.interrupt();
        self.source.cancel();
        let _ = self.thread.join();
    }

    pub fn send(&self, request: Request) {
        let _ = self.requests.send(request);
    }

    /// Cancels query `id`: DuckDB stops it if it is the one running (it then finishes
    /// with an error), else it is skipped when its turn comes.
    pub fn interrupt(&self, id: u64) {
        let mut queries = self.queries.lock().unwrap_or_else(|e| e.into_inner());
        if queries.running == Some(id) {
            self.interrupt.interrupt();
            self.source.cancel();
        } else {
            queries.cancelled.insert(id);
        }
    }
}

/// Drops requests a newer one makes pointless: older runs into the same tab's slot, and
/// pages of a result but the latest one asked for.
fn coalesce(mut batch: Vec<Request>) -> Vec<Request> {
    let last_run = |slot: u32| {
        batch
            .iter()
            .rposition(|r| matches!(r, Request::Run { slot: s, .. } if *s == slot))
    };
    let last_page = |id: u64| {
        batch
            .iter()
            .rposition(|r| matches!(r, Request::Page { query_id, .. } if *query_id == id))
    };
    let keep: Vec<bool> = batch
        .iter()
        .enumerate()
        .map(|(i, r)| match r {
            Request::Run { slot, .. } => Some(i) == last_run(*slot),
            Request::Page { query_id, .. } => Some(i) == last_page(*query_id),
            _ => true,
        })
        .collect();
    let mut keep_catalog = true;
    let mut index = 0;
    batch.retain(|r| {
        let i = index;
        index += 1;
        match r {
            Request::Run { .. } | Request::Page { .. } | Request::Discard { .. } => keep[i],
            // A cancelled chart is skipped by its guard; the others are each awaited.
            Request::Chart { .. } => true,
            Request::Catalog => std::mem::take(&mut keep_catalog),
            Request::Quality
            | Request::Alerts(_)
            | Request::SilenceAlert { .. }
            | Request::RecentRuns
            | Request::Ml
            | Request::Stream
            | Request::Lookup(_)
            | Request::Models
            | Request::Export { .. }
            | Request::Grid { .. } => true,
        }
    });
    batch
}

fn serve(
    conn: Connection,
    source: &Source,
    inbox: Receiver<Request>,
    events: UnboundedSender<Action>,
    queries: &Mutex<Queries>,
) {
    let mut results = ResultStore::default();
    while let Ok(first) = inbox.recv() {
        let mut batch = vec![first];
        batch.extend(inbox.try_iter());
        for request in coalesce(batch) {
            if let Some(action) = source.load(&conn, &request) {
                if events.send(action).is_err() {
                    return;
                }
                continue;
            }
            let action = match request {
                Request::Export { query_id, path } => {
                    Action::ResultExported(match results.get(query_id) {
                        Some(result) => pager::export(&conn, result, &path)
                            .map(|()| path.clone())
                            .map_err(|e| Failure(format!("{e:#}"))),
                        None => Err("the result is gone: run the query again".into()),
                    })
                }
                Request::Discard { slot } => {
                    results.remove_slot(&conn, slot);
                    continue;
                }
                Request::Run {
                    slot,
                    statements,
                    fresh,
                } => {
                    let run = Run {
                        conn: &conn,
                        source,
                        queries,
                        events: &events,
                    };
                    if !run.statements(&mut results, slot, statements, fresh) {
                        return;
                    }
                    continue;
                }
                Request::Chart { id, .. } if !Queries::start(queries, id) => {
                    Action::ChartLoaded(id, Box::new(Err("chart cancelled".into())))
                }
                Request::Chart { id, query_id, spec } => {
                    let data = chart_of(&conn, results.get(query_id), &spec);
                    Queries::finish(queries);
                    Action::ChartLoaded(id, Box::new(data))
                }
                Request::Page {
                    query_id,
                    start,
                    limit,
                } => match results.get(query_id) {
                    Some(result) => match pager::page(&conn, result, start, limit) {
                        Ok(rows) => Action::PageLoaded {
                            query_id,
                            start,
                            rows,
                        },
                        Err(e) => Action::QueryFinished(query_id, Err(Failure::of(e))),
                    },
                    _ => continue,
                },
                Request::Grid { id, .. } if !Queries::start(queries, id) => {
                    Action::GridJobDone(id, Err("cancelled before it started".into()))
                }
                Request::Grid { id, job } => {
                    let answer = results.run_grid_job(&conn, id, job);
                    Queries::finish(queries);
                    Action::GridJobDone(id, answer)
                }
                // Answered by the source above.
                Request::Catalog
                | Request::Models
                | Request::Quality
                | Request::Alerts(_)
                | Request::SilenceAlert { .. }
                | Request::RecentRuns
                | Request::Ml
                | Request::Stream
                | Request::Lookup(_) => continue,
            };
            if events.send(action).is_err() {
                return;
            }
        }
    }
}

/// What running a tab's statements needs from the worker.
struct Run<'a> {
    conn: &'a Connection,
    source: &'a Source,
    queries: &'a Mutex<Queries>,
    events: &'a UnboundedSender<Action>,
}

/// The chart `spec` of a result, computed over its whole table.
fn chart_of(
    conn: &Connection,
    result: Option<&PagedResult>,
    spec: &crate::warehouse::chart_data::ChartSpec,
) -> crate::tui::failure::Reported<crate::warehouse::chart_data::ChartData> {
    let Some(result) = result else {
        return Err("the result is gone: run the query again".into());
    };
    let pager::ResultRows::Table(table) = &result.rows else {
        return Err("this statement's result cannot be charted: chart a SELECT".into());
    };
    crate::warehouse::chart_data::compute(
        conn,
        &format!("temp.{table}"),
        &result.columns,
        result.total_rows,
        spec,
    )
    .map_err(|e| Failure(explain_query_error(&e.to_string())))
}

impl Run<'_> {
    /// Runs a SQL tab's statements in order, each into its own result, reporting each
    /// as it finishes; the first failure or cancel stops the rest. False when the UI is
    /// gone.
    fn statements(
        &self,
        results: &mut ResultStore,
        slot: u32,
        statements: Vec<StatementRun>,
        fresh: bool,
    ) -> bool {
        if fresh {
            results.remove_slot(self.conn, slot);
        }
        let mut rest = statements.into_iter();
        while let Some(statement) = rest.next() {
            let outcome = self.one(results, slot, &statement);
            let failed = outcome.is_err();
            if self
                .events
                .send(Action::QueryFinished(statement.id, outcome))
                .is_err()
            {
                return false;
            }
            if failed {
                Queries::forget(self.queries, rest.map(|s| s.id));
                break;
            }
        }
        true
    }

    /// One statement, unless it was cancelled while it waited.
    fn one(
        &self,
        results: &mut ResultStore,
        slot: u32,
        statement: &StatementRun,
    ) -> Result<GridResult, Failure> {
        // Taken before the query is marked running, so a cancel never falls between.
        let cancel = self.source.cancel_token();
        if !Queries::start(self.queries, statement.id) {
            return Err("cancelled before it started".into());
        }
        let table = pager::result_table(slot, statement.result);
        let result = self.source.run(self.conn, &statement.sql, &table, cancel);
        Queries::finish(self.queries);
        let (result, cut) = result?;
        if let Some(cut) = cut {
            let _ = self.events.send(Action::Notice(cut));
        }
        let grid = GridResult::of(statement.id, &result);
        results.insert(self.conn, (slot, statement.result), statement.id, result);
        Ok(grid)
    }
}

/// DuckDB's interrupt error, said plainly.
pub(super) fn explain_query_error(text: &str) -> String {
    if text.contains("Interrupt") {
        "query cancelled".into()
    } else {
        text.lines().collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(id: u64, sql: &str, result: u32) -> StatementRun {
        StatementRun {
            id,
            sql: sql.into(),
            result,
        }
    }

    fn temp_tables(conn: &Connection) -> i64 {
        conn.query_row(
            "SELECT count(*) FROM duckdb_tables() WHERE temporary",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    /// What a worker's `Run` works with: a connection, the query guard and the channel
    /// it reports on (its other end in `reports`).
    struct Fixture {
        conn: Connection,
        source: Source,
        queries: Mutex<Queries>,
        events: UnboundedSender<Action>,
        reports: tokio::sync::mpsc::UnboundedReceiver<Action>,
    }

    impl Fixture {
        fn new() -> Self {
            let (events, reports) = tokio::sync::mpsc::unbounded_channel();
            Self {
                conn: Connection::open_in_memory().unwrap(),
                source: Source::Local {
                    project: PathBuf::new(),
                },
                queries: Mutex::new(Queries::default()),
                events,
                reports,
            }
        }

        fn run(&self) -> Run<'_> {
            Run {
                conn: &self.conn,
                source: &self.source,
                queries: &self.queries,
                events: &self.events,
            }
        }
    }

    #[test]
    fn statements_run_in_order_each_into_its_own_table_and_none_leak() {
        let mut fixture = Fixture::new();
        let mut results = ResultStore::default();
        let script = vec![
            statement(1, "select 1 as a", 0),
            statement(2, "select * from range(5)", 1),
            statement(3, "select 3 as c", 2),
        ];
        assert!(fixture.run().statements(&mut results, 1, script, true));
        let mut finished = Vec::new();
        while let Ok(Action::QueryFinished(id, Ok(grid))) = fixture.reports.try_recv() {
            finished.push((id, grid.total_rows, grid.columns[0].name.clone()));
        }
        assert_eq!(
            finished,
            vec![
                (1, 1, "a".into()),
                (2, 5, "range".into()),
                (3, 1, "c".into())
            ]
        );
        assert_eq!(temp_tables(&fixture.conn), 3);
        assert!(results.get(2).is_some());
        // Another tab's result stays when this one runs again, with one statement.
        assert!(
            fixture
                .run()
                .statements(&mut results, 2, vec![statement(4, "select 4", 0)], true)
        );
        assert!(
            fixture
                .run()
                .statements(&mut results, 1, vec![statement(5, "select 5", 0)], true)
        );
        assert_eq!(
            temp_tables(&fixture.conn),
            2,
            "the re-run dropped its old results"
        );
        assert!(results.get(2).is_none());
        results.remove_slot(&fixture.conn, 1);
        results.remove_slot(&fixture.conn, 2);
        assert_eq!(temp_tables(&fixture.conn), 0);
        assert!(results.is_empty());
    }

    #[test]
    fn a_failing_or_cancelled_statement_stops_the_rest() {
        let mut fixture = Fixture::new();
        let mut results = ResultStore::default();
        let script = vec![
            statement(1, "select 1", 0),
            statement(2, "select nope", 1),
            statement(3, "select 3", 2),
        ];
        fixture.run().statements(&mut results, 1, script, true);
        assert!(matches!(
            fixture.reports.try_recv(),
            Ok(Action::QueryFinished(1, Ok(_)))
        ));
        match fixture.reports.try_recv() {
            Ok(Action::QueryFinished(2, Err(e))) => assert!(e.0.contains("nope"), "{e:?}"),
            other => panic!("{other:?}"),
        }
        assert!(fixture.reports.try_recv().is_err(), "statement 3 never ran");
        // Esc while statement 1 waits: it is skipped and the cancels of the rest forgotten.
        fixture.queries.lock().unwrap().cancelled.extend([4, 5]);
        let script = vec![statement(4, "select 4", 0), statement(5, "select 5", 1)];
        fixture.run().statements(&mut results, 1, script, true);
        assert!(matches!(
            fixture.reports.try_recv(),
            Ok(Action::QueryFinished(4, Err(_)))
        ));
        assert!(fixture.reports.try_recv().is_err());
        assert!(fixture.queries.lock().unwrap().cancelled.is_empty());
        assert_eq!(temp_tables(&fixture.conn), 0);
    }

    #[test]
    fn a_query_cancelled_while_it_waits_is_skipped_not_interrupted() {
        let queries = Mutex::new(Queries::default());
        assert!(Queries::start(&queries, 1));
        // Query 2 (another tab's) is cancelled while query 1 runs: 1 goes on.
        queries.lock().unwrap().cancelled.insert(2);
        assert_eq!(queries.lock().unwrap().running, Some(1));
        Queries::finish(&queries);
        assert!(
            !Queries::start(&queries, 2),
            "2 is skipped when its turn comes"
        );
        assert!(Queries::start(&queries, 3));
    }

    #[test]
    fn bursts_keep_the_latest_run_and_page() {
        let page = |start| Request::Page {
            query_id: 1,
            start,
            limit: 10,
        };
        let run = |id| Request::Run {
            slot: 1,
            statements: vec![statement(id, "select 1", 0)],
            fresh: true,
        };
        let kept = coalesce(vec![
            Request::Catalog,
            page(0),
            run(1),
            page(10),
            run(2),
            Request::Catalog,
            page(20),
        ]);
        assert_eq!(kept, vec![Request::Catalog, run(2), page(20)]);
        // Another tab's run leaves the first tab's run and pages alone.
        let other = Request::Run {
            slot: 2,
            statements: vec![statement(3, "select 2", 0)],
            fresh: true,
        };
        let kept = coalesce(vec![run(1), page(0), other.clone(), page(10)]);
        assert_eq!(kept, vec![run(1), other, page(10)]);
    }
}
