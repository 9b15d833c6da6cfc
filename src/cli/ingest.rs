//! `ecom ingest PATH...`

use anyhow::{Context, bail};

use super::args::IngestArgs;
use super::output::thousands;
use super::progress::CliProgress;
use super::{Outcome, Settings};
use crate::config::BadRowLimit;
use crate::ingest::dialect::TimestampFormat;
use crate::ingest::mapping::{Mapping, ShapeChoice};
use crate::ingest::values::zone as zone_named;
use crate::ingest::{FileStatus, IngestOptions, IngestSummary, Source, expand, ingest};

/// Quarantining more than this share of the lines read fails the run (exit 3): a file
/// that is close to this data but not quite (another delimiter, decimal commas) must
/// not load a sliver of itself and pass.
const DEFAULT_MAX_BAD_ROWS: &str = "1%";

pub fn run(args: &IngestArgs, settings: &Settings) -> anyhow::Result<Outcome> {
    let limit_text = args
        .max_bad_rows
        .as_deref()
        .or(settings.config.ingest.max_bad_rows.as_deref())
        .unwrap_or(DEFAULT_MAX_BAD_ROWS);
    let limit =
        BadRowLimit::parse(limit_text).map_err(|e| anyhow::anyhow!("--max-bad-rows: {e}"))?;
    if let Some(file) = &args.suggest_mapping {
        return suggest(file, args.sheet.as_deref(), settings);
    }
    let options = options(args, settings)?;
    let sources = expand(&args.paths)?;
    let warehouse = settings.open_warehouse()?;
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
    if limit.exceeded(summary.rows_quarantined, summary.lines_read()) {
        let cause = crate::ingest::quarantine_cause(warehouse.conn(), summary.ingest_id)?
            .map(|c| format!("; {c}"))
            .unwrap_or_default();
        return Ok(Outcome::DataChecksFailed {
            sentence: format!(
                "{} of {} lines were quarantined, more than --max-bad-rows {limit_text}{cause} (see raw.quarantine)",
                thousands(summary.rows_quarantined),
                thousands(summary.lines_read())
            ),
        });
    }
    Ok(Outcome::SUCCESS)
}

/// The run's options: the configuration's `[ingest]`, then the flags.
fn options(args: &IngestArgs, settings: &Settings) -> anyhow::Result<IngestOptions> {
    let mut options = settings.config.ingest.options()?;
    if let Some(rows) = args.batch_rows {
        options.batch_rows = rows.max(1);
    }
    if let Some(path) = &args.mapping {
        options.shape.mapping = Some(Mapping::load(path)?);
    }
    if let Some(preset) = args.preset {
        options.shape = ShapeChoice {
            preset: Some(preset),
            mapping: None,
        };
    }
    if let Some(zone) = &args.timezone {
        options.timezone = zone_named(zone).map_err(|e| anyhow::anyhow!("--timezone: {e}"))?;
    }
    options.sheet = args.sheet.clone();
    Ok(options)
}

/// `--suggest-mapping FILE`: the guessed mapping on standard output.
fn suggest(file: &str, sheet: Option<&str>, settings: &Settings) -> anyhow::Result<Outcome> {
    let source = match file {
        "-" => Source::stdin(),
        path => Source::file(std::path::Path::new(path)),
    };
    let bytes = source
        .read(settings.config.ingest.max_inflated_bytes)
        .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    let text = crate::ingest::suggest::suggest(bytes, file, sheet)
        .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    print!("{text}");
    Ok(Outcome::SUCCESS)
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
    // The date order is decided once per file: say which, where it is not ISO.
    for format in [TimestampFormat::DayFirst, TimestampFormat::MonthFirst] {
        let files: Vec<&str> = s
            .files
            .iter()
            .filter(|f| f.timestamp_format == Some(format))
            .map(|f| f.source.as_str())
            .collect();
        if !files.is_empty() {
            println!(
                "dates        read as {} in {}",
                format.name(),
                some_files(&files)
            );
        }
    }
    let mut shapes: Vec<(&str, Vec<&str>)> = Vec::new();
    for f in &s.files {
        if let Some(preset) = f.preset.as_deref() {
            match shapes.iter_mut().find(|(p, _)| *p == preset) {
                Some((_, files)) => files.push(&f.source),
                None => shapes.push((preset, vec![&f.source])),
            }
        }
    }
    for (preset, files) in shapes {
        println!("read as      {preset} in {}", some_files(&files));
    }
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

/// A few file names, or how many there are.
fn some_files(files: &[&str]) -> String {
    if files.len() <= 3 {
        files.join(", ")
    } else {
        format!("{} files", files.len())
    }
}
