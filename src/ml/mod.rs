//! ML jobs over the marts: customer segmentation, recommendations and anomaly detection.
//!
//! Each job reads its feature frame from the warehouse into polars ([`frames`]), fits
//! (linfa where linfa has the algorithm, ndarray by hand where it does not), evaluates
//! itself on held-out data next to a simple baseline, then replaces its `ml.*` tables and
//! records the run in `ml.model_runs`, all in one transaction: a killed job leaves the
//! previous results whole. Jobs are plain blocking functions taking a
//! [`ProgressSink`](crate::jobs::ProgressSink) and a [`CancelToken`](crate::jobs::CancelToken),
//! so the CLI, the pipeline and the workbench run them the same way.

pub mod als;
pub mod anomalies;
mod eval;
mod frames;
pub mod recommend;
mod runs;
pub mod segment;
pub mod summary;

pub use runs::{ModelRun, recent_runs};

use duckdb::Connection;
use duckdb::arrow::array::RecordBatch;

use crate::jobs::{CancelToken, Cancelled};

/// Why an ML job refused to run.
#[derive(Debug, thiserror::Error)]
pub enum MlError {
    #[error("{relation} does not exist: run `ecom models build` first")]
    MartsMissing { relation: String },
    #[error("too little data: {0}")]
    TooLittleData(String),
    #[error("{0}")]
    BadParameter(String),
}

/// The three jobs, by the name the CLI and the pipeline use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum MlModel {
    Segment,
    Recommend,
    Anomalies,
}

impl MlModel {
    pub fn name(self) -> &'static str {
        match self {
            MlModel::Segment => "segment",
            MlModel::Recommend => "recommend",
            MlModel::Anomalies => "anomalies",
        }
    }

    pub fn parse(name: &str) -> Result<Self, MlError> {
        <Self as clap::ValueEnum>::from_str(name, true).map_err(|_| {
            MlError::BadParameter(format!(
                "unknown ML model {name:?}: use segment, recommend or anomalies"
            ))
        })
    }
}

/// Runs `model` with its default options (as the pipeline does) and says in one line
/// what came out.
pub fn run_with_defaults(
    conn: &Connection,
    model: MlModel,
    progress: &dyn crate::jobs::ProgressSink,
    cancel: &CancelToken,
) -> anyhow::Result<String> {
    Ok(match model {
        MlModel::Segment => {
            let r = segment::segment(conn, &Default::default(), progress, cancel)?;
            format!("{} segments, silhouette {:.3}", r.k, r.silhouette)
        }
        MlModel::Recommend => {
            let r = recommend::recommend(conn, &Default::default(), progress, cancel)?;
            format!(
                "{} chosen, precision@10 {:.4} (popularity {:.4})",
                r.chosen, r.evaluation[&r.chosen].precision, r.evaluation["popularity"].precision
            )
        }
        MlModel::Anomalies => {
            let r = anomalies::anomalies(conn, &Default::default(), progress, cancel)?;
            format!(
                "{} days and {} lines flagged",
                r.flagged_days, r.flagged_lines
            )
        }
    })
}

/// Fails with "run `ecom models build` first" unless every `schema.table` exists.
pub fn require_relations(conn: &Connection, relations: &[&str]) -> anyhow::Result<()> {
    for relation in relations {
        if !crate::warehouse::catalog::relation_exists(conn, relation)? {
            return Err(MlError::MartsMissing {
                relation: relation.to_string(),
            }
            .into());
        }
    }
    Ok(())
}

/// Stops a job between steps when it was asked to.
fn check(cancel: &CancelToken) -> anyhow::Result<()> {
    if cancel.is_cancelled() {
        return Err(Cancelled.into());
    }
    Ok(())
}

/// Replaces `table` (`schema.name`) with `columns` (DDL) and the rows of `batch`, inside
/// the caller's transaction.
fn replace_table(
    conn: &Connection,
    table: &str,
    columns: &str,
    batch: RecordBatch,
) -> anyhow::Result<()> {
    let (schema, name) = table
        .split_once('.')
        .expect("ml tables are schema-qualified");
    conn.execute_batch(&format!("CREATE OR REPLACE TABLE {table} ({columns})"))?;
    frames::append_batch(conn, schema, name, batch)
}

/// The first and last `column` value of `table`: the data window a run learned from.
fn data_window(
    conn: &Connection,
    table: &str,
    column: &str,
) -> anyhow::Result<(Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>)> {
    Ok(conn.query_row(
        &format!("SELECT min({column})::TIMESTAMP, max({column})::TIMESTAMP FROM {table}"),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// `f` over every input, split across the cores; results keep the inputs' order.
fn par_map<T: Sync, R: Send>(inputs: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = inputs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = inputs
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("an ML worker thread panicked"))
            .collect()
    })
}
