//! The workbench's background jobs, in one place: the list the Jobs screen shows (each
//! job's progress, log and outcome, updated by actions) and the handles of the jobs the
//! event loop started with `crate::jobs::spawn` (model builds, ML runs, the tail, loads),
//! whose events come back as actions.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use tokio::sync::mpsc::UnboundedSender;

use super::action::Action;
use super::effect::Effect;
use super::status::Status;
use crate::ingest::{IngestOptions, ingest};
use crate::jobs::{self, JobEvent, Progress};
use crate::tui::failure::{Failure, Reported};
use crate::warehouse::Warehouse;

/// How a background job stands.
#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    Running,
    Finished(String),
    Failed(String),
    Cancelling,
}

/// A background job as the Jobs screen shows it.
#[derive(Debug, Clone)]
pub struct JobView {
    pub id: u64,
    pub name: String,
    pub started: Instant,
    pub finished: Option<Instant>,
    pub progress: Option<Progress>,
    pub state: JobState,
    /// The latest progress messages, newest last.
    pub log: Vec<String>,
}

/// The session's jobs, newest first, and the one selected on the Jobs screen.
#[derive(Debug, Clone)]
pub struct Jobs {
    pub list: Vec<JobView>,
    pub selected: usize,
    next_id: u64,
}

impl Default for Jobs {
    fn default() -> Self {
        Self {
            list: Vec::new(),
            selected: 0,
            next_id: 1,
        }
    }
}

impl std::ops::Deref for Jobs {
    type Target = [JobView];

    fn deref(&self) -> &[JobView] {
        &self.list
    }
}

impl Jobs {
    /// Lists a new running job (selected) and returns its id.
    pub fn add(&mut self, name: String, status: &mut Status) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.list.insert(
            0,
            JobView {
                id,
                name: name.clone(),
                started: Instant::now(),
                finished: None,
                progress: None,
                state: JobState::Running,
                log: Vec::new(),
            },
        );
        self.selected = 0;
        status.info(format!("started {name}: 4 shows the jobs"));
        id
    }

    /// Moves the selection by `delta`, within the list.
    pub fn move_selection(&mut self, delta: i64) {
        self.selected = (self.selected as i64)
            .saturating_add(delta)
            .clamp(0, self.list.len().saturating_sub(1) as i64) as usize;
    }

    /// Cancels the selected job, when it runs.
    pub fn cancel_selected(&mut self) -> Option<Effect> {
        let job = self.list.get_mut(self.selected)?;
        if job.state != JobState::Running {
            return None;
        }
        job.state = JobState::Cancelling;
        Some(Effect::CancelJob(job.id))
    }

    /// Marks job `id` as cancelling and asks for it.
    pub fn cancel(&mut self, id: u64) -> Effect {
        if let Some(view) = self.list.iter_mut().find(|j| j.id == id) {
            view.state = JobState::Cancelling;
        }
        Effect::CancelJob(id)
    }

    pub fn progress(&mut self, id: u64, progress: Progress) {
        if let Some(job) = self.list.iter_mut().find(|j| j.id == id) {
            if !progress.message.is_empty() {
                job.log.push(progress.message.clone());
                if job.log.len() > 200 {
                    job.log.remove(0);
                }
            }
            job.progress = Some(progress);
        }
    }

    pub fn finish(&mut self, id: u64, result: Reported<String>, status: &mut Status) {
        if let Some(job) = self.list.iter_mut().find(|j| j.id == id) {
            job.finished = Some(Instant::now());
            let ok = result.is_ok();
            job.state = match result {
                Ok(message) => JobState::Finished(message),
                Err(message) => JobState::Failed(message.into()),
            };
            status.info(format!(
                "job {} {}",
                job.name,
                if ok { "finished" } else { "failed" }
            ));
        }
    }
}

/// Threads for DuckDB and model builds in the workbench: one core fewer than the
/// machine has (at least one), so drawing a frame never waits behind background work.
pub fn background_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

/// The handles of the jobs the event loop started, by job id.
#[derive(Default)]
pub struct Handles(HashMap<u64, jobs::JobHandle>);

impl Handles {
    /// Starts (or cancels) the job an effect asks for; false when `effect` is no job's.
    pub fn perform(
        &mut self,
        effect: &Effect,
        warehouse: &Warehouse,
        project: &Path,
        tail: &crate::stream::tail::TailOptions,
        tx: &UnboundedSender<Action>,
    ) -> anyhow::Result<bool> {
        match effect {
            Effect::CancelJob(id) => {
                if let Some(handle) = self.0.get(id) {
                    handle.cancel.cancel();
                }
            }
            Effect::StartTail { job } => {
                self.0.insert(*job, start_tail(*job, warehouse, tail, tx)?);
            }
            Effect::StartModels { job, select } => {
                let handle = start_models(*job, warehouse, project, select.clone(), tx)?;
                self.0.insert(*job, handle);
            }
            Effect::StartMl { job, model } => {
                let conn = warehouse.connect()?;
                let model = *model;
                let handle = jobs::spawn(
                    &format!("ml {}", model.name()),
                    move |progress, cancel| {
                        Ok(crate::ml::run_with_defaults(
                            &conn, model, progress, cancel,
                        )?)
                    },
                    job_events(tx.clone(), *job),
                );
                self.0.insert(*job, handle);
            }
            Effect::LoadSample | Effect::LoadFiles(_) => start_load(effect, warehouse, tx)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Jobs still running.
    pub fn running(&self) -> usize {
        self.0.values().filter(|job| !job.is_finished()).count()
    }

    /// Cancels every job and waits for them, at most ten seconds.
    pub fn close(self) {
        for job in self.0.values() {
            job.cancel.cancel();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        for (_, job) in self.0 {
            let name = job.name.clone();
            if !job.wait_until(deadline) {
                tracing::warn!(job = %name, "still running at exit");
            }
        }
    }
}

/// Starts the Stream screen's tail as job `job`: its progress goes to the Jobs screen,
/// and each time it publishes its figures (twice a second) they reach the Stream screen.
fn start_tail(
    job: u64,
    warehouse: &Warehouse,
    options: &crate::stream::tail::TailOptions,
    tx: &UnboundedSender<Action>,
) -> anyhow::Result<jobs::JobHandle> {
    let conn = warehouse.connect()?;
    let options = options.clone();
    let status_tx = tx.clone();
    Ok(jobs::spawn(
        "tail",
        move |progress, cancel| {
            let forward = |p: jobs::Progress| {
                if let Some(jobs::Detail::Tail(figures)) = &p.detail {
                    let _ = status_tx.send(Action::TailStatus(figures.clone()));
                }
                progress.report(p);
            };
            let status = crate::stream::tail::tail(&conn, &options, &forward, cancel)?;
            Ok(crate::stream::tail::describe(&status))
        },
        job_events(tx.clone(), job),
    ))
}

/// Builds the `select`ed nodes of the bundled project as job `job`.
fn start_models(
    job: u64,
    warehouse: &Warehouse,
    project: &Path,
    select: Vec<String>,
    tx: &UnboundedSender<Action>,
) -> anyhow::Result<jobs::JobHandle> {
    let conn = warehouse.connect()?;
    let project = project.to_path_buf();
    Ok(jobs::spawn(
        "models build",
        move |progress, cancel| {
            let summary = crate::models::build_project(
                &conn,
                &project,
                select,
                background_threads(),
                progress,
                cancel,
            )?;
            if cancel.is_cancelled() {
                let total = summary.results.len();
                let skipped = summary.count(crate::models::NodeStatus::Skipped);
                anyhow::bail!("cancelled after {} of {total} nodes", total - skipped);
            }
            let failed = summary.count(crate::models::NodeStatus::Error)
                + summary.count(crate::models::NodeStatus::Fail);
            if failed > 0 {
                anyhow::bail!("{failed} of {} nodes failed", summary.results.len());
            }
            Ok(format!(
                "{} nodes in {:.1} s",
                summary.results.len(),
                summary.elapsed_time
            ))
        },
        job_events(tx.clone(), job),
    ))
}

/// Loads the bundled sample or the user's files (`load PATH`); its progress and
/// summary come back as ingest actions (the status line shows them).
fn start_load(
    effect: &Effect,
    warehouse: &Warehouse,
    tx: &UnboundedSender<Action>,
) -> anyhow::Result<()> {
    let conn = warehouse.connect()?;
    let tx = tx.clone();
    let (name, path) = match effect {
        Effect::LoadFiles(path) => (format!("load {path}"), Some(path.clone())),
        _ => ("load sample".to_string(), None),
    };
    jobs::spawn(
        &name,
        move |progress, cancel| {
            let sources = match path {
                Some(path) => crate::ingest::expand(&[path])?,
                None => vec![crate::sample::source()],
            };
            let summary = ingest(&conn, sources, &IngestOptions::default(), progress, cancel)?;
            Ok(summary)
        },
        move |event| {
            let _ = tx.send(match event {
                JobEvent::Progress(p) => Action::IngestProgress(p),
                JobEvent::Finished(r) => {
                    Action::IngestFinished(r.map_err(|e| Failure(format!("{e:#}"))))
                }
            });
        },
    );
    Ok(())
}

/// Turns a background job's events into the actions of job `job`, for the event loop.
fn job_events(
    tx: UnboundedSender<Action>,
    job: u64,
) -> impl Fn(JobEvent<String>) + Send + Sync + 'static {
    move |event| {
        let _ = tx.send(match event {
            JobEvent::Progress(p) => Action::JobProgress(job, p),
            JobEvent::Finished(r) => {
                Action::JobFinished(job, r.map_err(|e| Failure(format!("{e:#}"))))
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::Unit;

    #[test]
    fn jobs_keep_their_latest_messages_and_outcome() {
        let (mut jobs, mut status) = (Jobs::default(), Status::default());
        let id = jobs.add("models build".into(), &mut status);
        assert_eq!(status.text, "started models build: 4 shows the jobs");
        for n in 0..205 {
            let step = Progress::new("models", n, Some(205), Unit::Steps);
            jobs.progress(id, step.with_message(format!("node {n}")));
        }
        jobs.progress(id, Progress::new("models", 205, Some(205), Unit::Steps));
        assert_eq!(jobs[0].log.len(), 200, "the log is bounded");
        assert_eq!(jobs[0].log[0], "node 5");
        assert_eq!(jobs[0].progress.as_ref().map(|p| p.done), Some(205));
        jobs.finish(id, Err("2 of 9 nodes failed".into()), &mut status);
        assert_eq!(
            jobs[0].state,
            JobState::Failed("2 of 9 nodes failed".into())
        );
        assert_eq!(status.text, "job models build failed");
        assert!(jobs[0].finished.is_some());
        assert_eq!(
            jobs.cancel_selected(),
            None,
            "a finished job is not cancelled"
        );
    }
}
