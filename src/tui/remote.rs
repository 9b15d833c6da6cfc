//! The workbench as a client of a running `ecom serve`: what it may do there, and the
//! jobs it starts inside the server (the single writer) and follows by polling, listed
//! on the Jobs screen like its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::action::Action;
use super::effect::Effect;
use super::failure::Failure;
use super::jobs::Jobs;
use super::status::Status;
use crate::jobs::{Progress, Unit};
use crate::remote::{Blocking, JobStart, RemoteError};

/// How often a server job's record is read.
const POLL: Duration = Duration::from_millis(500);

/// What a remote workbench's token lets it do.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteAccess {
    /// The server's URL, shown where a local workbench shows its warehouse.
    pub url: String,
    /// An admin token may start builds, ML runs and a tail in the server.
    pub admin: bool,
}

impl RemoteAccess {
    /// Why the workbench will not do `effect` against the server, if it will not.
    fn refusal(&self, effect: &Effect) -> Option<&'static str> {
        match effect {
            Effect::LoadSample | Effect::LoadFiles(_) => Some(
                "this workbench reads a server: files are loaded there (`ecom ingest`, or its pipeline)",
            ),
            Effect::OpenFiles(_) | Effect::ImportView(_) => Some(
                "this workbench reads a server: open files in a workbench of their own (`ecom open PATH`)",
            ),
            Effect::StartAlertsCheck { .. } | Effect::SilenceAlert { .. } => {
                Some("the server evaluates its own alert rules: use `ecom alerts` where it runs")
            }
            Effect::StartModels { .. } | Effect::StartMl { .. } | Effect::StartTail { .. }
                if !self.admin =>
            {
                Some("this token may only read: builds, ML runs and the tail need an admin token")
            }
            _ => None,
        }
    }

    /// `effects` without those the server must not be asked for; a refused job is
    /// listed as failed with the reason, so the user sees why nothing runs.
    pub fn refuse(
        &self,
        effects: Vec<Effect>,
        jobs: &mut Jobs,
        status: &mut Status,
    ) -> Vec<Effect> {
        effects
            .into_iter()
            .filter(|effect| {
                let Some(reason) = self.refusal(effect) else {
                    return true;
                };
                match effect {
                    Effect::StartModels { job, .. }
                    | Effect::StartMl { job, .. }
                    | Effect::StartTail { job }
                    | Effect::StartAlertsCheck { job, .. } => {
                        jobs.finish(*job, Err(Failure(reason.into())), status);
                    }
                    _ => {}
                }
                status.error(reason);
                false
            })
            .collect()
    }
}

/// The server jobs this workbench started, by its own job id.
#[derive(Default)]
pub struct RemoteJobs {
    started: Arc<Mutex<HashMap<u64, u64>>>,
}

impl RemoteJobs {
    /// Starts (or cancels) in the server the job `effect` asks for; false when it is no
    /// job's. `tail` is the topic the Stream screen's tail reads.
    pub fn perform(
        &self,
        effect: &Effect,
        remote: &Blocking,
        tail: &crate::stream::tail::TailOptions,
        tx: &UnboundedSender<Action>,
    ) -> bool {
        let (job, start) = match effect {
            Effect::StartModels { job, select } => (
                *job,
                JobStart::Models {
                    select: select.clone(),
                },
            ),
            Effect::StartMl { job, model } => (
                *job,
                JobStart::Ml {
                    model: model.name().to_string(),
                },
            ),
            Effect::StartTail { job } => (
                *job,
                JobStart::Tail {
                    brokers: tail.brokers.clone(),
                    topic: tail.topic.clone(),
                    group: tail.group.clone(),
                },
            ),
            Effect::CancelJob(job) => {
                let server_job = self
                    .started
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(job)
                    .copied();
                if let Some(id) = server_job {
                    let (remote, tx, job) = (remote.clone(), tx.clone(), *job);
                    std::thread::spawn(move || {
                        if let Err(e) = remote.block_on(remote.client.cancel_job(id)) {
                            let _ = tx.send(Action::JobFinished(job, Err(Failure::of(e))));
                        }
                    });
                }
                return true;
            }
            _ => return false,
        };
        let (remote, tx, started) = (remote.clone(), tx.clone(), Arc::clone(&self.started));
        std::thread::Builder::new()
            .name("remote-job".into())
            .spawn(move || {
                let outcome = follow(&remote, &start, job, &started, &tx);
                let _ = tx.send(Action::JobFinished(
                    job,
                    outcome.map_err(Failure::of).and_then(|r| r),
                ));
            })
            .is_ok()
    }
}

/// Starts `start` in the server and reports its progress as job `job` until it ends:
/// the outer error is the server's (refused, unreachable), the inner the job's.
fn follow(
    remote: &Blocking,
    start: &JobStart,
    job: u64,
    started: &Mutex<HashMap<u64, u64>>,
    tx: &UnboundedSender<Action>,
) -> Result<Result<String, Failure>, RemoteError> {
    let server_job = remote.block_on(remote.client.start_job(start))?;
    started
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(job, server_job.id);
    loop {
        let record = remote.block_on(remote.client.job(server_job.id))?;
        let message = record.message.clone().unwrap_or_default();
        match record.state.as_str() {
            "running" => {
                let mut progress = Progress::new(
                    &record.name,
                    record.done.unwrap_or(0),
                    record.total,
                    Unit::Steps,
                );
                progress.message = message;
                if tx.send(Action::JobProgress(job, progress)).is_err() {
                    return Ok(Ok(String::new()));
                }
            }
            "succeeded" => return Ok(Ok(message)),
            other => {
                let why = record.last_error.unwrap_or(message);
                return Ok(Err(Failure(format!("{other} in the server: {why}"))));
            }
        }
        std::thread::sleep(POLL);
    }
}
