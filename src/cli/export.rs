//! `ecom export --to DIR|s3://…` and `ecom report --out DIR`

use anyhow::Context;

use super::args::{ExportArgs, ReportArgs};
use super::output::{thousands, write_table};
use super::progress::CliProgress;
use super::{Outcome, Settings};
use crate::export::report::{self, Period};
use crate::export::{Destination, ExportOptions, export};

pub fn run_export(args: &ExportArgs, settings: &Settings) -> anyhow::Result<Outcome> {
    let destination = Destination::parse(&args.to)?;
    let since = args
        .since
        .as_deref()
        .map(|d| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .with_context(|| format!("--since {d}: use YYYY-MM-DD"))
        })
        .transpose()?;
    let options = ExportOptions {
        tables: args.tables.clone(),
        since,
        endpoint: args.endpoint.clone(),
        staging: None,
    };
    let warehouse = settings.open_warehouse()?;
    let progress = CliProgress::new(settings.quiet);
    let summary = export(
        warehouse.conn(),
        &destination,
        &options,
        &progress,
        &super::interrupt::cancel_on_ctrl_c(),
    )?;
    progress.finish();
    if settings.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(Outcome::SUCCESS);
    }
    let rows: Vec<Vec<String>> = summary
        .tables
        .iter()
        .map(|t| {
            vec![
                t.table.clone(),
                thousands(t.files as u64),
                thousands(t.rows),
                indicatif::HumanBytes(t.bytes).to_string(),
                t.partitioning.join(", "),
            ]
        })
        .collect();
    println!(
        "exported to {} in {:.2} s",
        summary.destination, summary.elapsed_seconds
    );
    write_table(
        &mut std::io::stdout().lock(),
        &["table", "files", "rows", "size", "partitioned by"],
        &[false, true, true, true, false],
        &rows,
    )?;
    Ok(Outcome::SUCCESS)
}

pub fn run_report(args: &ReportArgs, settings: &Settings) -> anyhow::Result<Outcome> {
    let period = args.period.as_deref().map(Period::parse).transpose()?;
    let warehouse = settings.open_warehouse()?;
    let files = report::write(
        warehouse.conn(),
        &args.out,
        period,
        &warehouse.path().display().to_string(),
    )?;
    if settings.json {
        println!("{}", serde_json::to_string_pretty(&files)?);
    } else {
        println!(
            "wrote {} and {} ({} charts)",
            files.html.display(),
            files.markdown.display(),
            files.charts.len()
        );
    }
    Ok(Outcome::SUCCESS)
}
