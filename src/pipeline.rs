//! The pipeline's jobs (what the work is): ingest new files, build the models with their
//! tests, run SQL. `jobs::dag` runs them (how the work is run); `DbRecorder` keeps every
//! pipeline run and attempt in `meta.pipeline_runs` / `meta.job_runs`, so a killed run
//! resumes where it stopped.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use duckdb::Connection;

use crate::config::{Config, PipelineJob};
use crate::ingest::{expand, ingest};
use crate::jobs::dag::{Attempted, DagError, JobReport, JobRunner, JobSpec, RunRecorder};
use crate::jobs::{CancelToken, JobError, JobKind, Outcome, ProgressSink};

/// Why the pipeline could not run (a job's own failure is not one: it is recorded as
/// the job's outcome and the run goes on).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("job {job}: {what} `{value}`: {source}")]
    Duration {
        job: String,
        what: &'static str,
        value: String,
        source: humantime::DurationError,
    },
    #[error("--every {value}: {source}")]
    Every {
        value: String,
        source: humantime::DurationError,
    },
    #[error("--cron `{expr}`: {reason}")]
    Cron { expr: String, reason: String },
    #[error(transparent)]
    Dag(#[from] DagError),
    #[error("the pipeline's records in the warehouse: {0}")]
    Db(#[from] duckdb::Error),
    #[error("the bundled model project: {0}")]
    Project(#[source] std::io::Error),
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
}

/// The jobs of the pipeline: the configured ones, or ingest (when paths are set) then
/// models.
pub fn jobs(config: &Config) -> Vec<PipelineJob> {
    if !config.pipeline.jobs.is_empty() {
        return config.pipeline.jobs.clone();
    }
    let mut jobs = Vec::new();
    if !config.pipeline.ingest_paths.is_empty() {
        jobs.push(PipelineJob {
            name: "ingest".into(),
            kind: Some(JobKind::Ingest),
            ..PipelineJob::default()
        });
    }
    jobs.push(PipelineJob {
        name: "models".into(),
        kind: Some(JobKind::Models),
        depends_on: jobs.iter().map(|j| j.name.clone()).collect(),
        ..PipelineJob::default()
    });
    jobs
}

pub fn specs(jobs: &[PipelineJob]) -> Result<Vec<JobSpec>, PipelineError> {
    let duration = |job: &PipelineJob, what: &'static str, value: &str| {
        humantime::parse_duration(value).map_err(|source| PipelineError::Duration {
            job: job.name.clone(),
            what,
            value: value.to_string(),
            source,
        })
    };
    jobs.iter()
        .map(|job| {
            Ok(JobSpec {
                name: job.name.clone(),
                depends_on: job.depends_on.clone(),
                retries: job.retries,
                backoff: duration(job, "backoff", &job.backoff)?,
                timeout: job
                    .timeout
                    .as_deref()
                    .map(|t| duration(job, "timeout", t))
                    .transpose()?,
            })
        })
        .collect()
}

/// Does the work of each job kind on its own connection.
pub struct Jobs<'a> {
    /// Cloned for every attempt (attempts run on their own threads).
    pub conn: std::sync::Mutex<Connection>,
    pub config: &'a Config,
    pub jobs: Vec<PipelineJob>,
    /// The bundled project, unpacked, when no project is configured.
    pub default_project: PathBuf,
    /// Where exports to S3 stage their files ([`staging_dir`]).
    pub export_staging: PathBuf,
}

impl JobRunner for Jobs<'_> {
    fn run(
        &self,
        spec: &JobSpec,
        progress: &dyn ProgressSink,
        cancel: &CancelToken,
    ) -> Result<Attempted, JobError> {
        let job = self
            .jobs
            .iter()
            .find(|j| j.name == spec.name)
            .ok_or("job without configuration")?;
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .try_clone()?;
        match job.kind.ok_or("a pipeline job needs a `kind`")? {
            JobKind::Ingest => {
                let sources = expand(&self.config.pipeline.ingest_paths)?;
                let options = self.config.ingest.options()?;
                let summary = ingest(&conn, sources, &options, progress, cancel)?;
                if summary.files_rejected > 0 {
                    return Err(format!("{} file(s) rejected", summary.files_rejected).into());
                }
                Ok(Attempted::succeeded(
                    Some(summary.rows_loaded),
                    format!(
                        "{} new files, {} rows, {} quarantined",
                        summary.files_loaded, summary.rows_loaded, summary.rows_quarantined
                    ),
                ))
            }
            JobKind::Models => {
                let dir = self
                    .config
                    .pipeline
                    .project
                    .clone()
                    .unwrap_or_else(|| self.default_project.clone());
                let summary = crate::models::build_project(
                    &conn,
                    &dir,
                    job.select.clone(),
                    std::thread::available_parallelism().map_or(2, |n| n.get()),
                    progress,
                    cancel,
                )?;
                let outcome = crate::models::outcome::outcome(&summary, cancel.is_cancelled());
                if let Outcome::Failed { sentence } | Outcome::Cancelled { summary: sentence } =
                    &outcome
                {
                    return Err(sentence.clone().into());
                }
                Ok(outcome.into())
            }
            JobKind::Export => {
                let to = job.to.as_deref().ok_or("an export job needs `to`")?;
                let options = crate::export::ExportOptions {
                    tables: job.tables.clone(),
                    since: None,
                    endpoint: job.endpoint.clone(),
                    staging: Some(self.export_staging.clone()),
                };
                let summary = crate::export::export(
                    &conn,
                    &crate::export::Destination::parse(to)?,
                    &options,
                    progress,
                    cancel,
                )?;
                let rows = summary.tables.iter().map(|t| t.rows).sum();
                Ok(Attempted::succeeded(
                    Some(rows),
                    format!("{} tables to {}", summary.tables.len(), summary.destination),
                ))
            }
            JobKind::Ml => {
                let model = crate::ml::MlModel::parse(job.model.as_deref().unwrap_or_default())?;
                let summary = crate::ml::run_with_defaults(&conn, model, progress, cancel)?;
                Ok(Attempted::succeeded(None, summary))
            }
            JobKind::Sql => {
                let sql = job.sql.as_deref().ok_or("an sql job needs `sql`")?;
                run_sql(&conn, sql, cancel)?;
                Ok(Attempted::succeeded(None, "OK"))
            }
            other => Err(format!("`{other}` is not a kind of pipeline job").into()),
        }
    }
}

/// Runs SQL, interrupting DuckDB when the job is cancelled (a timeout).
fn run_sql(conn: &Connection, sql: &str, cancel: &CancelToken) -> duckdb::Result<()> {
    let interrupt = conn.interrupt_handle();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (cancel, done) = (cancel.clone(), Arc::clone(&done));
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if cancel.is_cancelled() {
                    interrupt.interrupt();
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let result = crate::warehouse::commit::execute_as_written(conn, sql);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = watcher.join();
    result
}

/// Pipeline runs and attempts in the warehouse.
pub struct DbRecorder<'a> {
    pub conn: &'a Connection,
    pub run_id: i64,
}

impl<'a> DbRecorder<'a> {
    /// Resumes the last run if it was interrupted (still `running`), else starts one.
    pub fn start(conn: &'a Connection, jobs: &[PipelineJob]) -> duckdb::Result<(Self, bool)> {
        let names = jobs
            .iter()
            .map(|j| j.name.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let interrupted: Option<i64> = conn
            .query_row(
                "SELECT run_id FROM meta.pipeline_runs WHERE status = 'running' AND jobs = ? ORDER BY run_id DESC LIMIT 1",
                [&names],
                |r| r.get(0),
            )
            .ok();
        if let Some(run_id) = interrupted {
            conn.execute(
                "UPDATE meta.job_runs SET status = 'interrupted', finished_at = now()::TIMESTAMP WHERE run_id = ? AND status = 'running'",
                [run_id],
            )?;
            return Ok((Self { conn, run_id }, true));
        }
        let run_id: i64 = conn.query_row(
            "INSERT INTO meta.pipeline_runs (run_id, started_at, status, jobs)
             VALUES (nextval('meta.pipeline_run_id_seq'), now()::TIMESTAMP, 'running', ?) RETURNING run_id",
            [&names],
            |r| r.get(0),
        )?;
        Ok((Self { conn, run_id }, false))
    }

    pub fn finish(&self, reports: &[JobReport]) -> duckdb::Result<&'static str> {
        use crate::jobs::dag::JobStatus::*;
        let status = if reports
            .iter()
            .all(|r| matches!(r.status, Success | AlreadyDone))
        {
            "success"
        } else if reports
            .iter()
            .any(|r| matches!(r.status, Failed | Skipped | Cancelled))
        {
            "failed"
        } else {
            "data_checks_failed"
        };
        self.conn.execute(
            "UPDATE meta.pipeline_runs SET status = ?, finished_at = now()::TIMESTAMP WHERE run_id = ?",
            duckdb::params![status, self.run_id],
        )?;
        Ok(status)
    }
}

impl RunRecorder for DbRecorder<'_> {
    fn already_done(&self, job: &str) -> Result<bool, JobError> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM meta.job_runs WHERE run_id = ? AND job = ? AND status = 'success'",
            duckdb::params![self.run_id, job],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// Attempts are numbered across invocations of the run (an interrupted one counts).
    fn attempt_started(&self, job: &str, _attempt: u32) -> Result<(), JobError> {
        let previous: i64 = self.conn.query_row(
            "SELECT count(*) FROM meta.job_runs WHERE run_id = ? AND job = ?",
            duckdb::params![self.run_id, job],
            |r| r.get(0),
        )?;
        self.conn.execute(
            "INSERT INTO meta.job_runs (run_id, job, attempt, status, started_at) VALUES (?, ?, ?, 'running', now()::TIMESTAMP)",
            duckdb::params![self.run_id, job, previous + 1],
        )?;
        Ok(())
    }

    fn attempt_finished(
        &self,
        job: &str,
        _attempt: u32,
        status: &str,
        rows: Option<u64>,
        message: &str,
    ) -> Result<(), JobError> {
        let error = (status != "success").then_some(message);
        self.conn.execute(
            "UPDATE meta.job_runs SET status = ?, finished_at = now()::TIMESTAMP, rows = ?, message = ?, error = ?
             WHERE run_id = ? AND job = ? AND status = 'running'",
            duckdb::params![status, rows.map(|r| r as i64), message, error, self.run_id, job],
        )?;
        Ok(())
    }
}

/// When the pipeline runs again, and how many times at most.
pub struct Schedule {
    timing: Timing,
    max_runs: Option<u32>,
}

enum Timing {
    Once,
    Every(Duration),
    Cron(Box<croner::Cron>),
}

impl Schedule {
    /// From `--every DUR` or `--cron EXPR` (neither: once) and `--max-runs N`.
    pub fn parse(
        every: Option<&str>,
        cron: Option<&str>,
        max_runs: Option<u32>,
    ) -> Result<Self, PipelineError> {
        let timing = if let Some(every) = every {
            Timing::Every(humantime::parse_duration(every).map_err(|source| {
                PipelineError::Every {
                    value: every.to_string(),
                    source,
                }
            })?)
        } else if let Some(expr) = cron {
            let cron = <croner::Cron as std::str::FromStr>::from_str(expr).map_err(|e| {
                PipelineError::Cron {
                    expr: expr.to_string(),
                    reason: e.to_string(),
                }
            })?;
            Timing::Cron(Box::new(cron))
        } else {
            Timing::Once
        };
        Ok(Self { timing, max_runs })
    }

    /// How long to wait from now, when there is a next run.
    fn wait(&self, started: std::time::Instant) -> Result<Option<Duration>, PipelineError> {
        Ok(match &self.timing {
            Timing::Once => None,
            Timing::Every(every) => Some(every.saturating_sub(started.elapsed())),
            Timing::Cron(cron) => {
                let now = chrono::Local::now();
                let next =
                    cron.find_next_occurrence(&now, false)
                        .map_err(|e| PipelineError::Cron {
                            expr: cron.as_str().to_string(),
                            reason: e.to_string(),
                        })?;
                Some((next - now).to_std().unwrap_or_default())
            }
        })
    }
}

/// One finished pipeline run, as the scheduler hands it to its caller.
pub struct FinishedRun {
    pub run_id: i64,
    /// `success`, `data_checks_failed` or `failed`.
    pub status: &'static str,
    pub reports: Vec<crate::jobs::dag::JobReport>,
    /// Whether it resumed a run that had been interrupted.
    pub resumed: bool,
    /// How long until the next run, when there is one.
    pub next_in: Option<Duration>,
}

/// The export staging folder of the warehouse at `db_path`: `NAME.staging` beside it.
pub fn staging_dir(db_path: &std::path::Path) -> PathBuf {
    let stem = db_path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "warehouse".into());
    std::path::absolute(db_path)
        .unwrap_or_else(|_| db_path.to_path_buf())
        .with_file_name(format!("{stem}.staging"))
}

/// The folders the pipeline's jobs have DuckDB read or write: the model project (its
/// seeds), the export staging folder and each local export destination. `ecom serve`
/// allows exactly these when it takes file access away from its database.
pub fn duckdb_folders(
    config: &Config,
    db_path: &std::path::Path,
) -> Result<Vec<PathBuf>, PipelineError> {
    let project = match &config.pipeline.project {
        Some(project) => project.clone(),
        None => bundled_project(db_path)?,
    };
    let mut folders = vec![project, staging_dir(db_path)];
    for job in jobs(config) {
        if let (true, Some(to)) = (job.kind == Some(JobKind::Export), &job.to)
            && let crate::export::Destination::Dir(dir) =
                crate::export::Destination::parse(to).map_err(PipelineError::from)?
        {
            folders.push(dir);
        }
    }
    Ok(folders)
}

fn bundled_project(db_path: &std::path::Path) -> Result<PathBuf, PipelineError> {
    crate::models::bundled::unpacked(db_path).map_err(PipelineError::Project)
}

/// Runs the pipeline of `config` on `schedule` until the schedule ends or `cancel` is
/// set; `on_run` sees every finished run. `conn` is the
/// process's writing connection; `db_path` locates the bundled model project.
pub fn run_on_schedule<E: From<PipelineError>>(
    conn: &Connection,
    db_path: &std::path::Path,
    config: &Config,
    schedule: &Schedule,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
    mut on_run: impl FnMut(&FinishedRun) -> Result<(), E>,
) -> Result<Option<FinishedRun>, E> {
    let jobs = jobs(config);
    let specs = specs(&jobs)?;
    crate::jobs::dag::order(&specs).map_err(PipelineError::from)?;
    let runner = Jobs {
        conn: std::sync::Mutex::new(conn.try_clone().map_err(PipelineError::from)?),
        config,
        jobs: jobs.clone(),
        default_project: bundled_project(db_path)?,
        export_staging: staging_dir(db_path),
    };
    let mut runs = 0;
    loop {
        let started = std::time::Instant::now();
        let (recorder, resumed) = DbRecorder::start(conn, &jobs).map_err(PipelineError::from)?;
        let reports = crate::jobs::dag::run(&specs, &runner, &recorder, progress, cancel)
            .map_err(PipelineError::from)?;
        let status = recorder.finish(&reports).map_err(PipelineError::from)?;
        runs += 1;
        let more = !cancel.is_cancelled() && schedule.max_runs.is_none_or(|max| runs < max);
        let run = FinishedRun {
            run_id: recorder.run_id,
            status,
            reports,
            resumed,
            next_in: if more { schedule.wait(started)? } else { None },
        };
        on_run(&run)?;
        let Some(wait) = run.next_in else {
            return Ok(Some(run));
        };
        let until = std::time::Instant::now() + wait;
        while std::time::Instant::now() < until {
            if cancel.is_cancelled() {
                return Ok(Some(run));
            }
            std::thread::sleep(Duration::from_millis(200).min(until - std::time::Instant::now()));
        }
    }
}
