//! `ecom ingest PATH...`

use anyhow::{Context, bail};

use super::args::IngestArgs;
use super::output::thousands;
use super::progress::CliProgress;
use super::{Outcome, Settings};
use crate::config::BadRowLimit;
use crate::ingest::{FileStatus, IngestOptions, IngestSummary, expand, ingest};

pub fn run(args: &IngestArgs, settings: &Settings) -> anyhow::Result<Outcome> {
    let limit = args
        .max_bad_rows
        .as_ref()
        .or(settings.config.ingest.max_bad_rows.as_ref())
        .map(|text| BadRowLimit::parse(text))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--max-bad-rows: {e}"))?;
    let sources = expand(&args.paths)?;
    let warehouse = settings.open_warehouse()?;
    let options = IngestOptions {
        batch_rows: args
            .batch_rows
            .unwrap_or(settings.config.ingest.batch_rows)
            .max(1),
        max_inflated_bytes: settings.config.ingest.max_inflated_bytes,
        ..IngestOptions::default()
    };
    let progress = CliProgress::new(settings.quiet);
    let summary = ingest(
        warehouse.conn(),
        sources,
        &options,
        &progress,
        &super::interrupt::cancel_on_ctrl_c(),
    )
    .context("ingest failed")?;
    progress.finish();
    if settings.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary);
    }
    if summary.cancelled {
        bail!("cancelled: what was read is committed; run the same command again to load the rest");
    }
    if summary.files_rejected > 0 {
        bail!(
            "{} file(s) rejected (the others were loaded): {}",
            summary.files_rejected,
            rejected_list(&summary)
        );
    }
    if let Some(limit) = limit
        && limit.exceeded(summary.rows_quarantined, summary.lines_read())
    {
        eprintln!(
            "data check failed: {} quarantined rows exceed --max-bad-rows (see raw.quarantine)",
            thousands(summary.rows_quarantined)
        );
        return Ok(Outcome::DataChecksFailed);
    }
    Ok(Outcome::Success)
}

fn rejected_list(summary: &IngestSummary) -> String {
    summary
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Rejected)
        .map(|f| {
            format!(
                "{}: {}",
                f.source,
                f.reason.as_deref().unwrap_or("rejected")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn print_summary(s: &IngestSummary) {
    println!(
        "loaded       {} files, {} rows",
        thousands(s.files_loaded),
        thousands(s.rows_loaded)
    );
    println!(
        "duplicate    {} files (content loaded before, skipped)",
        thousands(s.files_duplicate)
    );
    println!(
        "quarantined  {} rows{}",
        thousands(s.rows_quarantined),
        if s.rows_quarantined > 0 {
            " (see raw.quarantine)"
        } else {
            ""
        }
    );
    println!("rejected     {} files", thousands(s.files_rejected));
    for f in s.files.iter().filter(|f| f.status == FileStatus::Rejected) {
        println!("  {}: {}", f.source, f.reason.as_deref().unwrap_or(""));
    }
    println!(
        "ingest #{} {} in {:.2} s",
        s.ingest_id,
        if s.cancelled { "cancelled" } else { "finished" },
        s.elapsed_seconds
    );
}
