//! A model run judged by the jobs' one outcome policy ([`crate::jobs::judge`]): the CLI,
//! the pipeline and the workbench all call [`outcome`], so "did the build fail" has one
//! answer: a node in error fails it, a failing test fails its data checks, and a
//! cancelled run says how far it got.

use crate::jobs::{Outcome, Tally, judge};

use super::{NodeStatus, RunSummary};

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
