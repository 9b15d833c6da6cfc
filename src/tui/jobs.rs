//! The workbench's background jobs, in one place: the list the Jobs screen shows (each
//! job's progress, log and outcome, updated by actions) and the jobs the event loop
//! started in a `crate::jobs::Registry` (model builds, ML runs, the tail, loads), whose
//! updates come back as actions.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use tokio::sync::mpsc::UnboundedSender;

use super::action::Action;
use super::effect::Effect;
use super::status::Status;
use crate::ingest::IngestSummary;
use crate::ingest::{IngestOptions, ingest};
use crate::jobs::{Detail, JobError, JobId, JobKind, JobUpdate, Outcome, Progress, Registry};
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

/// Threads for DuckDB and model builds in the workbench (so drawing a frame never
/// waits behind background work).
pub use crate::jobs::background_threads;

/// The jobs the event loop started, in the process's [`Registry`] (which catches their
/// panics and keeps their outcomes), by the workbench's job id.
#[derive(Default)]
pub struct Handles {
    registry: Registry,
    ids: HashMap<u64, JobId>,
    /// How `open PATH` opens files (the session's `--endpoint`).
    pub open: crate::open::OpenOptions,
}

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
        let (job, started) = match effect {
            Effect::CancelJob(id) => {
                if let Some(id) = self.ids.get(id) {
                    self.registry.cancel(*id);
                }
                return Ok(true);
            }
            Effect::StartTail { job } => (*job, self.start_tail(*job, warehouse, tail, tx)?),
            Effect::StartModels { job, select } => {
                let started = self.start_models(*job, warehouse, project, select.clone(), tx)?;
                (*job, started)
            }
            Effect::StartMl { job, model } => {
                let conn = warehouse.connect()?;
                let model = *model;
                let started = self.registry.start_watched(
                    JobKind::Ml,
                    &format!("ml {}", model.name()),
                    move |progress, cancel| crate::ml::job(&conn, model, progress, cancel),
                    job_events(tx.clone(), *job),
                );
                (*job, started.id)
            }
            Effect::StartAlertsCheck { job, file } => {
                let conn = warehouse.connect()?;
                let (file, brokers) = (file.clone(), tail.brokers.clone());
                let started = self.registry.start_watched(
                    JobKind::Alerts,
                    "alerts check",
                    move |_progress, _cancel| {
                        let rules = crate::alerts::AlertsFile::load(&file)?;
                        let options = crate::alerts::EvaluateOptions {
                            default_brokers: Some(brokers),
                        };
                        let evaluation =
                            crate::alerts::evaluate(&conn, &rules, chrono::Utc::now(), &options)?;
                        Ok(Outcome::succeeded(check_summary(&evaluation)))
                    },
                    job_events(tx.clone(), *job),
                );
                (*job, started.id)
            }
            Effect::LoadSample | Effect::LoadFiles(_) => {
                self.start_load(effect, warehouse, tx)?;
                return Ok(true);
            }
            Effect::OpenFiles(path) => {
                self.start_open(path, warehouse, tx)?;
                return Ok(true);
            }
            Effect::ImportView(name) => {
                self.start_import(name, warehouse, tx)?;
                return Ok(true);
            }
            _ => return Ok(false),
        };
        self.ids.insert(job, started);
        Ok(true)
    }

    /// Jobs still running.
    pub fn running(&self) -> usize {
        self.registry.running()
    }

    /// Cancels every job and waits for them, at most ten seconds.
    pub fn close(self) {
        self.registry.cancel_all();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        if !self.registry.wait_all(deadline) {
            for job in self.registry.jobs().iter().filter(|j| j.is_running()) {
                tracing::warn!(job = %job.name, "still running at exit");
            }
        }
    }

    /// Starts the Stream screen's tail as job `job`: its progress goes to the Jobs
    /// screen, and the live figures it publishes with it (twice a second) to the Stream
    /// screen.
    fn start_tail(
        &self,
        job: u64,
        warehouse: &Warehouse,
        options: &crate::stream::tail::TailOptions,
        tx: &UnboundedSender<Action>,
    ) -> anyhow::Result<JobId> {
        let conn = warehouse.connect()?;
        let options = options.clone();
        let events = job_events(tx.clone(), job);
        let status_tx = tx.clone();
        let watch = move |update: JobUpdate| {
            if let JobUpdate::Progress { progress, .. } = &update
                && let Some(Detail::Tail(figures)) = &progress.detail
            {
                let _ = status_tx.send(Action::TailStatus(figures.clone()));
            }
            events(update);
        };
        let started = self.registry.start_watched(
            JobKind::Tail,
            "tail",
            move |progress, cancel| {
                crate::stream::tail::tail_job(&conn, &options, progress, cancel)
            },
            watch,
        );
        Ok(started.id)
    }

    /// Builds the `select`ed nodes of the bundled project as job `job`, judged by the
    /// models' outcome policy like the CLI's and the pipeline's builds.
    fn start_models(
        &self,
        job: u64,
        warehouse: &Warehouse,
        project: &Path,
        select: Vec<String>,
        tx: &UnboundedSender<Action>,
    ) -> anyhow::Result<JobId> {
        let conn = warehouse.connect()?;
        let project = project.to_path_buf();
        let started = self.registry.start_watched(
            JobKind::Models,
            "models build",
            move |progress, cancel| {
                crate::models::outcome::build_job(
                    &conn,
                    &project,
                    select,
                    background_threads(),
                    progress,
                    cancel,
                )
            },
            job_events(tx.clone(), job),
        );
        Ok(started.id)
    }

    /// Loads the bundled sample or the user's files (`load PATH`) as a job of the
    /// registry; its progress and summary come back as ingest actions (the status line
    /// shows them).
    fn start_load(
        &self,
        effect: &Effect,
        warehouse: &Warehouse,
        tx: &UnboundedSender<Action>,
    ) -> anyhow::Result<()> {
        let conn = warehouse.connect()?;
        let (name, path) = match effect {
            Effect::LoadFiles(path) => (format!("load {path}"), Some(path.clone())),
            _ => ("load sample".to_string(), None),
        };
        let progress_tx = tx.clone();
        let finished_tx = tx.clone();
        self.registry.start_watched(
            JobKind::Ingest,
            &name,
            move |progress, cancel| {
                let loaded = (|| -> Result<IngestSummary, JobError> {
                    let sources = match path {
                        Some(path) => crate::ingest::expand(&[path])?,
                        None => vec![crate::sample::source()],
                    };
                    Ok(ingest(
                        &conn,
                        sources,
                        &IngestOptions::default(),
                        progress,
                        cancel,
                    )?)
                })();
                let outcome = match &loaded {
                    Ok(summary) => Outcome::succeeded(format!("{} rows", summary.rows_loaded)),
                    Err(e) => Outcome::from_error(e.as_ref()),
                };
                let _ = finished_tx.send(Action::IngestFinished(
                    loaded.map_err(|e| Failure(format!("{:#}", anyhow::Error::from_boxed(e)))),
                ));
                Ok(outcome)
            },
            move |update| {
                if let JobUpdate::Progress { progress, .. } = update {
                    let _ = progress_tx.send(Action::IngestProgress(progress));
                }
            },
        );
        Ok(())
    }
}

impl Handles {
    /// Opens `path` as views (`crate::open`) in the background: fetching from S3 or
    /// sniffing a large folder takes a while; the report comes back as an action.
    fn start_open(
        &self,
        path: &str,
        warehouse: &Warehouse,
        tx: &UnboundedSender<Action>,
    ) -> anyhow::Result<()> {
        let conn = warehouse.connect()?;
        let (paths, options, tx) = (vec![path.to_string()], self.open.clone(), tx.clone());
        self.registry.start_watched(
            JobKind::Sql,
            &format!("open {path}"),
            move |_progress, _cancel| {
                let opened = crate::open::open(&conn, &paths, &options);
                let outcome = match &opened {
                    Ok(report) => Outcome::succeeded(format!("{} views", report.views.len())),
                    Err(e) => Outcome::from_error(e),
                };
                let _ = tx.send(Action::Opened(opened.map_err(Failure::of)));
                Ok(outcome)
            },
            |_| {},
        );
        Ok(())
    }

    /// Copies the opened view `name` into a table (`crate::open::import`).
    fn start_import(
        &self,
        name: &str,
        warehouse: &Warehouse,
        tx: &UnboundedSender<Action>,
    ) -> anyhow::Result<()> {
        let conn = warehouse.connect()?;
        let (name, schema, tx) = (name.to_string(), self.open.schema.clone(), tx.clone());
        self.registry.start_watched(
            JobKind::Sql,
            &format!("import {name}"),
            move |_progress, _cancel| {
                let imported = crate::open::import(&conn, &schema, &name).map(|(table, rows)| {
                    format!("{table} ({} rows)", crate::format::thousands(rows))
                });
                let outcome = match &imported {
                    Ok(table) => Outcome::succeeded(table.clone()),
                    Err(e) => Outcome::from_error(e),
                };
                let _ = tx.send(Action::Imported(imported.map_err(Failure::of)));
                Ok(outcome)
            },
            |_| {},
        );
        Ok(())
    }
}

/// Turns a background job's updates into the actions of the workbench's job `job`: a
/// succeeded job finishes with its summary, any other outcome fails with its sentence.
fn job_events(tx: UnboundedSender<Action>, job: u64) -> impl Fn(JobUpdate) + Send + Sync {
    move |update| {
        let _ = tx.send(match update {
            JobUpdate::Progress { progress, .. } => Action::JobProgress(job, progress),
            JobUpdate::Finished { outcome, .. } => Action::JobFinished(
                job,
                match outcome {
                    Outcome::Succeeded { summary } => Ok(summary),
                    other => Err(Failure(other.text().to_string())),
                },
            ),
        });
    }
}

/// One line for the Jobs screen: what an alerts check found and sent.
fn check_summary(evaluation: &crate::alerts::Evaluation) -> String {
    let count =
        |f: fn(&crate::alerts::RuleResult) -> usize| evaluation.rules.iter().map(f).sum::<usize>();
    let failed = evaluation.failed_deliveries().count();
    format!(
        "{} rules: {} firing ({} new), {} pending, {} resolved; {} notifications delivered{}",
        evaluation.rules.len(),
        count(|r| r.firing.len()),
        count(|r| r.newly_firing.len()),
        count(|r| r.pending.len()),
        count(|r| r.resolved.len()),
        evaluation.deliveries.len() - failed,
        if failed > 0 {
            format!(", {failed} failed (see screen 8)")
        } else {
            String::new()
        }
    )
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
