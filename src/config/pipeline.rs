//! `[pipeline]`: the jobs `ecom pipeline run` runs, and the checks of each job.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::ConfigProblem;

/// `ecom pipeline run`: the DAG of jobs. Without `[[pipeline.jobs]]`, the default DAG is
/// ingest (when `ingest_paths` is set) then models.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// Files, folders or globs the `ingest` job loads (new files only: ingest is idempotent).
    pub ingest_paths: Vec<String>,
    /// The dbt project the `models` job builds (default: the bundled one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<PathBuf>,
    pub jobs: Vec<PipelineJob>,
}

/// One job of the pipeline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineJob {
    pub name: String,
    /// `ingest`, `models` (dbt build), `sql`, `export` or `ml`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<crate::jobs::JobKind>,
    pub depends_on: Vec<String>,
    pub retries: u32,
    /// First retry delay, doubled for each later one (`2s`, `1m`).
    pub backoff: String,
    /// Per-attempt limit (`10m`); none when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// `models`: dbt selection; empty builds everything.
    pub select: Vec<String>,
    /// `sql`: the statement to run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// `export`: a folder or s3://BUCKET/PREFIX.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `export`: an S3-compatible endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// `export`: table patterns (default: raw lines, marts, stream, ml).
    pub tables: Vec<String>,
    /// `ml`: segment, recommend or anomalies (run with their default options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl PipelineJob {
    /// Checks what `Config::validate` checks of one job.
    pub(super) fn validate(&self) -> Result<(), ConfigProblem> {
        let job = || self.name.clone();
        if !self
            .kind
            .is_some_and(|k| crate::jobs::JobKind::PIPELINE_JOBS.contains(&k))
        {
            return Err(ConfigProblem::JobKind(job()));
        }
        if self.kind == Some(crate::jobs::JobKind::Ml) {
            let model = self.model.as_deref().unwrap_or_default();
            crate::ml::MlModel::parse(model)
                .map_err(|source| ConfigProblem::JobModel { job: job(), source })?;
        }
        if self.kind == Some(crate::jobs::JobKind::Export) && self.to.is_none() {
            return Err(ConfigProblem::ExportWithoutTo(job()));
        }
        humantime::parse_duration(&self.backoff).map_err(|source| ConfigProblem::Backoff {
            job: job(),
            value: self.backoff.clone(),
            source,
        })?;
        if let Some(timeout) = &self.timeout {
            humantime::parse_duration(timeout).map_err(|source| ConfigProblem::Timeout {
                job: job(),
                value: timeout.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

impl Default for PipelineJob {
    fn default() -> Self {
        Self {
            name: String::new(),
            kind: None,
            depends_on: Vec::new(),
            retries: 2,
            backoff: "2s".into(),
            timeout: None,
            select: Vec::new(),
            sql: None,
            to: None,
            endpoint: None,
            tables: Vec::new(),
            model: None,
        }
    }
}
