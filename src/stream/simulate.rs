//! `ecom simulate`: the shop's feed, replayed from the CSV (through ingest's reader) or
//! from an event file, into Kafka or into a JSON-lines file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration as StdDuration, Instant};

use chrono::NaiveDateTime;
use duckdb::arrow::array::{Array, AsArray};
use duckdb::arrow::datatypes::{Decimal128Type, Int32Type, Int64Type, TimestampMicrosecondType};
use serde::Serialize;

use super::event::{Event, EventType, SCHEMA_VERSION};
use super::kafka::{ReliableProducer, client_config, ensure_topic};
use super::schedule::{Disorder, Send, schedule};
use crate::ingest::{IngestOptions, sources};
use crate::jobs::{CancelToken, Progress, ProgressSink, Unit};
use crate::stream::error::{Result, StreamError};

/// How fast events go out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// As fast as the broker takes them.
    Unlimited,
    /// Events per second.
    Rate(f64),
    /// Event-time speed-up: 1440 plays a day in a minute.
    Speed(f64),
}

/// Where events go.
#[derive(Debug, Clone)]
pub enum Target {
    Kafka {
        brokers: String,
        topic: String,
        partitions: i32,
        settings: Vec<(String, String)>,
    },
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct SimulateOptions {
    pub from: Vec<String>,
    pub pace: Pace,
    pub limit: Option<u64>,
    pub disorder: Disorder,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SimulateSummary {
    /// Events sent (duplicates included).
    pub sent: u64,
    pub delivered: u64,
    /// Deliveries that failed and were sent again.
    pub retried: u64,
    pub late: u64,
    pub duplicates: u64,
    pub funnel_events: u64,
    /// Source lines that could not become events (the reason is logged).
    pub skipped_lines: u64,
    pub first_event_time: Option<NaiveDateTime>,
    pub last_event_time: Option<NaiveDateTime>,
    pub elapsed_seconds: f64,
}

/// Whether `path` is an event file (JSON lines of ecom's events) rather than order
/// lines in any shape the ingest reads (which may be JSON lines too): its first line
/// decodes as an event.
fn is_event_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let lower = lower.strip_suffix(".gz").unwrap_or(&lower);
    if !(lower.ends_with(".jsonl") || lower.ends_with(".ndjson")) {
        return false;
    }
    let source = sources::Source::file(Path::new(path));
    let Ok((reader, _)) = source.open() else {
        return true;
    };
    let mut first = String::new();
    let mut lines = std::io::BufReader::new(reader);
    while first.trim().is_empty() {
        first.clear();
        match std::io::BufRead::read_line(&mut lines, &mut first) {
            Ok(0) | Err(_) => return true,
            Ok(_) => {}
        }
    }
    Event::decode(first.trim().as_bytes()).is_ok()
}

/// Events of the CSV sources, sorted by event time (source order breaks ties).
fn csv_events(paths: &[String], skipped: &mut u64) -> Result<Vec<Event>> {
    let mut events = Vec::new();
    for source in sources::expand(paths)? {
        let bytes = source
            .read(crate::ingest::DEFAULT_MAX_INFLATED_BYTES)
            .map_err(|e| StreamError::Source {
                name: source.name.clone(),
                reason: e.to_string(),
            })?;
        let parsed = crate::ingest::read_bytes(bytes, &source.name, 0, &IngestOptions::default())
            .map_err(|e| StreamError::Source {
                name: source.name.clone(),
                reason: e.to_string(),
            })?
            .file;
        for rejected in &parsed.rejected {
            tracing::warn!(file = %source.name, line = rejected.line, reason = %rejected.reason, "line skipped");
        }
        *skipped += parsed.rejected.len() as u64;
        let file = Path::new(&source.name)
            .file_name()
            .map_or(source.name.clone(), |n| n.to_string_lossy().to_string());
        events.extend(batch_events(&parsed.batch, &file, skipped));
    }
    events.sort_by_key(|e| e.event_time);
    Ok(events)
}

/// The rows of one parsed file (shaped like `raw.order_lines`) as events.
fn batch_events(
    batch: &duckdb::arrow::array::RecordBatch,
    file: &str,
    skipped: &mut u64,
) -> Vec<Event> {
    let text = |i: usize| batch.column(i).as_string::<i32>();
    let (invoice, code, description, country) = (text(0), text(1), text(2), text(7));
    let quantity = batch.column(3).as_primitive::<Int32Type>();
    let ts = batch.column(4).as_primitive::<TimestampMicrosecondType>();
    let price = batch.column(5).as_primitive::<Decimal128Type>();
    let customer = batch.column(6).as_primitive::<Int32Type>();
    let line = batch.column(9).as_primitive::<Int64Type>();
    let mut out = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let time = (!ts.is_null(row))
            .then(|| chrono::DateTime::from_timestamp_micros(ts.value(row)))
            .flatten();
        let (Some(time), false, false, false) = (
            time,
            invoice.is_null(row),
            code.is_null(row),
            quantity.is_null(row),
        ) else {
            *skipped += 1;
            continue;
        };
        let invoice_no = invoice.value(row).to_string();
        let event = Event {
            schema_version: SCHEMA_VERSION,
            event_id: format!("{file}:{}", line.value(row)),
            event_type: if invoice_no.starts_with('C') {
                EventType::Cancellation
            } else {
                EventType::Purchase
            },
            event_time: time.naive_utc(),
            invoice_no: Some(invoice_no),
            stock_code: code.value(row).to_string(),
            description: (!description.is_null(row)).then(|| description.value(row).to_string()),
            quantity: quantity.value(row) as i64,
            unit_price: if price.is_null(row) {
                0
            } else {
                price.value(row) as i64
            },
            customer_id: (!customer.is_null(row)).then(|| customer.value(row) as i64),
            country: (!country.is_null(row)).then(|| country.value(row).to_string()),
        };
        match event.validate() {
            Ok(()) => out.push(event),
            Err(reason) => {
                tracing::warn!(file, line = line.value(row), %reason, "line skipped");
                *skipped += 1;
            }
        }
    }
    out
}

/// Events of an event file, in file order (the file is already a send order).
fn file_events(path: &str) -> Result<Vec<Event>> {
    let source = sources::Source::file(Path::new(path));
    let bytes = source
        .read(crate::ingest::DEFAULT_MAX_INFLATED_BYTES)
        .map_err(|e| StreamError::Source {
            name: path.to_string(),
            reason: e.to_string(),
        })?;
    let text = String::from_utf8(bytes).map_err(|source| StreamError::NotUtf8 {
        path: path.to_string(),
        source,
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            Event::decode(l.as_bytes()).map_err(|error| StreamError::BadEvent {
                path: path.to_string(),
                line: i + 1,
                error,
            })
        })
        .collect()
}

/// Reads the sources and writes the schedule: CSV gets the requested disorder; event
/// files are replayed as they are.
pub fn plan(options: &SimulateOptions, skipped: &mut u64) -> Result<Vec<Send>> {
    let (files, csv): (Vec<String>, Vec<String>) =
        options.from.iter().cloned().partition(|p| is_event_file(p));
    let mut sends = Vec::new();
    if !csv.is_empty() {
        sends = schedule(csv_events(&csv, skipped)?, &options.disorder);
    }
    for file in files {
        sends.extend(file_events(&file)?.into_iter().map(|event| Send {
            send_time: event.event_time,
            event,
            late: false,
            duplicate: false,
        }));
    }
    if let Some(limit) = options.limit {
        sends.truncate(limit as usize);
    }
    Ok(sends)
}

pub fn simulate(
    options: &SimulateOptions,
    target: &Target,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<SimulateSummary> {
    let started = Instant::now();
    let mut summary = SimulateSummary::default();
    let sends = plan(options, &mut summary.skipped_lines)?;
    if sends.is_empty() {
        return Err(StreamError::NothingToSend);
    }
    summary.first_event_time = sends.iter().map(|s| s.event.event_time).min();
    summary.last_event_time = sends.iter().map(|s| s.event.event_time).max();
    let total = sends.len() as u64;
    let report = |done: u64, message: String| {
        progress
            .report(Progress::new("simulate", done, Some(total), Unit::Rows).with_message(message))
    };
    let count = |s: &Send, summary: &mut SimulateSummary| {
        summary.sent += 1;
        summary.late += (s.late && !s.duplicate) as u64;
        summary.duplicates += s.duplicate as u64;
        summary.funnel_events += !s.event.event_type.is_sale() as u64;
    };
    match target {
        Target::File(path) => {
            let file = std::fs::File::create(path).map_err(|source| StreamError::Io {
                doing: format!("creating {}", path.display()),
                source,
            })?;
            let mut out = std::io::BufWriter::new(file);
            for (i, send) in sends.iter().enumerate() {
                if cancel.is_cancelled() {
                    break;
                }
                writeln!(out, "{}", send.event.to_json()).map_err(|source| StreamError::Io {
                    doing: format!("writing {}", path.display()),
                    source,
                })?;
                count(send, &mut summary);
                if i % 10_000 == 0 {
                    report(i as u64, format!("writing {}", path.display()));
                }
            }
            out.flush()?;
            summary.delivered = summary.sent;
        }
        Target::Kafka {
            brokers,
            topic,
            partitions,
            settings,
        } => {
            ensure_topic(&client_config(brokers, &[], settings), topic, *partitions)?;
            let producer = ReliableProducer::new(brokers, settings)?;
            let first_send = sends[0].send_time;
            let clock = Instant::now();
            for (i, send) in sends.iter().enumerate() {
                if cancel.is_cancelled() {
                    break;
                }
                wait_for_turn(options.pace, i, send.send_time - first_send, clock, cancel);
                // CreateTime is the event's time, as a replaying producer should set
                // it: the tail bounds event times by it (--max-future/past-skew).
                producer.send_at(
                    topic,
                    &send.event.key(),
                    &send.event.to_json(),
                    Some(send.event.timestamp_millis()),
                )?;
                count(send, &mut summary);
                for failed in producer.take_failed() {
                    producer.send_at(
                        &failed.topic,
                        &failed.key,
                        &failed.payload,
                        failed.timestamp,
                    )?;
                    summary.retried += 1;
                }
                if i % 1_000 == 0 {
                    report(i as u64, format!("{} delivered", producer.delivered()));
                }
            }
            // Drain: resend whatever failed until everything is acknowledged.
            loop {
                producer.flush(StdDuration::from_secs(60))?;
                let failed = producer.take_failed();
                if failed.is_empty() && producer.in_flight() == 0 {
                    break;
                }
                if cancel.is_cancelled() {
                    return Err(StreamError::Unacknowledged {
                        count: failed.len(),
                        last_error: producer.last_error().unwrap_or_default(),
                    });
                }
                tracing::warn!(count = failed.len(), error = ?producer.last_error(), "resending failed deliveries");
                for message in failed {
                    producer.send_at(
                        &message.topic,
                        &message.key,
                        &message.payload,
                        message.timestamp,
                    )?;
                    summary.retried += 1;
                }
            }
            summary.delivered = producer.delivered();
        }
    }
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    report(summary.sent, format!("{} sent", summary.sent));
    Ok(summary)
}

/// Sleeps until event `index` (at `offset` of event time after the first) is due.
fn wait_for_turn(
    pace: Pace,
    index: usize,
    offset: chrono::Duration,
    clock: Instant,
    cancel: &CancelToken,
) {
    let due = match pace {
        Pace::Unlimited => return,
        Pace::Rate(per_second) => StdDuration::from_secs_f64(index as f64 / per_second),
        Pace::Speed(factor) => {
            StdDuration::from_secs_f64(offset.num_milliseconds().max(0) as f64 / 1000.0 / factor)
        }
    };
    while let Some(left) = due.checked_sub(clock.elapsed()) {
        if cancel.is_cancelled() || left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(StdDuration::from_millis(100)));
    }
}
