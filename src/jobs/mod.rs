//! Background work: a job is `(spec) -> progress events -> result`.
//!
//! A job is a plain blocking function that takes a [`ProgressSink`] and a
//! [`CancelToken`]; [`spawn`] runs it on its own thread and reports through a channel.
//! The CLI renders progress with indicatif or log lines, the TUI reduces it into a gauge.
//! Every front end starts its jobs in a [`Registry`] and reads how they ended as an
//! [`Outcome`]. This module knows how to run work, never what the work is.

pub mod dag;
pub mod detail;
mod kind;
pub mod outcome;
mod progress;
mod registry;

pub use detail::Detail;
pub use kind::JobKind;
pub use outcome::{JobError, Outcome, Tally, judge};
pub use progress::{NoProgress, Progress, ProgressSink, Unit};
pub use registry::{JobId, JobRecord, JobState, JobUpdate, Judged, Registry, Started};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// Threads for background work beside something that must stay responsive (the
/// workbench's frames, the server's answers): one core fewer than the machine has, at
/// least one.
pub fn background_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

/// A cooperative cancellation flag shared between a job and whoever started it.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The error a job returns when it stopped because it was asked to.
#[derive(Debug, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

/// What a running job tells its owner.
#[derive(Debug)]
pub(crate) enum JobEvent<T> {
    Progress(Progress),
    Finished(Result<T, JobError>),
}

/// A job running on its own thread.
pub(crate) struct JobHandle {
    pub cancel: CancelToken,
    thread: JoinHandle<()>,
}

impl JobHandle {
    /// Waits until `deadline` for the job's thread to end (a cancelled job stops at its
    /// next cancellation point); false when it was still running then.
    pub fn wait_until(self, deadline: std::time::Instant) -> bool {
        while !self.thread.is_finished() {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.thread.join();
        true
    }
}

/// A job's work panicked: a bug or an input nobody foresaw.
#[derive(Debug, thiserror::Error)]
#[error(
    "{job} stopped on an internal error ({what}); nothing else was stopped, and the log has the details"
)]
pub struct Panicked {
    pub job: String,
    pub what: String,
}

/// Runs `work`, turning a panic inside it into a [`Panicked`] error that names `job`: a
/// bug or an input nobody foresaw fails that one job, never the process or the jobs
/// beside it.
pub fn catching_panics<T, E: From<Panicked>>(
    job: &str,
    work: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let what = panic_text(payload.as_ref());
        tracing::error!(job, panic = %what, "a job panicked");
        Err(Panicked {
            job: job.to_string(),
            what,
        }
        .into())
    })
}

/// The message of a panic's payload.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// Runs `work` on a new thread; every progress record and the result go to `send`.
///
/// `send` is any function that delivers an event (a channel's sender wrapped in a
/// closure), so the caller decides the channel type and how events are tagged.
pub(crate) fn spawn<T, W, S>(name: &str, work: W, send: S) -> JobHandle
where
    T: Send + 'static,
    W: FnOnce(&dyn ProgressSink, &CancelToken) -> Result<T, JobError> + Send + 'static,
    S: Fn(JobEvent<T>) + Send + Sync + 'static,
{
    let cancel = CancelToken::new();
    let token = cancel.clone();
    let job_name = name.to_string();
    let thread = std::thread::Builder::new()
        .name(format!("job-{name}"))
        .spawn(move || {
            let send = Arc::new(send);
            let progress_send = Arc::clone(&send);
            let sink = move |p: Progress| progress_send(JobEvent::Progress(p));
            let result = catching_panics(&job_name, || work(&sink, &token));
            tracing::info!(job = %job_name, ok = result.is_ok(), "job finished");
            send(JobEvent::Finished(result));
        })
        .expect("the OS refused to start a thread");
    JobHandle { cancel, thread }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_panicking_job_fails_with_a_sentence() {
        let error = catching_panics("export", || -> Result<(), JobError> {
            panic!("byte array offset overflow")
        })
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("export stopped on an internal error (byte array offset overflow)"),
            "{error}"
        );
        assert_eq!(catching_panics::<_, JobError>("x", || Ok(7)).unwrap(), 7);
    }

    #[test]
    fn spawned_job_reports_progress_then_result() {
        let (tx, rx) = mpsc::channel();
        let handle = spawn(
            "count",
            |sink, _cancel| {
                for i in 1..=3 {
                    sink.report(Progress::new("count", i, Some(3), Unit::Rows));
                }
                Ok(42)
            },
            move |e| {
                let _ = tx.send(e);
            },
        );
        let events: Vec<_> = rx.iter().take(4).collect();
        assert!(matches!(events[2], JobEvent::Progress(ref p) if p.done == 3));
        assert!(matches!(events[3], JobEvent::Finished(Ok(42))));
        assert!(handle.wait_until(std::time::Instant::now() + std::time::Duration::from_secs(5)));
    }

    #[test]
    fn cancel_token_is_shared() {
        let token = CancelToken::new();
        let other = token.clone();
        other.cancel();
        assert!(token.is_cancelled());
    }
}
