//! Evaluating on the file's interval beside a long-running command (`ecom serve`,
//! `ecom tail`), on a connection of its own so it never waits on theirs.

use std::time::{Duration, Instant};

use duckdb::Connection;

use super::evaluate::{EvaluateOptions, evaluate};
use super::file::AlertsFile;
use crate::jobs::CancelToken;

/// Evaluates `file` every `file.interval` (the first time at once) until `cancel`;
/// returns how many evaluations ran. A failed evaluation is logged and the next one
/// runs on time: the alerts must outlive a bad minute.
pub fn run_every(
    conn: &Connection,
    file: &AlertsFile,
    options: &EvaluateOptions,
    cancel: &CancelToken,
) -> usize {
    let mut runs = 0;
    while !cancel.is_cancelled() {
        let started = Instant::now();
        match evaluate(conn, file, chrono::Utc::now(), options) {
            Ok(evaluation) => {
                let firing: usize = evaluation.rules.iter().map(|r| r.firing.len()).sum();
                let failed = evaluation.failed_deliveries().count();
                tracing::info!(firing, failed_deliveries = failed, "alerts evaluated");
            }
            Err(error) => tracing::warn!(%error, "alerts evaluation failed"),
        }
        runs += 1;
        while !cancel.is_cancelled() && started.elapsed() < file.interval {
            std::thread::sleep(Duration::from_millis(100).min(file.interval));
        }
    }
    runs
}
