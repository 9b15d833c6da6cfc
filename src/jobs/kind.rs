//! What kind of work a job is: the one list every front end (CLI, workbench, `serve`,
//! pipeline configuration) names jobs from.

use serde::{Deserialize, Serialize};

/// The kinds of background work ecom runs. The lowercase names are what users write in a
/// pipeline's `kind = "…"` and what `/metrics` and the Jobs screen show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Files into `raw` (the workbench's sample and file loads too).
    Ingest,
    /// A dbt-style build, run or test of a project.
    Models,
    /// Segmentation, recommendations or anomaly detection.
    Ml,
    /// Tables out to a lake folder or S3.
    Export,
    /// A pipeline job's own SQL.
    Sql,
    /// Consuming a Kafka topic into `stream.*`.
    Tail,
    /// The pipeline's scheduler: runs of the whole DAG.
    Pipeline,
    /// An evaluation of the alert rules.
    Alerts,
}

impl JobKind {
    /// The kinds a pipeline job may have.
    pub const PIPELINE_JOBS: [JobKind; 5] = [
        JobKind::Ingest,
        JobKind::Models,
        JobKind::Sql,
        JobKind::Export,
        JobKind::Ml,
    ];

    pub fn name(self) -> &'static str {
        match self {
            JobKind::Ingest => "ingest",
            JobKind::Models => "models",
            JobKind::Ml => "ml",
            JobKind::Export => "export",
            JobKind::Sql => "sql",
            JobKind::Tail => "tail",
            JobKind::Pipeline => "pipeline",
            JobKind::Alerts => "alerts",
        }
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serde_names() {
        for kind in [JobKind::Tail, JobKind::Pipeline]
            .into_iter()
            .chain(JobKind::PIPELINE_JOBS)
        {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
            assert_eq!(serde_json::from_str::<JobKind>(&json).unwrap(), kind);
        }
    }
}
