//! Progress is data: `{job, done, total, unit, message, detail}`, sent, never printed.

use serde::Serialize;

use super::Detail;

/// What `done` and `total` count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Bytes,
    Rows,
    Files,
    Steps,
}

/// One progress record of a job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub job: String,
    pub done: u64,
    pub total: Option<u64>,
    pub unit: Unit,
    pub message: String,
    /// What the record says beyond its counters, when the job has more to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
}

impl Progress {
    pub fn new(job: &str, done: u64, total: Option<u64>, unit: Unit) -> Self {
        Self {
            job: job.to_string(),
            done,
            total,
            unit,
            message: String::new(),
            detail: None,
        }
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn with_detail(mut self, detail: Detail) -> Self {
        self.detail = Some(detail);
        self
    }

    /// Completed fraction in `0.0..=1.0`, when the total is known.
    pub fn ratio(&self) -> Option<f64> {
        self.total
            .filter(|&t| t > 0)
            .map(|t| (self.done as f64 / t as f64).clamp(0.0, 1.0))
    }
}

/// Where a job sends its progress: a channel, a progress bar, or nowhere.
pub trait ProgressSink: Sync {
    fn report(&self, progress: Progress);
}

impl<F: Fn(Progress) + Sync> ProgressSink for F {
    fn report(&self, progress: Progress) {
        self(progress)
    }
}

/// A sink that drops every record, for callers that do not watch.
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn report(&self, _progress: Progress) {}
}
