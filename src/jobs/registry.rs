//! The registry of background jobs: every front end starts its jobs here, so the CLI,
//! the workbench's Jobs screen and `serve`'s `/metrics` see the same list, the same
//! progress and the same [`Outcome`]s.
//!
//! A job runs on its own thread ([`super::spawn`]); a panic inside it fails that job
//! only. Whoever started the job may watch its [`JobUpdate`]s as they happen
//! ([`Registry::start_watched`]) or wait for its value ([`Started::wait`]); everyone else
//! reads its [`JobRecord`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use serde::Serialize;

use super::outcome::{JobError, Outcome};
use super::{CancelToken, JobEvent, JobHandle, JobKind, Progress, ProgressSink};

/// A job's number, unique within its registry.
pub type JobId = u64;

/// A job's value says how it went: a model build's summary is judged by the outcome
/// policy, a plain [`Outcome`] is itself.
pub trait Judged {
    fn outcome(&self) -> Outcome;
}

impl Judged for Outcome {
    fn outcome(&self) -> Outcome {
        self.clone()
    }
}

/// Where a job is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum JobState {
    Running,
    Finished(Outcome),
}

/// What the registry knows of one job.
#[derive(Debug, Clone, Serialize)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: JobKind,
    pub name: String,
    pub state: JobState,
    /// The latest progress record (with its detail: a tail's live figures, say).
    pub last: Option<Progress>,
}

impl JobRecord {
    pub fn is_running(&self) -> bool {
        self.state == JobState::Running
    }

    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.state {
            JobState::Running => None,
            JobState::Finished(outcome) => Some(outcome),
        }
    }

    /// The sentence of a job that ended [`Outcome::Failed`].
    pub fn failure(&self) -> Option<&str> {
        match self.outcome()? {
            Outcome::Failed { sentence } => Some(sentence),
            _ => None,
        }
    }
}

/// What a job's watcher is told, in the order it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum JobUpdate {
    Progress { id: JobId, progress: Progress },
    Finished { id: JobId, outcome: Outcome },
}

struct Entry {
    record: JobRecord,
    cancel: CancelToken,
    handle: Option<JobHandle>,
}

#[derive(Default)]
struct Shared {
    entries: Mutex<Vec<Entry>>,
    next_id: AtomicU64,
}

impl Shared {
    fn update(&self, id: JobId, change: impl FnOnce(&mut JobRecord)) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = entries.iter_mut().find(|e| e.record.id == id) {
            change(&mut entry.record);
        }
    }
}

/// The background jobs of one process. Cloning shares the registry.
#[derive(Clone, Default)]
pub struct Registry {
    shared: Arc<Shared>,
}

/// A job just started: its number, and its value once it ends.
pub struct Started<T> {
    pub id: JobId,
    result: mpsc::Receiver<Result<T, Outcome>>,
}

impl<T> Started<T> {
    /// Waits for the job's value; a job that failed, was cancelled before it had a value
    /// or panicked gives its [`Outcome`] instead.
    pub fn wait(self) -> Result<T, Outcome> {
        self.result
            .recv()
            .unwrap_or_else(|_| Err(Outcome::failed("the job stopped without a result")))
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts `work` as a job of `kind` on its own thread.
    pub fn start<T, W>(&self, kind: JobKind, name: &str, work: W) -> Started<T>
    where
        T: Judged + Send + 'static,
        W: FnOnce(&dyn ProgressSink, &CancelToken) -> Result<T, JobError> + Send + 'static,
    {
        self.start_watched(kind, name, work, |_| {})
    }

    /// Starts `work` like [`Registry::start`]; `watch` sees each of its progress records
    /// and its end, on the job's thread (send them on to a channel).
    pub fn start_watched<T, W>(
        &self,
        kind: JobKind,
        name: &str,
        work: W,
        watch: impl Fn(JobUpdate) + Send + Sync + 'static,
    ) -> Started<T>
    where
        T: Judged + Send + 'static,
        W: FnOnce(&dyn ProgressSink, &CancelToken) -> Result<T, JobError> + Send + 'static,
    {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (result_tx, result) = mpsc::channel();
        let shared = Arc::clone(&self.shared);
        let job_name = name.to_string();
        let mut entries = self
            .shared
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let handle = super::spawn(name, work, move |event: JobEvent<T>| match event {
            JobEvent::Progress(progress) => {
                shared.update(id, |r| r.last = Some(progress.clone()));
                watch(JobUpdate::Progress { id, progress });
            }
            JobEvent::Finished(result) => {
                let (outcome, value) = match result {
                    Ok(value) => (value.outcome(), Ok(value)),
                    Err(e) => {
                        let outcome = Outcome::from_error(e.as_ref());
                        (outcome.clone(), Err(outcome))
                    }
                };
                tracing::info!(job = %job_name, %outcome, "job ended");
                shared.update(id, |r| r.state = JobState::Finished(outcome.clone()));
                watch(JobUpdate::Finished { id, outcome });
                let _ = result_tx.send(value);
            }
        });
        entries.push(Entry {
            record: JobRecord {
                id,
                kind,
                name: name.to_string(),
                state: JobState::Running,
                last: None,
            },
            cancel: handle.cancel.clone(),
            handle: Some(handle),
        });
        Started { id, result }
    }

    /// Asks job `id` to stop at its next cancellation point; false when there is no
    /// such job running.
    pub fn cancel(&self, id: JobId) -> bool {
        let entries = self
            .shared
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .find(|e| e.record.id == id && e.record.is_running())
            .map(|e| e.cancel.cancel())
            .is_some()
    }

    /// Asks every running job to stop.
    pub fn cancel_all(&self) {
        let entries = self
            .shared
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for entry in entries.iter().filter(|e| e.record.is_running()) {
            entry.cancel.cancel();
        }
    }

    /// Every job of this registry, oldest first.
    pub fn jobs(&self) -> Vec<JobRecord> {
        let entries = self
            .shared
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        entries.iter().map(|e| e.record.clone()).collect()
    }

    pub fn record(&self, id: JobId) -> Option<JobRecord> {
        self.jobs().into_iter().find(|r| r.id == id)
    }

    pub fn running(&self) -> usize {
        self.jobs().iter().filter(|r| r.is_running()).count()
    }

    /// Waits until `deadline` for every job's thread to end; false when some were still
    /// running then (cancel them first to make them end).
    pub fn wait_all(&self, deadline: Instant) -> bool {
        let handles: Vec<JobHandle> = {
            let mut entries = self
                .shared
                .entries
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            entries.iter_mut().filter_map(|e| e.handle.take()).collect()
        };
        let mut all_ended = true;
        for handle in handles {
            all_ended &= handle.wait_until(deadline);
        }
        all_ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::{Detail, Unit};

    use std::time::Duration;

    #[test]
    fn jobs_report_progress_and_outcomes_to_the_watcher_and_the_records() {
        let (tx, rx) = mpsc::channel();
        let registry = Registry::new();
        let watch = move |u| {
            let _ = tx.send(u);
        };
        let done = registry.start_watched(
            JobKind::Export,
            "export lake",
            |sink, _| {
                sink.report(
                    Progress::new("export", 1, Some(1), Unit::Files).with_detail(Detail::File {
                        path: "marts/x.parquet".into(),
                        rows: Some(3),
                    }),
                );
                Ok(Outcome::succeeded("1 table"))
            },
            watch,
        );
        let id = done.id;
        assert_eq!(done.wait(), Ok(Outcome::succeeded("1 table")));
        let updates: Vec<JobUpdate> = rx.iter().take(2).collect();
        assert!(
            matches!(&updates[0], JobUpdate::Progress { progress, .. } if progress.detail.is_some())
        );
        assert!(
            matches!(&updates[1], JobUpdate::Finished { outcome, .. } if matches!(outcome, Outcome::Succeeded { .. }))
        );
        assert_eq!(registry.record(id).unwrap().kind, JobKind::Export);
        let record = registry.record(id).unwrap();
        assert_eq!(record.outcome(), Some(&Outcome::succeeded("1 table")));
        assert_eq!(record.last.unwrap().done, 1);
    }

    #[test]
    fn an_error_or_a_panic_fails_only_that_job() {
        let registry = Registry::new();
        let failed = registry.start(JobKind::Sql, "sql", |_, _| -> Result<Outcome, JobError> {
            Err(std::io::Error::other("no such table").into())
        });
        let failed_id = failed.id;
        assert_eq!(failed.wait(), Err(Outcome::failed("no such table")));
        assert_eq!(
            registry.record(failed_id).unwrap().failure(),
            Some("no such table")
        );
        let panicked = registry.start(JobKind::Ml, "ml", |_, _| -> Result<Outcome, JobError> {
            panic!("index out of bounds")
        });
        let outcome = panicked.wait().unwrap_err();
        assert!(
            outcome
                .text()
                .starts_with("ml stopped on an internal error (index out of bounds)")
        );
        let fine = registry.start(JobKind::Ingest, "load", |_, _| Ok(Outcome::succeeded("ok")));
        assert!(fine.wait().is_ok());
        assert!(registry.wait_all(Instant::now() + Duration::from_secs(5)));
        assert_eq!(registry.running(), 0);
        assert_eq!(registry.jobs().len(), 3);
    }

    #[test]
    fn cancel_reaches_the_running_job() {
        let registry = Registry::new();
        let started = registry.start(JobKind::Tail, "tail", |_, cancel| {
            while !cancel.is_cancelled() {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(Outcome::Cancelled {
                summary: "stopped".into(),
            })
        });
        assert!(registry.cancel(started.id));
        assert_eq!(started.wait().unwrap().label(), "cancelled");
        assert!(!registry.cancel(999));
    }
}
