//! `ecom ml segment|recommend|anomalies|runs`

use anyhow::Context;

use super::args::{AnomalyArgs, MlAction, RecommendArgs, SegmentArgs};
use super::output::{thousands, write_table};
use super::progress::CliProgress;
use super::{Outcome, Settings};
use crate::ml::anomalies::{AnomalyOptions, AnomalyReport, anomalies};
use crate::ml::recommend::{Lookup, RecommendOptions, RecommendReport, lookup, recommend};
use crate::ml::segment::{SegmentOptions, SegmentReport, segment};
use crate::ml::{als::AlsParams, recent_runs};
use crate::warehouse::Warehouse;

pub fn run(action: MlAction, settings: &Settings) -> anyhow::Result<Outcome> {
    let warehouse = settings.open_warehouse()?;
    match action {
        MlAction::Segment(args) => run_segment(&args, &warehouse, settings),
        MlAction::Recommend(args) => run_recommend(&args, &warehouse, settings),
        MlAction::Anomalies(args) => run_anomalies(&args, &warehouse, settings),
        MlAction::Runs { model, limit } => list_runs(model, limit, &warehouse, settings),
    }
}

/// Runs one job with a progress bar and Ctrl+C cancellation.
fn with_progress<T>(
    settings: &Settings,
    job: impl FnOnce(&CliProgress, &crate::jobs::CancelToken) -> Result<T, crate::ml::MlError>,
) -> anyhow::Result<T> {
    let progress = CliProgress::new(settings.quiet);
    let result = job(&progress, &super::interrupt::cancel_on_ctrl_c());
    progress.finish();
    Ok(result?)
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<Outcome> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(Outcome::SUCCESS)
}

fn run_segment(
    args: &SegmentArgs,
    warehouse: &Warehouse,
    settings: &Settings,
) -> anyhow::Result<Outcome> {
    let options = SegmentOptions {
        algorithm: args.algorithm,
        k_min: args.k.unwrap_or(args.k_min),
        k_max: args.k.unwrap_or(args.k_max),
        seed: args.seed,
    };
    let report = with_progress(settings, |p, c| segment(warehouse.conn(), &options, p, c))?;
    if settings.json {
        return print_json(&report);
    }
    print_segments(&report)?;
    Ok(Outcome::SUCCESS)
}

fn print_segments(report: &SegmentReport) -> anyhow::Result<()> {
    let out = &mut std::io::stdout().lock();
    println!(
        "{} segments of {} customers by {} (seed {}), silhouette {:.3}; run {}",
        report.k,
        thousands(report.customers as u64),
        serde_json::to_value(report.algorithm)?
            .as_str()
            .unwrap_or_default(),
        report.seed,
        report.silhouette,
        report.run_id
    );
    let scores: Vec<Vec<String>> = report
        .scores
        .iter()
        .map(|s| {
            vec![
                s.k.to_string(),
                format!("{:.3}", s.silhouette),
                if s.k == report.k { "chosen" } else { "" }.into(),
            ]
        })
        .collect();
    write_table(out, &["k", "silhouette", ""], &[true, true, false], &scores)?;
    println!();
    let rows: Vec<Vec<String>> = report
        .segments
        .iter()
        .map(|s| {
            vec![
                s.segment.clone(),
                thousands(s.customers as u64),
                format!("{:.0}", s.recency_days),
                format!("{:.1}", s.frequency),
                format!("{:.0}", s.monetary),
                format!("{:.1}%", 100.0 * s.revenue_share),
            ]
        })
        .collect();
    write_table(
        out,
        &[
            "segment",
            "customers",
            "recency (days)",
            "orders",
            "monetary",
            "revenue share",
        ],
        &[false, true, true, true, true, true],
        &rows,
    )?;
    println!("written to ml.customer_segments and ml.segment_profiles");
    Ok(())
}

fn run_recommend(
    args: &RecommendArgs,
    warehouse: &Warehouse,
    settings: &Settings,
) -> anyhow::Result<Outcome> {
    let split = chrono::NaiveDate::parse_from_str(&args.split, "%Y-%m-%d")
        .with_context(|| format!("--split {}: use YYYY-MM-DD", args.split))?;
    let options = RecommendOptions {
        models: args.model.clone(),
        split,
        top: args.top,
        als: AlsParams {
            factors: args.factors,
            regularization: args.regularization,
            alpha: args.alpha,
            iterations: args.iterations,
            seed: args.seed,
        },
    };
    let question = match (&args.customer, &args.product) {
        (Some(id), _) => Some(Lookup::Customer(*id)),
        (None, Some(code)) => Some(Lookup::Product(code)),
        (None, None) => None,
    };
    let Some(question) = question else {
        let report = with_progress(settings, |p, c| recommend(warehouse.conn(), &options, p, c))?;
        if settings.json {
            return print_json(&report);
        }
        print_evaluation(&report)?;
        return Ok(Outcome::SUCCESS);
    };
    let answer = match lookup(warehouse.conn(), &question)? {
        Some(answer) => answer,
        None => {
            if !settings.quiet {
                eprintln!("no stored recommendations yet: running `ecom ml recommend` first");
            }
            with_progress(settings, |p, c| recommend(warehouse.conn(), &options, p, c))?;
            lookup(warehouse.conn(), &question)?
                .context("the recommendation tables were not written")?
        }
    };
    if settings.json {
        return print_json(&answer);
    }
    match question {
        Lookup::Customer(id) => println!("top {} products for customer {id}:", answer.len()),
        Lookup::Product(code) => println!("products most often bought with {code}:"),
    }
    let rows: Vec<Vec<String>> = answer
        .iter()
        .map(|s| {
            vec![
                s.rank.to_string(),
                s.stock_code.clone(),
                s.description.clone().unwrap_or_default(),
                format!("{:.3}", s.score),
            ]
        })
        .collect();
    write_table(
        &mut std::io::stdout().lock(),
        &["rank", "stock_code", "description", "score"],
        &[true, false, false, true],
        &rows,
    )?;
    Ok(Outcome::SUCCESS)
}

fn print_evaluation(report: &RecommendReport) -> anyhow::Result<()> {
    let evaluated = report
        .evaluation
        .values()
        .map(|e| e.customers)
        .max()
        .unwrap_or(0);
    println!(
        "evaluated on {} customers: fit before {}, tested on what they bought new from then on",
        thousands(evaluated as u64),
        report.split
    );
    let k = crate::ml::recommend::EVAL_K;
    let rows: Vec<Vec<String>> = report
        .evaluation
        .iter()
        .map(|(model, s)| {
            vec![
                model.clone(),
                format!("{:.4}", s.precision),
                format!("{:.4}", s.recall),
                format!("{:.4}", s.ndcg),
                format!("{:.1}%", 100.0 * s.coverage),
                if *model == report.chosen {
                    "chosen"
                } else {
                    ""
                }
                .into(),
            ]
        })
        .collect();
    write_table(
        &mut std::io::stdout().lock(),
        &[
            "model",
            &format!("precision@{k}"),
            &format!("recall@{k}"),
            &format!("ndcg@{k}"),
            "coverage",
            "",
        ],
        &[false, true, true, true, true, false],
        &rows,
    )?;
    for model in &report.below_baseline {
        println!("{model} does not beat the popularity baseline on precision@{k}");
    }
    if !report.beats_popularity {
        println!("no model beats popularity: the most popular products were written");
    }
    println!(
        "{} refit on all invoices: {} recommendations for {} customers in ml.recommendations; \
         ml.similar_products for {} products",
        report.chosen,
        thousands(report.recommendations as u64),
        thousands(report.customers as u64),
        thousands(report.products as u64)
    );
    Ok(())
}

fn run_anomalies(
    args: &AnomalyArgs,
    warehouse: &Warehouse,
    settings: &Settings,
) -> anyhow::Result<Outcome> {
    let options = AnomalyOptions {
        threshold: args.threshold,
        line_threshold: args.line_threshold,
        trials: args.trials,
        seed: args.seed,
        ..AnomalyOptions::default()
    };
    let report = with_progress(settings, |p, c| anomalies(warehouse.conn(), &options, p, c))?;
    if settings.json {
        return print_json(&report);
    }
    print_anomalies(&report)?;
    Ok(Outcome::SUCCESS)
}

fn print_anomalies(report: &AnomalyReport) -> anyhow::Result<()> {
    let out = &mut std::io::stdout().lock();
    println!(
        "detection of injected anomalies (4 to 6 robust σ) in copies of the {} daily values:",
        report.days
    );
    let mut rows = Vec::new();
    for (series, eval) in &report.evaluation {
        for (name, d) in [
            ("robust-seasonal", &eval.detector),
            ("global-z (baseline)", &eval.baseline),
        ] {
            rows.push(vec![
                series.clone(),
                name.into(),
                format!("{:.3}", d.precision),
                format!("{:.3}", d.recall),
                format!("{}/{}", d.found, d.injected),
                d.false_alarms.to_string(),
            ]);
        }
    }
    write_table(
        out,
        &[
            "series",
            "detector",
            "precision",
            "recall",
            "found",
            "false alarms",
        ],
        &[false, false, true, true, true, true],
        &rows,
    )?;
    println!(
        "\n{} days (|z| > {}) and {} invoice lines (|z| > {}) flagged in ml.anomalies; the strongest:",
        report.flagged_days,
        report.threshold,
        thousands(report.flagged_lines as u64),
        report.line_threshold
    );
    let rows: Vec<Vec<String>> = report
        .top
        .iter()
        .map(|a| {
            vec![
                a.when.format("%Y-%m-%d %H:%M").to_string(),
                a.kind.clone(),
                format!("{:+.1}", a.score),
                a.reason.clone(),
            ]
        })
        .collect();
    write_table(
        out,
        &["when", "kind", "score", "reason"],
        &[false, false, true, false],
        &rows,
    )?;
    Ok(())
}

fn list_runs(
    model: Option<crate::ml::MlModel>,
    limit: usize,
    warehouse: &Warehouse,
    settings: &Settings,
) -> anyhow::Result<Outcome> {
    let name = model.map(|m| m.name());
    let runs = recent_runs(warehouse.conn(), name, limit)?;
    if settings.json {
        let runs: Vec<serde_json::Value> = runs
            .iter()
            .map(|(id, started, run)| {
                let mut value = serde_json::to_value(run).unwrap_or_default();
                value["run_id"] = (*id).into();
                value["started_at"] = started.to_string().into();
                value
            })
            .collect();
        return print_json(&runs);
    }
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|(id, started, run)| {
            vec![
                id.to_string(),
                started.format("%Y-%m-%d %H:%M:%S").to_string(),
                run.model.clone(),
                run.algorithm.clone(),
                thousands(run.input_rows),
                thousands(run.output_rows),
                run.headline(),
            ]
        })
        .collect();
    write_table(
        &mut std::io::stdout().lock(),
        &[
            "run",
            "started",
            "model",
            "algorithm",
            "input rows",
            "output rows",
            "result",
        ],
        &[true, false, false, false, true, true, false],
        &rows,
    )?;
    Ok(Outcome::SUCCESS)
}
