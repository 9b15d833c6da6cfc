//! `ecom kafka topics`, `browse` and `produce`: thin layers over `crate::stream::browse`.

use std::io::{BufReader, Write};
use std::ops::ControlFlow;

use anyhow::Context;

use super::args::{BrowseArgs, KafkaAction, ProduceArgs, TopicsArgs, kafka::Connection};
use super::output::{thousands, write_table};
use super::{Outcome, Settings};
use crate::stream::browse::{
    BrowseOptions, Browser, Filter, JsonPath, ProduceOptions, StartAt, TopicSummary, list_topics,
    produce,
};
use crate::stream::kafka::parse_settings;

pub fn run(action: KafkaAction, settings: &Settings) -> anyhow::Result<Outcome> {
    match action {
        KafkaAction::Topics(args) => topics(&args, settings),
        KafkaAction::Browse(args) => run_browse(&args, settings),
        KafkaAction::Produce(args) => run_produce(&args, settings),
    }
}

fn client(connection: &Connection) -> anyhow::Result<Vec<(String, String)>> {
    Ok(parse_settings(&connection.client_config)?)
}

fn topics(args: &TopicsArgs, settings: &Settings) -> anyhow::Result<Outcome> {
    let topics = list_topics(
        &args.connection.brokers,
        &client(&args.connection)?,
        args.topic.as_deref(),
    )?;
    let mut out = std::io::stdout().lock();
    if settings.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&topics)?)?;
    } else {
        write_topics(&mut out, &topics)?;
    }
    Ok(Outcome::SUCCESS)
}

/// Two tables: the partitions of every topic, then every group's position.
fn write_topics(out: &mut impl Write, topics: &[TopicSummary]) -> std::io::Result<()> {
    let partitions: Vec<Vec<String>> = topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| {
                vec![
                    t.topic.clone(),
                    p.partition.to_string(),
                    p.start.to_string(),
                    p.end.to_string(),
                    thousands(p.messages() as u64),
                ]
            })
        })
        .collect();
    write_table(
        out,
        &["topic", "partition", "start", "end", "messages"],
        &[false, true, true, true, true],
        &partitions,
    )?;
    let groups: Vec<Vec<String>> = topics
        .iter()
        .flat_map(|t| {
            t.groups.iter().flat_map(move |g| {
                g.partitions.iter().map(move |p| {
                    vec![
                        g.group.clone(),
                        t.topic.clone(),
                        p.partition.to_string(),
                        p.committed.map_or("-".into(), |c| c.to_string()),
                        p.end.to_string(),
                        thousands(p.lag as u64),
                    ]
                })
            })
        })
        .collect();
    if !groups.is_empty() {
        writeln!(out)?;
        write_table(
            out,
            &["group", "topic", "partition", "committed", "end", "lag"],
            &[false, false, true, true, true, true],
            &groups,
        )?;
    }
    Ok(())
}

/// The validated browse options.
fn browse_options(args: &BrowseArgs) -> anyhow::Result<BrowseOptions> {
    let start = match (&args.from_offset, &args.from_time, args.from_end) {
        (Some(offset), _, _) => StartAt::Offset(*offset),
        (_, Some(time), _) => StartAt::Time(
            chrono::DateTime::parse_from_rfc3339(time)
                .with_context(|| {
                    format!("--from-time {time:?}: use RFC 3339, e.g. 2011-11-01T08:00:00Z")
                })?
                .to_utc(),
        ),
        (_, _, true) => StartAt::End,
        _ => StartAt::Beginning,
    };
    let mut options = BrowseOptions::new(&args.connection.brokers, &args.topic);
    options.settings = client(&args.connection)?;
    options.partition = args.partition;
    options.start = start;
    options.follow = args.follow;
    options.filter = args.filter.as_deref().map(Filter::parse).transpose()?;
    options.limit = args.limit;
    Ok(options)
}

fn run_browse(args: &BrowseArgs, settings: &Settings) -> anyhow::Result<Outcome> {
    let options = browse_options(args)?;
    let mut out = std::io::stdout().lock();
    let mut failure = None;
    let browser = Browser::open(&options)?;
    if !settings.quiet {
        let ranges: Vec<String> = browser
            .starts()
            .iter()
            .map(|(p, start)| format!("{p}: {start}..{}", browser.ranges()[p].end))
            .collect();
        eprintln!(
            "reading {} (partition: from..end offsets) {}",
            args.topic,
            ranges.join(", ")
        );
    }
    let summary = browser.run(&super::interrupt::cancel_on_ctrl_c(), |message| {
        let written = if settings.json {
            message.write_json_line(&mut out)
        } else {
            writeln!(out, "{}", message.pretty())
        };
        // Flushed per message, so `--follow` shows each one as it comes.
        match written.and_then(|()| out.flush()) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failure = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    match failure {
        // A closed pipe (`| head`) is the reader saying it has enough.
        Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(e).context("writing the messages");
        }
        _ => {}
    }
    if !settings.quiet {
        eprintln!(
            "{} message(s) shown of {} read from {}",
            thousands(summary.matched),
            thousands(summary.read),
            args.topic
        );
    }
    Ok(Outcome::SUCCESS)
}

fn run_produce(args: &ProduceArgs, settings: &Settings) -> anyhow::Result<Outcome> {
    let key_field = args
        .key_field
        .as_deref()
        .map(|k| {
            JsonPath::parse(k)
                .with_context(|| format!("--key-field {k:?}: use a path such as .customer_id"))
        })
        .transpose()?;
    let options = ProduceOptions {
        brokers: args.connection.brokers.clone(),
        settings: client(&args.connection)?,
        topic: args.topic.clone(),
        key_field,
    };
    let cancel = super::interrupt::cancel_on_ctrl_c();
    let summary = match &args.file {
        Some(path) if path.as_os_str() != "-" => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            produce(&options, BufReader::new(file), &cancel)
                .with_context(|| path.display().to_string())?
        }
        _ => produce(&options, std::io::stdin().lock(), &cancel)?,
    };
    if settings.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "sent {} message(s) to {}",
            thousands(summary.delivered),
            summary.topic
        );
    }
    Ok(Outcome::SUCCESS)
}
