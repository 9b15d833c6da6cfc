//! `ecom pipeline run [--every DUR | --cron EXPR]`

use std::time::Duration;

use super::args::{PipelineAction, PipelineArgs};
use super::output::write_table;
use super::progress::CliProgress;
use super::{Outcome, Settings};
use crate::jobs::dag::{JobReport, JobStatus};
use crate::pipeline::{Schedule, run_on_schedule};

pub fn run(action: PipelineAction, settings: &Settings) -> anyhow::Result<Outcome> {
    let PipelineAction::Run(args) = action;
    let alerts = super::alerts::load_if_present(settings)?;
    let warehouse = settings.open_warehouse()?;
    let progress = CliProgress::new(settings.quiet);
    let cancel = super::interrupt::cancel_on_ctrl_c();
    let last = run_pipeline(
        &args,
        settings,
        warehouse.conn(),
        &progress,
        &cancel,
        |run| {
            progress.finish();
            if run.resumed {
                eprintln!("resuming interrupted pipeline run #{}", run.run_id);
            }
            report(&run.reports, run.run_id, run.status, settings.json)?;
            // The alert rules see each run's data (and its failed jobs) at once.
            if let Some(file) = &alerts
                && let Err(error) =
                    super::alerts::evaluate_and_tell(warehouse.conn(), file, settings)
            {
                eprintln!("alerts: {error:#}");
            }
            if let Some(wait) = run.next_in {
                eprintln!(
                    "next run in {}",
                    humantime::format_duration(Duration::from_secs(wait.as_secs()))
                );
            }
            Ok(())
        },
    )?;
    Ok(match last.as_ref().map(|run| (run.status, run.run_id)) {
        None | Some(("success", _)) => Outcome::SUCCESS,
        Some(("data_checks_failed", run_id)) => Outcome::DataChecksFailed {
            sentence: format!("pipeline run #{run_id}: data checks failed"),
        },
        Some((_, run_id)) => anyhow::bail!("pipeline run #{run_id} failed"),
    })
}

/// Runs the pipeline as `ecom pipeline run ARGS` would, on the writing connection `conn`
/// (also used by `ecom serve --pipeline ARGS`).
pub fn run_pipeline(
    args: &PipelineArgs,
    settings: &Settings,
    conn: &duckdb::Connection,
    progress: &dyn crate::jobs::ProgressSink,
    cancel: &crate::jobs::CancelToken,
    on_run: impl FnMut(&crate::pipeline::FinishedRun) -> anyhow::Result<()>,
) -> anyhow::Result<Option<crate::pipeline::FinishedRun>> {
    let schedule = Schedule::parse(args.every.as_deref(), args.cron.as_deref(), args.max_runs)?;
    let mut config = settings.config.clone();
    if !args.ingest.is_empty() {
        config.pipeline.ingest_paths = args.ingest.clone();
    }
    run_on_schedule(
        conn,
        &settings.db_path,
        &config,
        &schedule,
        progress,
        cancel,
        on_run,
    )
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
