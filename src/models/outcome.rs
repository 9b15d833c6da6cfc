//! A model run judged by the jobs' one outcome policy ([`crate::jobs::judge`]): the CLI,
//! the pipeline and the workbench all call [`outcome`], so "did the build fail" has one
//! answer: a node in error fails it, a failing test fails its data checks, and a
//! cancelled run says how far it got.

use crate::jobs::{CancelToken, JobError, Outcome, ProgressSink, Tally, judge};

use super::{NodeStatus, RunSummary};

/// Builds the `select`ed nodes (all when empty) of the project in `dir` as a background
/// job, judged by [`outcome`]: the workbench's and `ecom serve`'s model builds.
pub fn build_job(
    conn: &duckdb::Connection,
    dir: &std::path::Path,
    select: Vec<String>,
    threads: usize,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<Outcome, JobError> {
    match super::build_project(conn, dir, select, threads, progress, cancel) {
        Ok(summary) => Ok(outcome(&summary, cancel.is_cancelled())),
        // A cancel interrupts the statement running: its error is the cancel's doing.
        Err(e) if cancel.is_cancelled() => Ok(Outcome::Cancelled {
            summary: format!("cancelled while building ({e})"),
        }),
        Err(e) => Err(e.into()),
    }
}

/// How `summary` came out; `cancelled` when the run was asked to stop.
pub fn outcome(summary: &RunSummary, cancelled: bool) -> Outcome {
    let tally = Tally {
        total: summary.results.len(),
        errors: summary.count(NodeStatus::Error),
        check_failures: summary.count(NodeStatus::Fail),
        skipped: summary.count(NodeStatus::Skipped),
        cancelled,
    };
    judge(
        "nodes",
        tally,
        format!(
            "{} nodes in {:.1} s",
            summary.results.len(),
            summary.elapsed_time
        ),
    )
}
