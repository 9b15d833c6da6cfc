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
mod error;
mod eval;
mod frames;
mod job;
pub mod recommend;
mod runs;
pub mod segment;
pub mod summary;

pub use error::MlError;
pub use job::require_relations;
pub use runs::{ModelRun, recent_runs};

use duckdb::Connection;

use crate::jobs::CancelToken;
use error::Result;

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

/// [`run_with_defaults`] as a background job (the workbench's and `ecom serve`'s): a
/// run whose cancel interrupted its statement ends cancelled, not failed with DuckDB's
/// interrupt error.
pub fn job(
    conn: &Connection,
    model: MlModel,
    progress: &dyn crate::jobs::ProgressSink,
    cancel: &CancelToken,
) -> std::result::Result<crate::jobs::Outcome, crate::jobs::JobError> {
    match run_with_defaults(conn, model, progress, cancel) {
        Ok(summary) => Ok(crate::jobs::Outcome::succeeded(summary)),
        Err(e) if cancel.is_cancelled() => Ok(crate::jobs::Outcome::Cancelled {
            summary: format!("cancelled ({e})"),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Runs `model` with its default options (as the pipeline does) and says in one line
/// what came out.
pub fn run_with_defaults(
    conn: &Connection,
    model: MlModel,
    progress: &dyn crate::jobs::ProgressSink,
    cancel: &CancelToken,
) -> Result<String> {
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
