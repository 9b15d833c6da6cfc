//! `ecom export --to DIR|s3://…` and `ecom report --out DIR`

use anyhow::Context;

use super::args::{ExportArgs, ReportArgs};
use super::output::{thousands, write_table};
use super::progress::CliProgress;
use super::{Outcome, Settings};
use crate::dashboards::{Places, Selection, VariableKind, evaluate, render};
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
    let sections = dashboard_sections(args, settings, &warehouse)?;
    let files = report::write(
        warehouse.conn(),
        &args.out,
        period,
        &warehouse.path().display().to_string(),
        &sections,
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
    let errors: Vec<&String> = sections.iter().flat_map(|s| &s.errors).collect();
    if errors.is_empty() {
        return Ok(Outcome::SUCCESS);
    }
    for error in &errors {
        eprintln!("{error}");
    }
    Ok(Outcome::failed(format!(
        "{} dashboard panels failed (drawn as their error in the report)",
        errors.len()
    )))
}

/// Draws each `--dashboard NAME` into the report folder, with `--period` as the
/// dashboard's period variable when it has one.
fn dashboard_sections(
    args: &ReportArgs,
    settings: &Settings,
    warehouse: &crate::warehouse::Warehouse,
) -> anyhow::Result<Vec<report::DashboardSection>> {
    if args.dashboard.is_empty() {
        return Ok(Vec::new());
    }
    let places = Places::new(&settings.config_dir(), settings.dashboards_dir.clone());
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut sections = Vec::new();
    for name in &args.dashboard {
        let dashboard = places.find(name)?.load()?;
        let mut selection = Selection::default();
        let period_variable = dashboard
            .variables
            .iter()
            .find(|v| v.kind == VariableKind::Period);
        if let (Some(text), Some(variable)) = (&args.period, period_variable) {
            selection.set(&variable.name, text.clone());
        }
        let evaluated = evaluate(warehouse.conn(), dashboard, &selection)?;
        sections.push(render::report_section(&evaluated, name, &args.out)?);
    }
    Ok(sections)
}
