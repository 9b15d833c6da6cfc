//! `ecom tail`: consumes `uk-retail-raw` as a member of a consumer group, windows the
//! events per partition and commits everything a batch of messages produced (events,
//! late events, dead letters, closed windows and the partitions' resume points) in one
//! DuckDB transaction: the warehouse sees each message's effect exactly once.
//!
//! Resuming: each partition's state is a function of its message sequence. After each
//! warehouse commit the group's Kafka offset is set to the partition's *rebuild* offset
//! (the first message an open window still needs) with the *next* offset and the
//! largest event time in the commit's metadata. Whoever gets the partition next (this
//! process after a restart, or another member after a rebalance) seeks to the rebuild
//! offset, replays up to the next offset silently (windows the watermark has closed are
//! skipped: they were emitted already), and goes on live. A rebalance first lets the
//! writer commit the batches already handed to it, discards the work not yet handed
//! over, and rebuilds every assigned partition that way, which is always consistent.
//!
//! This file holds the run loop (the consuming half); the writer thread is in
//! [`writer`], the consumer's rebalance handling in [`consumer`], a partition's windows
//! in [`windows_state`] and the live figures in [`status`].

mod batch;
mod consumer;
mod cpu;
mod event_rows;
pub mod exporter;
mod in_flight;
mod metrics_topic;
mod options;
mod resume;
mod status;
mod windows_state;
mod writer;

pub use options::{BATCH_MESSAGES, TailOptions};
pub use status::{PartitionStatus, TailStages, TailStatus, describe, describe_stages};

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use duckdb::Connection;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;

use crate::jobs::{CancelToken, Detail, Progress, ProgressSink, Unit};
use crate::stream::checkpoint::Checkpoints;
use crate::stream::error::{Result, StreamError};
use crate::stream::event::{Event, Rejected};
use crate::stream::kafka::{ReliableProducer, client_config};
use crate::stream::window::Placement;
use batch::{Batch, DeadLetter, LateEvent};
use consumer::{Shared, TailContext};
use cpu::Lap;
use in_flight::InFlight;
use resume::load_offsets;
use windows_state::{PartitionState, close_idle, new_state};
use writer::{ResumePoint, Sealed, Writer};

/// [`tail`] as a background job: its outcome says what it consumed (the workbench's,
/// `serve --tail`'s and a client-started tail).
pub fn tail_job(
    conn: &Connection,
    options: &TailOptions,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> std::result::Result<crate::jobs::Outcome, crate::jobs::JobError> {
    let status = tail(conn, options, progress, cancel)?;
    Ok(crate::jobs::Outcome::succeeded(describe(&status)))
}

pub fn tail(
    conn: &Connection,
    options: &TailOptions,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<TailStatus> {
    if options.windows.is_empty() {
        return Err(StreamError::NoWindows);
    }
    let exported = options.metrics_addr.map(exporter::serve).transpose()?;
    let published = |status: &TailStatus| {
        if let Some(exported) = &exported {
            exported.publish(status);
        }
        progress.report(
            Progress::new("tail", status.messages, None, Unit::Rows)
                .with_message(describe(status))
                .with_detail(Detail::Tail(Box::new(status.clone()))),
        );
    };
    let shared = Arc::new(Mutex::new(Shared::default()));
    shared.lock().expect("fresh").known = load_offsets(conn, &options.topic)?;
    let config = client_config(
        &options.brokers,
        &[
            ("group.id", options.group.as_str()),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", "earliest"),
            // Tansu waits on the session timeout before a join completes: 6 s joins in
            // about 3 s (librdkafka's default of 45 s takes over 20).
            ("session.timeout.ms", "6000"),
            ("heartbeat.interval.ms", "1000"),
            ("statistics.interval.ms", "1000"),
            ("enable.partition.eof", "false"),
            crate::stream::kafka::FETCH_QUEUE_BACKOFF,
        ],
        &options.consumer_settings,
    );
    let checkpoints = Checkpoints::new(
        &options.brokers,
        &options.consumer_settings,
        &options.topic,
        &options.group,
    );
    checkpoints.ensure()?;
    let in_flight = Arc::new(InFlight::default());
    let consumer: BaseConsumer<TailContext> = config
        .create_with_context(TailContext {
            topic: options.topic.clone(),
            shared: Arc::clone(&shared),
            checkpoints,
            generation: AtomicU64::new(0),
            in_flight: Arc::clone(&in_flight),
        })
        .map_err(|source| StreamError::Kafka {
            doing: format!("creating a Kafka consumer for {}", options.brokers),
            source,
        })?;
    consumer
        .subscribe(&[&options.topic])
        .map_err(|source| StreamError::Kafka {
            doing: format!("subscribing to {}", options.topic),
            source,
        })?;
    let writer_conn = conn.try_clone().map_err(|source| StreamError::Warehouse {
        doing: "opening the tail's writer connection".into(),
        source,
    })?;
    std::thread::scope(|scope| {
        let (writer, batches) = Writer::start(
            scope,
            writer_conn,
            &consumer,
            options,
            Arc::clone(&in_flight),
        )?;
        consume(
            conn, &consumer, options, batches, &writer, &published, cancel,
        )
    })
}

/// The consuming half: polls, decodes, deduplicates and windows each message, hands a
/// sealed batch to the writer when it is full or due, and publishes the live figures
/// twice a second (as progress records with [`Detail::Tail`]).
fn consume(
    conn: &Connection,
    consumer: &BaseConsumer<TailContext>,
    options: &TailOptions,
    batches: SyncSender<Sealed>,
    writer: &Writer,
    published: &dyn Fn(&TailStatus),
    cancel: &CancelToken,
) -> Result<TailStatus> {
    let shared = &consumer.context().shared;
    // Dead letters go to the DLQ topic from here, as they are found.
    let dlq = match &options.dlq_topic {
        Some(topic) => Some((topic, ReliableProducer::new(&options.brokers, &[])?)),
        None => None,
    };
    let mut status = TailStatus::default();
    let mut states: BTreeMap<i32, PartitionState> = BTreeMap::new();
    let mut generation = 0;
    let mut batch = Batch::default();
    let mut batch_started = Instant::now();
    let mut last_message: Option<Instant> = None;
    let mut first_message: Option<Instant> = None;
    let mut assigned_at: Option<Instant> = None;
    let mut live_messages = 0u64;
    let started = Instant::now();
    let mut last_report = Instant::now();
    let mut rate_window = (Instant::now(), 0u64);
    let mut idle_checked = Instant::now();
    let mut burst = Vec::with_capacity(BURST);
    let mut decoded = Vec::with_capacity(BURST);
    // The burst's accepted events (index, late), appended to the batch's rows at once.
    let mut accepted = Vec::with_capacity(BURST);
    // The process's CPU clock when the first message came (the stages' start).
    let mut cpu_at_first: Option<f64> = None;

    loop {
        if cancel.is_cancelled() {
            break;
        }
        let mut lap = Lap::start();
        // A burst: what librdkafka has queued, after waiting for the first message; no
        // more than the batch has room for, nor than `--max-messages` leaves.
        let room = BURST
            .min(options.batch_messages.saturating_sub(batch.len()).max(1))
            .min(
                options
                    .max_messages
                    .map_or(usize::MAX, |m| m.saturating_sub(live_messages) as usize),
            );
        let mut wait = StdDuration::from_millis(100);
        while burst.len() < room {
            let message = consumer.poll(wait);
            wait = StdDuration::ZERO;
            // A rebalance happened inside poll (after the writer had committed every
            // sealed batch): drop the unsealed work, the messages polled before it
            // included, and rebuild the partitions.
            let current = consumer.context().generation.load(Ordering::SeqCst);
            if current != generation {
                generation = current;
                status.rebalances += 1;
                batch = Batch::default();
                burst.clear();
                let assigned = shared
                    .lock()
                    .ok()
                    .and_then(|s| s.assigned.clone())
                    .unwrap_or_default();
                states = assigned
                    .iter()
                    .map(|(&p, resume)| Ok((p, new_state(conn, options, p, resume)?)))
                    .collect::<Result<_>>()?;
                assigned_at = Some(Instant::now());
            }
            match message {
                None => break,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "consuming");
                    if let Ok(mut s) = shared.lock() {
                        s.broker_errors += 1;
                        s.last_broker_error = Some(e.to_string());
                    }
                    break;
                }
                Some(Ok(message)) => burst.push(message),
            }
        }
        // One clock read per burst serves every timer below.
        let now = Instant::now();
        if !burst.is_empty() && first_message.is_none() {
            first_message = Some(now);
            cpu_at_first = Some(cpu::process_seconds());
            status.stages = TailStages::default();
            lap = Lap::start();
        }
        lap.to(&mut status.stages.poll);
        decoded.extend(
            burst
                .iter()
                .map(|m| admit(m.payload().unwrap_or_default(), m, options)),
        );
        lap.to(&mut status.stages.decode);
        for (i, (message, event)) in burst.iter().zip(&decoded).enumerate() {
            let p = message.partition();
            let offset = message.offset();
            let Some(state) = states.get_mut(&p) else {
                continue;
            };
            state.last_active = now;
            last_message = Some(now);
            if offset < state.replay_until {
                status.replayed += 1;
                state.replay(offset, event.as_ref().ok(), &options.windows);
                continue;
            }
            status.messages += 1;
            live_messages += 1;
            batch.touched.insert(p);
            match event {
                Err(reason) => {
                    status.dead_letters += 1;
                    let key = message
                        .key()
                        .map(|k| String::from_utf8_lossy(k).to_string());
                    let text =
                        String::from_utf8_lossy(message.payload().unwrap_or_default()).to_string();
                    if let Some((topic, producer)) = &dlq {
                        producer.send(topic, key.as_deref().unwrap_or_default(), &text)?;
                    }
                    batch.dead.push(DeadLetter {
                        partition: p,
                        offset,
                        key,
                        payload: text,
                        reason: reason.to_string(),
                    });
                }
                Ok(event) => match state.take(offset, event, &options.windows) {
                    None => status.duplicates += 1,
                    Some((placement, watermark)) => {
                        let late = matches!(placement, Placement::Late { .. });
                        if let Placement::Late { reason } = placement {
                            status.late_events += 1;
                            batch.late.push(LateEvent {
                                partition: p,
                                offset,
                                event_id: event.event_id.clone(),
                                event_time: event.event_time,
                                watermark,
                                reason,
                            });
                        }
                        status.events += 1;
                        accepted.push((i, late));
                    }
                },
            }
            for closed in state.advance(offset) {
                batch.windows.push((p, closed));
            }
            rate_window.1 += 1;
        }
        lap.to(&mut status.stages.window);
        for (i, late) in accepted.drain(..) {
            if let (Some(message), Some(Ok(event))) = (burst.get(i), decoded.get(i)) {
                batch
                    .events
                    .push(message.partition(), message.offset(), event, late);
            }
        }
        burst.clear();
        decoded.clear();
        lap.to(&mut status.stages.rows);

        if let Some(idle) = options.idle_timeout
            && now.duration_since(idle_checked) >= IDLE_CHECK
        {
            idle_checked = now;
            close_idle(&mut states, &mut batch, now, idle);
        }
        let full = batch.len() >= options.batch_messages;
        let stop_max = options.max_messages.is_some_and(|m| live_messages >= m);
        let due = now.duration_since(batch_started) >= options.commit_interval;
        if !batch.is_empty() && (full || due || stop_max) {
            let sealed = seal(writer, std::mem::take(&mut batch), &states);
            if batches.send(sealed).is_err() {
                // The writer stopped; its error is among the answers.
                writer.collect(&mut status, first_message, false)?;
                return Err(StreamError::WriterStopped);
            }
        }
        if batch.is_empty() {
            batch_started = now;
        }
        writer.collect(&mut status, first_message, false)?;
        lap.to(&mut status.stages.consumer_other);
        if now.duration_since(last_report) >= StdDuration::from_millis(500) {
            let elapsed = now.duration_since(rate_window.0).as_secs_f64();
            if elapsed >= 1.0 {
                status.events_per_second = rate_window.1 as f64 / elapsed;
                rate_window = (now, 0);
            }
            publish_status(&mut status, &states, shared, cpu_at_first, published);
            last_report = now;
        }
        if stop_max {
            break;
        }
        if let Some(idle) = options.until_idle {
            // Idle counts from the last message, or from the assignment when none came;
            // never from start-up while the group is still joining.
            let since = last_message.or(assigned_at);
            if since.is_some_and(|t| now.duration_since(t) >= idle) && batch.is_empty() {
                break;
            }
        }
        lap.to(&mut status.stages.consumer_other);
    }
    if !batch.is_empty() {
        let sealed = seal(writer, batch, &states);
        let _ = batches.send(sealed);
    }
    // Closing the queue lets the writer finish what it holds, publish and stop.
    drop(batches);
    writer.collect(&mut status, first_message, true)?;
    if let Some((topic, producer)) = &dlq {
        producer.flush(StdDuration::from_secs(30))?;
        let failed = producer.take_failed();
        if !failed.is_empty() {
            tracing::warn!(
                count = failed.len(),
                topic = %topic,
                "dead letters not delivered to the DLQ topic (stream.dead_letters keeps them all)"
            );
        }
    }
    publish_status(&mut status, &states, shared, cpu_at_first, published);
    tracing::info!(messages = status.messages, elapsed = ?started.elapsed(), "tail stopped");
    Ok(status)
}

/// Messages taken from librdkafka's queue at a time: each stage then runs over the
/// burst, and its CPU time is read once per burst.
const BURST: usize = 1024;

/// How often the partitions are looked at for idleness.
const IDLE_CHECK: StdDuration = StdDuration::from_millis(200);

/// Hands `batch` over with the resume points of the partitions it touched.
fn seal(writer: &Writer, batch: Batch, states: &BTreeMap<i32, PartitionState>) -> Sealed {
    let points: Vec<ResumePoint> = batch
        .touched
        .iter()
        .filter_map(|p| {
            let state = states.get(p)?;
            Some((*p, state.resume(), state.windows.watermark()))
        })
        .collect();
    writer.seal(batch, points)
}

/// Decodes a message into an event whose time is within the bounds of its Kafka
/// timestamp (the time of processing when the broker gave none). A refused event never
/// reaches a window, so it cannot move a watermark.
fn admit(
    payload: &[u8],
    message: &rdkafka::message::BorrowedMessage<'_>,
    options: &TailOptions,
) -> Result<Event, Rejected> {
    let event = Event::decode(payload)?;
    let reference = message
        .timestamp()
        .to_millis()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(|| chrono::Utc::now().naive_utc(), |t| t.naive_utc());
    options.time_bounds.check(&event, reference)?;
    Ok(event)
}

/// Fills in the per-partition figures (lag from the statistics' high watermarks) and
/// the broker errors, and hands the status to `publish`.
fn publish_status(
    status: &mut TailStatus,
    states: &BTreeMap<i32, PartitionState>,
    shared: &Mutex<Shared>,
    cpu_at_first: Option<f64>,
    publish: impl Fn(&TailStatus),
) {
    if let Some(first) = cpu_at_first {
        let stages = &mut status.stages;
        stages.total = cpu::process_seconds() - first;
        let threads = stages.poll
            + stages.decode
            + stages.window
            + stages.consumer_other
            + stages.rows
            + stages.append
            + stages.commit
            + stages.kafka_commit
            + stages.writer_other;
        stages.other_threads = (stages.total - threads).max(0.0);
    }
    if let Ok(shared) = shared.lock() {
        status.broker_errors = shared.broker_errors;
        status.last_broker_error = shared.last_broker_error.clone();
        status.partitions = states
            .iter()
            .map(|(p, s)| PartitionStatus {
                partition: *p,
                next_offset: s.next_offset,
                lag: shared
                    .high_watermarks
                    .get(p)
                    .map(|hw| (hw - s.next_offset).max(0)),
                watermark: s.windows.watermark(),
            })
            .collect();
    }
    publish(status);
}
