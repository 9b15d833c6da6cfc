//! `ecom simulate` and `ecom tail`

use super::args::{SimulateArgs, TailArgs};
use super::output::thousands;
use super::progress::CliProgress;
use super::{Outcome, Settings};
use crate::stream::kafka::parse_settings;
use crate::stream::parse_duration;
use crate::stream::schedule::Disorder;
use crate::stream::simulate::{Pace, SimulateOptions, Target, simulate};
use crate::stream::tail::{TailOptions, describe, describe_stages, tail};
use crate::stream::window::WindowSpec;

pub fn run_simulate(args: &SimulateArgs, settings: &Settings) -> anyhow::Result<Outcome> {
    for (name, f) in [
        ("--late-fraction", args.late_fraction),
        ("--duplicate-fraction", args.duplicate_fraction),
    ] {
        if !(0.0..=1.0).contains(&f) {
            anyhow::bail!("{name} {f}: use a fraction between 0 and 1");
        }
    }
    let pace = match (args.rate, args.speed) {
        (Some(r), _) if r > 0.0 => Pace::Rate(r),
        (_, Some(s)) if s > 0.0 => Pace::Speed(s),
        (None, None) => Pace::Unlimited,
        _ => anyhow::bail!("--rate and --speed must be positive"),
    };
    let options = SimulateOptions {
        from: args.from.clone(),
        pace,
        limit: args.limit,
        disorder: Disorder {
            late_fraction: args.late_fraction,
            late_by: parse_duration(&args.late_by)?,
            duplicate_fraction: args.duplicate_fraction,
            jitter: parse_duration(&args.jitter)?,
            funnel: args.funnel,
            seed: args.seed,
        },
    };
    let target = match (&args.to_file, &args.brokers) {
        (Some(file), _) => Target::File(file.clone()),
        (None, Some(brokers)) => Target::Kafka {
            brokers: brokers.clone(),
            topic: args.topic.clone(),
            partitions: args.partitions,
            settings: parse_settings(&args.producer_config)?,
        },
        (None, None) => anyhow::bail!("give --brokers (or --to-file)"),
    };
    let progress = CliProgress::new(settings.quiet);
    let summary = simulate(
        &options,
        &target,
        &progress,
        &super::interrupt::cancel_on_ctrl_c(),
    )?;
    progress.finish();
    if settings.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        let to = match &target {
            Target::File(f) => f.display().to_string(),
            Target::Kafka { topic, brokers, .. } => format!("{topic} on {brokers}"),
        };
        println!(
            "sent {} events to {to} in {:.1} s: {} delivered, {} late, {} duplicates, {} funnel events, {} retried, {} source lines skipped",
            thousands(summary.sent),
            summary.elapsed_seconds,
            thousands(summary.delivered),
            thousands(summary.late),
            thousands(summary.duplicates),
            thousands(summary.funnel_events),
            thousands(summary.retried),
            thousands(summary.skipped_lines),
        );
    }
    Ok(Outcome::SUCCESS)
}

pub fn run_tail(args: &TailArgs, settings: &Settings) -> anyhow::Result<Outcome> {
    let options = tail_options(args)?;
    let alerts = super::alerts::load_if_present(settings)?;
    let warehouse = settings.open_warehouse()?;
    // This process is the tail's alone: its consuming and writer threads keep the cores
    // busy, and DuckDB's worker pool only competed with them (scheduling its own tasks
    // cost a fifth of the tail's CPU on the full data). Checkpoints run on the writer
    // thread instead. `serve --tail` and the workbench keep DuckDB's threads for their
    // queries.
    warehouse.conn().execute_batch("SET threads = 1")?;
    let progress = CliProgress::new(settings.quiet);
    // The alert rules run beside the tail on a connection of their own, until it stops.
    let stop_alerts = crate::jobs::CancelToken::new();
    let evaluator = match alerts {
        Some(file) => {
            let conn = warehouse.conn().try_clone()?;
            let evaluate = super::alerts::options(settings);
            let stop = stop_alerts.clone();
            Some(std::thread::spawn(move || {
                crate::alerts::run_every(&conn, &file, &evaluate, &stop)
            }))
        }
        None => None,
    };
    let status = tail(
        warehouse.conn(),
        &options,
        &progress,
        &super::interrupt::cancel_on_ctrl_c(),
    );
    stop_alerts.cancel();
    if let Some(evaluator) = evaluator {
        let _ = evaluator.join();
    }
    let status = status?;
    progress.finish();
    if settings.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        println!(
            "tail stopped: {} messages, {} events, {}",
            thousands(status.messages),
            thousands(status.events),
            describe(&status)
        );
        if status.stages.total > 0.0 {
            println!("{}", describe_stages(&status.stages));
        }
    }
    Ok(Outcome::SUCCESS)
}

/// The tail's options from its flags (`ecom tail`, `ecom serve --tail`).
pub fn tail_options(args: &TailArgs) -> anyhow::Result<TailOptions> {
    let hop = args.hop.as_deref().map(parse_duration).transpose()?;
    let mut windows = Vec::new();
    for text in &args.window {
        let size = parse_duration(text)?;
        if size <= chrono::Duration::zero() {
            anyhow::bail!("--window {text}: a window needs a positive size");
        }
        windows.push(match hop {
            Some(hop) if hop > chrono::Duration::zero() && hop <= size => WindowSpec { size, hop },
            Some(_) => anyhow::bail!("--hop must be positive and at most the window size"),
            None => WindowSpec::tumbling(size),
        });
    }
    let mut options = TailOptions::new(&args.brokers, &args.topic, &args.group);
    options.windows = windows;
    options.allowed_lateness = parse_duration(&args.allowed_lateness)?;
    options.time_bounds = crate::stream::event::TimeBounds {
        max_future: parse_duration(&args.max_future_skew)?,
        max_past: parse_duration(&args.max_past_skew)?,
    };
    options.metrics_topic = Some(args.metrics_topic.clone()).filter(|t| !t.is_empty());
    options.dlq_topic = args.dlq_topic.clone();
    options.idle_timeout = match args.idle_timeout.as_str() {
        "off" => None,
        text => Some(parse_duration(text)?.to_std()?),
    };
    options.until_idle = args
        .until_idle
        .as_deref()
        .map(|d| parse_duration(d).and_then(|d| Ok(d.to_std()?)))
        .transpose()?;
    options.max_messages = args.max_messages;
    options.consumer_settings = parse_settings(&args.consumer_config)?;
    options.metrics_addr = args.metrics_addr;
    if args.batch_messages == 0 {
        anyhow::bail!("--batch-messages must be at least 1");
    }
    options.batch_messages = args.batch_messages;
    options.commit_interval = parse_duration(&args.commit_interval)?.to_std()?;
    Ok(options)
}
