//! `ecom pipeline run [--every DUR | --cron EXPR]`

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;

use super::args::{PipelineAction, PipelineArgs};
use super::output::write_table;
use super::progress::CliProgress;
use super::{Outcome, Settings};
use crate::jobs::dag::{self, JobReport, JobStatus};
use crate::pipeline::{DbRecorder, Jobs, jobs, specs};

/// When the next run starts.
enum Schedule {
    Once,
    Every(Duration),
    Cron(Box<croner::Cron>),
}

impl Schedule {
    fn from_args(args: &PipelineArgs) -> anyhow::Result<Self> {
        if let Some(every) = &args.every {
            let every =
                humantime::parse_duration(every).with_context(|| format!("--every {every}"))?;
            return Ok(Self::Every(every));
        }
        if let Some(expr) = &args.cron {
            let cron = croner::Cron::from_str(expr)
                .map_err(|e| anyhow::anyhow!("--cron `{expr}`: {e}"))?;
            return Ok(Self::Cron(Box::new(cron)));
        }
        Ok(Self::Once)
    }

    /// How long to wait from now, when there is a next run.
    fn wait(&self, started: std::time::Instant) -> anyhow::Result<Option<Duration>> {
        Ok(match self {
            Self::Once => None,
            Self::Every(every) => Some(every.saturating_sub(started.elapsed())),
            Self::Cron(cron) => {
                let now = chrono::Local::now();
                let next = cron
                    .find_next_occurrence(&now, false)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Some((next - now).to_std().unwrap_or_default())
            }
        })
    }
}

pub fn run(action: PipelineAction, settings: &Settings) -> anyhow::Result<Outcome> {
    let PipelineAction::Run(args) = action;
    let schedule = Schedule::from_args(&args)?;
    let mut config = settings.config.clone();
    if !args.ingest.is_empty() {
        config.pipeline.ingest_paths = args.ingest.clone();
    }
    let jobs = jobs(&config);
    let specs = specs(&jobs)?;
    dag::order(&specs)?;
    let warehouse = settings.open_warehouse()?;
    let default_project = crate::models::bundled::unpacked(&settings.db_path)?;
    let runner = Jobs {
        conn: std::sync::Mutex::new(warehouse.connect()?),
        config: &config,
        jobs: jobs.clone(),
        default_project,
    };
    let progress = CliProgress::new(settings.quiet);
    let cancel = super::interrupt::cancel_on_ctrl_c();
    let mut runs = 0;
    loop {
        let started = std::time::Instant::now();
        let (recorder, resumed) = DbRecorder::start(warehouse.conn(), &jobs)?;
        if resumed {
            eprintln!("resuming interrupted pipeline run #{}", recorder.run_id);
        }
        let reports = dag::run(&specs, &runner, &recorder, &progress, &cancel)?;
        let status = recorder.finish(&reports)?;
        progress.finish();
        report(&reports, recorder.run_id, status, settings.json)?;
        runs += 1;
        let wait = schedule.wait(started)?;
        if wait.is_none() || args.max_runs.is_some_and(|max| runs >= max) {
            return Ok(match status {
                "success" => Outcome::Success,
                "data_checks_failed" => Outcome::DataChecksFailed,
                _ => anyhow::bail!("pipeline run #{} failed", recorder.run_id),
            });
        }
        let wait = wait.unwrap_or_default();
        eprintln!(
            "next run in {}",
            humantime::format_duration(Duration::from_secs(wait.as_secs()))
        );
        let until = std::time::Instant::now() + wait;
        while std::time::Instant::now() < until {
            if cancel.is_cancelled() {
                return Ok(Outcome::Success);
            }
            std::thread::sleep(Duration::from_millis(200).min(until - std::time::Instant::now()));
        }
    }
}

fn report(reports: &[JobReport], run_id: i64, status: &str, json: bool) -> anyhow::Result<()> {
    if json {
        println!(
            "{}",
            serde_json::json!({"run_id": run_id, "status": status, "jobs": reports})
        );
        return Ok(());
    }
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            let status = match r.status {
                JobStatus::Success => "success",
                JobStatus::AlreadyDone => "done before",
                JobStatus::DataChecksFailed => "data checks failed",
                JobStatus::Failed => "failed",
                JobStatus::Skipped => "skipped",
                JobStatus::Cancelled => "cancelled",
            };
            vec![
                r.job.clone(),
                status.to_string(),
                r.attempts.to_string(),
                r.message.clone(),
            ]
        })
        .collect();
    println!("pipeline run #{run_id}: {status}");
    write_table(
        &mut std::io::stdout().lock(),
        &["job", "status", "attempts", "message"],
        &[false, false, true, false],
        &rows,
    )?;
    Ok(())
}
