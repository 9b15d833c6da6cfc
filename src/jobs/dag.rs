//! Running a DAG of jobs, Airflow's part: dependency order, retries with exponential
//! backoff, per-attempt timeouts, downstream skipping, and a record of every attempt so a
//! killed run resumes without redoing finished work. What a job does is the caller's
//! business ([`JobRunner`]); how attempts are stored too ([`RunRecorder`]).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{CancelToken, JobError, Outcome, Progress, ProgressSink, Unit};

/// One node of the DAG.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub name: String,
    pub depends_on: Vec<String>,
    /// Attempts after the first.
    pub retries: u32,
    /// Wait before the first retry; doubled for each later one.
    pub backoff: Duration,
    pub timeout: Option<Duration>,
}

/// How an attempt that ran to its end came out: the [`Outcome`] (failed data checks are
/// not retried; a failure is, like an error) and the rows it wrote, when it counts them.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempted {
    pub outcome: Outcome,
    pub rows: Option<u64>,
}

impl Attempted {
    pub fn succeeded(rows: Option<u64>, summary: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::succeeded(summary),
            rows,
        }
    }
}

impl From<Outcome> for Attempted {
    fn from(outcome: Outcome) -> Self {
        Self {
            outcome,
            rows: None,
        }
    }
}

/// The final state of a job in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Success,
    /// Finished in an earlier, interrupted invocation of the same run.
    AlreadyDone,
    DataChecksFailed,
    Failed,
    Skipped,
    Cancelled,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobReport {
    pub job: String,
    pub status: JobStatus,
    pub attempts: u32,
    pub message: String,
}

/// Does the work of a job.
pub trait JobRunner: Sync {
    fn run(
        &self,
        job: &JobSpec,
        progress: &dyn ProgressSink,
        cancel: &CancelToken,
    ) -> Result<Attempted, JobError>;
}

/// Why a DAG could not be run.
#[derive(Debug, thiserror::Error)]
pub enum DagError {
    #[error("job `{job}` depends on `{dependency}`, which is not a job of the pipeline")]
    UnknownDependency { job: String, dependency: String },
    #[error("the pipeline has a cycle among {}", .0.join(", "))]
    Cycle(Vec<String>),
    /// The record of attempts could not be kept.
    #[error("recording the run: {0}")]
    Record(#[source] JobError),
}

/// Stores attempts (the warehouse's `meta.job_runs`).
pub trait RunRecorder {
    /// Whether `job` already succeeded in this run.
    fn already_done(&self, job: &str) -> Result<bool, JobError>;
    fn attempt_started(&self, job: &str, attempt: u32) -> Result<(), JobError>;
    fn attempt_finished(
        &self,
        job: &str,
        attempt: u32,
        status: &str,
        rows: Option<u64>,
        message: &str,
    ) -> Result<(), JobError>;
}

/// Orders the specs so each comes after its dependencies; errors name unknown
/// dependencies and cycles.
pub fn order(specs: &[JobSpec]) -> Result<Vec<&JobSpec>, DagError> {
    for spec in specs {
        for dep in &spec.depends_on {
            if !specs.iter().any(|s| &s.name == dep) {
                return Err(DagError::UnknownDependency {
                    job: spec.name.clone(),
                    dependency: dep.clone(),
                });
            }
        }
    }
    let mut ordered: Vec<&JobSpec> = Vec::new();
    while ordered.len() < specs.len() {
        let next = specs.iter().find(|s| {
            !ordered.iter().any(|o| o.name == s.name)
                && s.depends_on
                    .iter()
                    .all(|d| ordered.iter().any(|o| &o.name == d))
        });
        match next {
            Some(spec) => ordered.push(spec),
            None => {
                let stuck = specs
                    .iter()
                    .filter(|s| !ordered.iter().any(|o| o.name == s.name))
                    .map(|s| s.name.clone())
                    .collect();
                return Err(DagError::Cycle(stuck));
            }
        }
    }
    Ok(ordered)
}

/// Runs every job once it has what it depends on; a failed or skipped dependency skips
/// the jobs after it.
pub fn run(
    specs: &[JobSpec],
    runner: &dyn JobRunner,
    recorder: &dyn RunRecorder,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<Vec<JobReport>, DagError> {
    let ordered = order(specs)?;
    let total = ordered.len() as u64;
    let mut reports: Vec<JobReport> = Vec::new();
    for (index, spec) in ordered.into_iter().enumerate() {
        let blocked = spec.depends_on.iter().find(|d| {
            reports.iter().any(|r| {
                &r.job == *d && !matches!(r.status, JobStatus::Success | JobStatus::AlreadyDone)
            })
        });
        let report = if let Some(dep) = blocked {
            JobReport {
                job: spec.name.clone(),
                status: JobStatus::Skipped,
                attempts: 0,
                message: format!("skipped: `{dep}` did not succeed"),
            }
        } else if cancel.is_cancelled() {
            JobReport {
                job: spec.name.clone(),
                status: JobStatus::Cancelled,
                attempts: 0,
                message: "cancelled".into(),
            }
        } else if recorder
            .already_done(&spec.name)
            .map_err(DagError::Record)?
        {
            JobReport {
                job: spec.name.clone(),
                status: JobStatus::AlreadyDone,
                attempts: 0,
                message: "done before the interruption".into(),
            }
        } else {
            run_with_retries(spec, runner, recorder, progress, cancel)?
        };
        progress.report(
            Progress::new("pipeline", index as u64 + 1, Some(total), Unit::Steps).with_message(
                format!(
                    "{} of {total} {} {:?}: {}",
                    index + 1,
                    report.job,
                    report.status,
                    report.message
                ),
            ),
        );
        reports.push(report);
    }
    Ok(reports)
}

fn run_with_retries(
    spec: &JobSpec,
    runner: &dyn JobRunner,
    recorder: &dyn RunRecorder,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<JobReport, DagError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        recorder
            .attempt_started(&spec.name, attempt)
            .map_err(DagError::Record)?;
        progress.report(
            Progress::new(&spec.name, 0, None, Unit::Steps)
                .with_message(format!("job {} attempt {attempt} started", spec.name)),
        );
        let started = Instant::now();
        let result = run_attempt(spec, runner, progress, cancel);
        let seconds = started.elapsed().as_secs_f64();
        let (status, rows, message, final_status) = match result {
            Attempt::Done(Attempted { outcome, rows }) => match outcome {
                Outcome::Succeeded { summary } => {
                    ("success", rows, summary, Some(JobStatus::Success))
                }
                Outcome::DataChecksFailed { sentence } => (
                    "data_checks_failed",
                    None,
                    sentence,
                    Some(JobStatus::DataChecksFailed),
                ),
                Outcome::Failed { sentence } => ("failed", None, sentence, None),
                Outcome::Cancelled { summary } => ("failed", None, summary, None),
            },
            Attempt::Failed(e) => ("failed", None, super::outcome::sentence(e.as_ref()), None),
            Attempt::TimedOut(limit) => (
                "timeout",
                None,
                format!("timed out after {}", humantime::format_duration(limit)),
                None,
            ),
        };
        recorder
            .attempt_finished(&spec.name, attempt, status, rows, &message)
            .map_err(DagError::Record)?;
        tracing::info!(job = %spec.name, attempt, status, seconds, "job attempt finished");
        if let Some(final_status) = final_status {
            return Ok(JobReport {
                job: spec.name.clone(),
                status: final_status,
                attempts: attempt,
                message,
            });
        }
        if attempt > spec.retries || cancel.is_cancelled() {
            return Ok(JobReport {
                job: spec.name.clone(),
                status: JobStatus::Failed,
                attempts: attempt,
                message,
            });
        }
        let wait = spec.backoff.saturating_mul(1 << (attempt - 1).min(16));
        progress.report(
            Progress::new(&spec.name, 0, None, Unit::Steps).with_message(format!(
                "job {} attempt {attempt} failed ({message}); retrying in {}",
                spec.name,
                humantime::format_duration(wait)
            )),
        );
        sleep_unless_cancelled(wait, cancel);
    }
}

enum Attempt {
    Done(Attempted),
    Failed(JobError),
    TimedOut(Duration),
}

/// One attempt on its own thread, cancelled (cooperatively) when it overruns.
fn run_attempt(
    spec: &JobSpec,
    runner: &dyn JobRunner,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Attempt {
    let attempt_cancel = CancelToken::new();
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        let token = attempt_cancel.clone();
        scope.spawn(move || {
            let result = super::catching_panics(&spec.name, || runner.run(spec, progress, &token));
            let _ = tx.send(result);
        });
        let deadline = spec.timeout.map(|t| Instant::now() + t);
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(Ok(outcome)) => return Attempt::Done(outcome),
                Ok(Err(e)) => return Attempt::Failed(e),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Attempt::Failed("the job thread stopped".into());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if cancel.is_cancelled() {
                        attempt_cancel.cancel();
                    }
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        attempt_cancel.cancel();
                        let _ = rx.recv();
                        return Attempt::TimedOut(spec.timeout.unwrap_or_default());
                    }
                }
            }
        }
    })
}

fn sleep_unless_cancelled(wait: Duration, cancel: &CancelToken) {
    let until = Instant::now() + wait;
    while Instant::now() < until && !cancel.is_cancelled() {
        std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn spec(name: &str, deps: &[&str], retries: u32) -> JobSpec {
        JobSpec {
            name: name.into(),
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            retries,
            backoff: Duration::from_millis(1),
            timeout: Some(Duration::from_millis(300)),
        }
    }

    struct Flaky(AtomicU32);
    impl JobRunner for Flaky {
        fn run(
            &self,
            job: &JobSpec,
            _: &dyn ProgressSink,
            cancel: &CancelToken,
        ) -> Result<Attempted, JobError> {
            match job.name.as_str() {
                "flaky" if self.0.fetch_add(1, Ordering::SeqCst) < 2 => Err("not yet".into()),
                "broken" => Err("always".into()),
                "slow" => {
                    while !cancel.is_cancelled() {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err("stopped".into())
                }
                _ => Ok(Attempted::succeeded(Some(1), "ok")),
            }
        }
    }

    #[derive(Default)]
    struct Memory(Mutex<Vec<(String, u32, String)>>);
    impl RunRecorder for Memory {
        fn already_done(&self, job: &str) -> Result<bool, JobError> {
            Ok(job == "done")
        }
        fn attempt_started(&self, _: &str, _: u32) -> Result<(), JobError> {
            Ok(())
        }
        fn attempt_finished(
            &self,
            job: &str,
            attempt: u32,
            status: &str,
            _: Option<u64>,
            _: &str,
        ) -> Result<(), JobError> {
            self.0
                .lock()
                .unwrap()
                .push((job.into(), attempt, status.into()));
            Ok(())
        }
    }

    #[test]
    fn retries_timeouts_skips_and_resume() {
        let specs = vec![
            spec("done", &[], 0),
            spec("flaky", &["done"], 3),
            spec("broken", &[], 1),
            spec("after_broken", &["broken"], 0),
            spec("slow", &[], 0),
        ];
        let recorder = Memory::default();
        let reports = run(
            &specs,
            &Flaky(AtomicU32::new(0)),
            &recorder,
            &crate::jobs::NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
        let status = |name: &str| reports.iter().find(|r| r.job == name).unwrap().status;
        assert_eq!(status("done"), JobStatus::AlreadyDone);
        assert_eq!(status("flaky"), JobStatus::Success);
        assert_eq!(
            reports.iter().find(|r| r.job == "flaky").unwrap().attempts,
            3
        );
        assert_eq!(status("broken"), JobStatus::Failed);
        assert_eq!(status("after_broken"), JobStatus::Skipped);
        assert_eq!(status("slow"), JobStatus::Failed);
        let attempts = recorder.0.lock().unwrap();
        assert!(attempts.contains(&("slow".into(), 1, "timeout".into())));
        assert_eq!(attempts.iter().filter(|a| a.0 == "broken").count(), 2);
    }

    #[test]
    fn unknown_dependencies_and_cycles_are_errors() {
        assert!(
            order(&[spec("a", &["nope"], 0)])
                .unwrap_err()
                .to_string()
                .contains("nope")
        );
        let err = order(&[spec("a", &["b"], 0), spec("b", &["a"], 0)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("cycle"), "{err}");
    }
}
