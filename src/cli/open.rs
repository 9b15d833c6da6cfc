//! `ecom open PATH...`: each PATH as views in the schema `opened`, then the workbench on
//! the first one's rows, or (`--list`) the views printed. Without `--db` the views live
//! in a scratch database that is deleted on exit, so the user's warehouse stays free for
//! other processes; it is attached read-only beside them when it can be.

use std::path::PathBuf;
use std::time::Instant;

use super::args::OpenArgs;
use super::output::{thousands, write_table};
use super::{Outcome, Settings};
use crate::open::{OpenOptions, OpenReport};
use crate::warehouse::Warehouse;

pub fn run(
    args: &OpenArgs,
    settings: &Settings,
    frame_stats: Option<PathBuf>,
    started: Instant,
) -> anyhow::Result<Outcome> {
    let scratch = if settings.db_explicit {
        None
    } else {
        Some(tempfile::Builder::new().prefix("ecom-open-").tempdir()?)
    };
    let warehouse = match &scratch {
        None => settings.open_warehouse()?,
        Some(dir) => Warehouse::open(&dir.path().join("scratch.duckdb"))?,
    };
    let options = OpenOptions {
        endpoint: args.endpoint.clone(),
        count_rows: args.list,
        ..OpenOptions::default()
    };
    let mut report = crate::open::open(warehouse.conn(), &args.paths, &options)?;
    if args.list {
        return list(&report, settings);
    }
    // Nothing to browse: say why here rather than in an empty workbench.
    if report.views.is_empty() {
        return Ok(failed(&report));
    }
    if scratch.is_some() {
        let note = crate::open::attach_warehouse(warehouse.conn(), &settings.db_path);
        report.notes.push(note);
    }
    let mut tui = super::tui_options(settings, frame_stats, started)?;
    tui.open = OpenOptions {
        count_rows: false,
        ..options
    };
    tui.opened = Some(report);
    crate::tui::run(warehouse, tui)?;
    Ok(Outcome::SUCCESS)
}

/// Prints the views (a table, or the report as JSON); a PATH that did not open fails
/// the command, naming it.
fn list(report: &OpenReport, settings: &Settings) -> anyhow::Result<Outcome> {
    if settings.json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        let rows: Vec<Vec<String>> = report
            .views
            .iter()
            .map(|v| {
                vec![
                    format!("{}.{}", v.schema, v.name),
                    format!("{:?}", v.kind).to_lowercase(),
                    v.format.name().to_string(),
                    v.files.to_string(),
                    v.rows.map(thousands).unwrap_or_default(),
                    v.columns.len().to_string(),
                    v.source.clone(),
                ]
            })
            .collect();
        let mut out = std::io::stdout().lock();
        write_table(
            &mut out,
            &[
                "view", "kind", "format", "files", "rows", "columns", "source",
            ],
            &[false, false, false, true, true, true, false],
            &rows,
        )?;
    }
    for failure in &report.failures {
        eprintln!("cannot open {failure}");
    }
    Ok(match report.failures.len() {
        0 => Outcome::succeeded(format!("{} views", report.views.len())),
        _ => failed(report),
    })
}

/// The outcome naming every PATH that did not open, and why.
fn failed(report: &OpenReport) -> Outcome {
    Outcome::failed(format!(
        "{} path(s) did not open: {}",
        report.failures.len(),
        report
            .failures
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    ))
}
