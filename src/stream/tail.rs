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

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use anyhow::Context;
use chrono::{Duration, NaiveDateTime};
use duckdb::Connection;
use foldhash::HashSet;
use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use serde::Serialize;

use super::checkpoint::Checkpoints;
use super::event::{Event, TimeBounds};
use super::kafka::{ReliableProducer, client_config};
use super::tail_writer::{
    Batch, DeadLetter, Enrichment, InFlight, LateEvent, ResumePoint, Sealed, Writer,
};
use super::window::{PartitionWindows, Placement, WindowMetrics, WindowSpec};
use crate::jobs::{CancelToken, Progress, ProgressSink, Unit};

#[derive(Debug, Clone)]
pub struct TailOptions {
    pub brokers: String,
    pub topic: String,
    pub group: String,
    pub windows: Vec<WindowSpec>,
    pub allowed_lateness: Duration,
    /// How far event times may stray from their messages' Kafka timestamps.
    pub time_bounds: TimeBounds,
    pub metrics_topic: Option<String>,
    pub dlq_topic: Option<String>,
    pub until_idle: Option<StdDuration>,
    /// A partition without messages this long stops holding its windows open
    /// ([`close_idle`]); `None` waits for traffic forever.
    pub idle_timeout: Option<StdDuration>,
    pub max_messages: Option<u64>,
    /// librdkafka consumer settings over ecom's defaults.
    pub consumer_settings: Vec<(String, String)>,
    /// Messages per warehouse transaction (a batch also ends after `commit_interval`).
    pub batch_messages: usize,
    pub commit_interval: StdDuration,
    /// Serve the live figures in the Prometheus text format at `GET /metrics` here.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Where the live figures are published twice a second: the `--metrics-addr`
    /// server, the workbench's Stream screen and `ecom serve`'s `/metrics` read it.
    pub status: super::exporter::SharedStatus,
}

impl TailOptions {
    pub fn new(brokers: &str, topic: &str, group: &str) -> Self {
        Self {
            brokers: brokers.into(),
            topic: topic.into(),
            group: group.into(),
            windows: vec![WindowSpec::tumbling(Duration::minutes(1))],
            allowed_lateness: Duration::minutes(5),
            time_bounds: TimeBounds::default(),
            metrics_topic: Some("uk-retail-metrics".into()),
            dlq_topic: None,
            until_idle: None,
            idle_timeout: Some(StdDuration::from_secs(60)),
            max_messages: None,
            consumer_settings: Vec::new(),
            batch_messages: 20_000,
            commit_interval: StdDuration::from_millis(500),
            metrics_addr: None,
            status: Default::default(),
        }
    }
}

/// Live figures, for the terminal, the workbench and `--metrics-addr`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TailStatus {
    pub messages: u64,
    pub events: u64,
    pub duplicates: u64,
    pub late_events: u64,
    pub dead_letters: u64,
    pub windows_emitted: u64,
    /// Warehouse transactions committed (each a batch of messages with its offsets).
    pub batches_committed: u64,
    pub replayed: u64,
    pub events_per_second: f64,
    /// Per partition: (partition, lag, watermark).
    pub partitions: Vec<PartitionStatus>,
    pub broker_errors: u64,
    pub last_broker_error: Option<String>,
    pub rebalances: u64,
    /// From the first message to the end of the last commit: the time the work took,
    /// without the group join or the idle wait.
    pub active_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionStatus {
    pub partition: i32,
    pub next_offset: i64,
    /// From the high watermark of the fetch responses (librdkafka's statistics), never
    /// from a ListOffsets query.
    pub lag: Option<i64>,
    pub watermark: Option<NaiveDateTime>,
}

/// Where a partition resumes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct Resume {
    pub(super) rebuild_offset: i64,
    pub(super) next_offset: i64,
    pub(super) max_event_time: Option<NaiveDateTime>,
}

impl Resume {
    /// The point as text, for the offset commit's metadata and the checkpoint topic:
    /// `ecom1;rebuild;next;max_event_time`.
    pub(super) fn point(&self) -> String {
        let time = self
            .max_event_time
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.f").to_string());
        format!(
            "ecom1;{};{};{}",
            self.rebuild_offset,
            self.next_offset,
            time.unwrap_or_default()
        )
    }

    fn from_point(text: &str) -> Option<Resume> {
        let mut parts = text.split(';');
        if parts.next() != Some("ecom1") {
            return None;
        }
        let rebuild_offset = parts.next()?.parse().ok()?;
        let next_offset = parts.next()?.parse().ok()?;
        let max_event_time = parts
            .next()
            .filter(|t| !t.is_empty())
            .and_then(|t| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").ok());
        Some(Resume {
            rebuild_offset,
            next_offset,
            max_event_time,
        })
    }
}

/// What the rebalance callback hands to the loop.
#[derive(Default)]
pub(super) struct Shared {
    /// The warehouse's resume points, kept current by the writer after each commit.
    pub(super) known: HashMap<i32, Resume>,
    /// The assignment, with where each partition resumes; `None` until the first.
    assigned: Option<BTreeMap<i32, Resume>>,
    /// Partition → high watermark, from statistics.
    high_watermarks: HashMap<i32, i64>,
    broker_errors: u64,
    last_broker_error: Option<String>,
}

pub(super) struct TailContext {
    topic: String,
    pub(super) shared: Arc<Mutex<Shared>>,
    pub(super) checkpoints: Checkpoints,
    /// Bumped by every assignment or revocation; the loop compares it after each poll.
    generation: AtomicU64,
    /// Batches the writer has not committed yet.
    in_flight: Arc<InFlight>,
}

impl ClientContext for TailContext {
    fn stats(&self, statistics: Statistics) {
        let Some(topic) = statistics.topics.get(&self.topic) else {
            return;
        };
        if let Ok(mut shared) = self.shared.lock() {
            for (p, partition) in &topic.partitions {
                if *p >= 0 && partition.hi_offset >= 0 {
                    shared.high_watermarks.insert(*p, partition.hi_offset);
                }
            }
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(%error, reason, "Kafka client error");
        if let Ok(mut shared) = self.shared.lock() {
            shared.broker_errors += 1;
            shared.last_broker_error = Some(format!("{error}: {reason}"));
        }
    }
}

impl ConsumerContext for TailContext {
    /// Assigns each partition from its resume point: the later of the warehouse's and
    /// the group's committed one (a warehouse commit precedes its Kafka commit).
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        // The resume points must include every batch already handed to the writer.
        self.in_flight.wait_idle();
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let committed = consumer
                    .committed_offsets(tpl.clone(), StdDuration::from_secs(10))
                    .map_err(
                        |e| tracing::warn!(error = %e, "reading the group's committed offsets"),
                    )
                    .ok();
                let checkpoints = self
                    .checkpoints
                    .read()
                    .map_err(|e| tracing::warn!(error = %e, "reading the checkpoints"))
                    .unwrap_or_default();
                let mut assigned = BTreeMap::new();
                let known = self
                    .shared
                    .lock()
                    .map(|s| s.known.clone())
                    .unwrap_or_default();
                let mut list = TopicPartitionList::new();
                for element in tpl.elements() {
                    let p = element.partition();
                    let group_offset = committed.as_ref().and_then(|c| {
                        let e = c.find_partition(element.topic(), p)?;
                        match e.offset() {
                            Offset::Offset(o) => Some((o, Resume::from_point(e.metadata()))),
                            _ => None,
                        }
                    });
                    // A full resume point (the warehouse's, the checkpoint topic's, the
                    // commit's metadata) beats a bare committed offset; the furthest wins.
                    let full = [
                        known.get(&p).copied(),
                        checkpoints.get(&p).and_then(|t| Resume::from_point(t)),
                        group_offset.and_then(|(_, r)| r),
                    ];
                    let resume = full
                        .into_iter()
                        .flatten()
                        .max_by_key(|r| r.next_offset)
                        .or(group_offset.map(|(o, _)| Resume {
                            rebuild_offset: o,
                            next_offset: o,
                            max_event_time: None,
                        }))
                        .unwrap_or_default();
                    let offset = if resume == Resume::default() {
                        Offset::Beginning
                    } else {
                        Offset::Offset(resume.rebuild_offset)
                    };
                    let _ = list.add_partition_offset(element.topic(), p, offset);
                    assigned.insert(p, resume);
                }
                if let Err(e) = consumer.assign(&list) {
                    tracing::error!(error = %e, "assigning partitions");
                }
                tracing::info!(partitions = ?assigned.keys().collect::<Vec<_>>(), "partitions assigned");
                if let Ok(mut shared) = self.shared.lock() {
                    shared.assigned = Some(assigned);
                }
                self.generation.fetch_add(1, Ordering::SeqCst);
            }
            _ => {
                if let Err(e) = consumer.unassign() {
                    tracing::error!(error = %e, "unassigning partitions");
                }
                tracing::info!("partitions revoked");
                if let Ok(mut shared) = self.shared.lock() {
                    shared.assigned = Some(BTreeMap::new());
                }
                self.generation.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

/// One partition's live state.
struct PartitionState {
    windows: PartitionWindows,
    seen: HashSet<String>,
    /// Offsets below this are replays of committed work.
    replay_until: i64,
    next_offset: i64,
    /// (offset, last window end) of accepted events, in offset order: the front is the
    /// rebuild offset while its windows are open.
    needed: VecDeque<(i64, NaiveDateTime)>,
    /// When the partition last had a message (or was assigned).
    last_active: Instant,
}

impl PartitionState {
    fn resume(&self) -> Resume {
        let watermark = self.windows.watermark();
        let rebuild = self
            .needed
            .iter()
            .find(|(_, end)| watermark.is_none_or(|w| *end > w))
            .map_or(self.next_offset, |(o, _)| *o);
        Resume {
            rebuild_offset: rebuild.min(self.next_offset),
            next_offset: self.next_offset,
            max_event_time: self.windows.max_event_time(),
        }
    }

    /// A message replayed to rebuild the open windows (its offset was committed
    /// before): its event joins them once, and nothing closes or is written.
    fn replay(&mut self, offset: i64, event: Option<&Event>, specs: &[WindowSpec]) {
        if let Some(event) = event {
            let _ = self.take(offset, event, specs);
        }
        self.windows.close();
        self.next_offset = self.next_offset.max(offset + 1);
        self.prune();
    }

    /// A live event at `offset`: `None` when its id was seen before (a duplicate),
    /// else where it went and the watermark before it.
    fn take(
        &mut self,
        offset: i64,
        event: &Event,
        specs: &[WindowSpec],
    ) -> Option<(Placement, Option<NaiveDateTime>)> {
        if !self.seen.insert(event.event_id.clone()) {
            return None;
        }
        let watermark = self.windows.watermark();
        let placement = self.windows.add(event);
        self.needed
            .push_back((offset, last_window_end(specs, event.event_time)));
        Some((placement, watermark))
    }

    /// After a live message at `offset`: the windows its watermark closed.
    fn advance(&mut self, offset: i64) -> Vec<WindowMetrics> {
        let closed = self.windows.close();
        self.prune();
        self.next_offset = offset + 1;
        closed
    }

    fn prune(&mut self) {
        let watermark = self.windows.watermark();
        while let Some((_, end)) = self.needed.front() {
            if watermark.is_some_and(|w| *end <= w) {
                self.needed.pop_front();
            } else {
                break;
            }
        }
    }
}

pub fn tail(
    conn: &Connection,
    options: &TailOptions,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> anyhow::Result<TailStatus> {
    if options.windows.is_empty() {
        anyhow::bail!("at least one window size is needed (--window 1m)");
    }
    if let Some(addr) = options.metrics_addr {
        super::exporter::serve(addr, Arc::clone(&options.status))?;
    }
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
        .with_context(|| format!("creating a Kafka consumer for {}", options.brokers))?;
    consumer
        .subscribe(&[&options.topic])
        .with_context(|| format!("subscribing to {}", options.topic))?;
    let enrichment = Enrichment::load(conn)?;
    let writer_conn = conn
        .try_clone()
        .context("opening the tail's writer connection")?;
    std::thread::scope(|scope| {
        let (writer, batches) = Writer::start(
            scope,
            writer_conn,
            &consumer,
            options,
            &enrichment,
            Arc::clone(&in_flight),
        )?;
        consume(conn, &consumer, options, batches, &writer, progress, cancel)
    })
}

/// The consuming half: polls, decodes, deduplicates and windows each message, and hands
/// a sealed batch to the writer when it is full or due.
fn consume(
    conn: &Connection,
    consumer: &BaseConsumer<TailContext>,
    options: &TailOptions,
    batches: SyncSender<Sealed>,
    writer: &Writer,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> anyhow::Result<TailStatus> {
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

    loop {
        if cancel.is_cancelled() {
            break;
        }
        let message = consumer.poll(StdDuration::from_millis(100));
        // One clock read per message serves every timer below.
        let now = Instant::now();
        // A rebalance happened inside poll (after the writer had committed every sealed
        // batch): drop the unsealed work and rebuild the partitions.
        let current = consumer.context().generation.load(Ordering::SeqCst);
        if current != generation {
            generation = current;
            status.rebalances += 1;
            batch = Batch::default();
            let assigned = shared
                .lock()
                .ok()
                .and_then(|s| s.assigned.clone())
                .unwrap_or_default();
            states = assigned
                .iter()
                .map(|(&p, resume)| Ok((p, new_state(conn, options, p, resume)?)))
                .collect::<anyhow::Result<_>>()?;
            assigned_at = Some(now);
        }
        match message {
            None => {}
            Some(Err(e)) => {
                tracing::warn!(error = %e, "consuming");
                if let Ok(mut s) = shared.lock() {
                    s.broker_errors += 1;
                    s.last_broker_error = Some(e.to_string());
                }
            }
            Some(Ok(message)) => {
                let p = message.partition();
                let offset = message.offset();
                let Some(state) = states.get_mut(&p) else {
                    continue;
                };
                state.last_active = now;
                last_message = Some(now);
                first_message.get_or_insert(now);
                let payload = message.payload().unwrap_or_default();
                let replay = offset < state.replay_until;
                if replay {
                    status.replayed += 1;
                    let event = admit(payload, &message, options).ok();
                    state.replay(offset, event.as_ref(), &options.windows);
                    continue;
                }
                status.messages += 1;
                live_messages += 1;
                batch.touched.insert(p);
                match admit(payload, &message, options) {
                    Err(reason) => {
                        status.dead_letters += 1;
                        let key = message
                            .key()
                            .map(|k| String::from_utf8_lossy(k).to_string());
                        let text = String::from_utf8_lossy(payload).to_string();
                        if let Some((topic, producer)) = &dlq {
                            producer.send(topic, key.as_deref().unwrap_or_default(), &text)?;
                        }
                        batch.dead.push(DeadLetter {
                            partition: p,
                            offset,
                            key,
                            payload: text,
                            reason,
                        });
                    }
                    Ok(event) => match state.take(offset, &event, &options.windows) {
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
                            batch.events.push((p, offset, event, late));
                        }
                    },
                }
                for closed in state.advance(offset) {
                    batch.windows.push((p, closed));
                }
                rate_window.1 += 1;
            }
        }

        if let Some(idle) = options.idle_timeout
            && now.duration_since(idle_checked) >= IDLE_CHECK
        {
            idle_checked = now;
            close_idle(&mut states, &mut batch, now, idle);
        }
        let full = batch.events.len() + batch.dead.len() >= options.batch_messages;
        let due = now.duration_since(batch_started) >= options.commit_interval;
        let stop_max = options.max_messages.is_some_and(|m| live_messages >= m);
        if !batch.is_empty() && (full || due || stop_max) {
            let sealed = seal(writer, std::mem::take(&mut batch), &states);
            if batches.send(sealed).is_err() {
                // The writer stopped; its error is among the answers.
                writer.collect(&mut status, first_message, false)?;
                anyhow::bail!("the tail's writer stopped");
            }
        }
        if batch.is_empty() {
            batch_started = now;
        }
        writer.collect(&mut status, first_message, false)?;
        if now.duration_since(last_report) >= StdDuration::from_millis(500) {
            let elapsed = now.duration_since(rate_window.0).as_secs_f64();
            if elapsed >= 1.0 {
                status.events_per_second = rate_window.1 as f64 / elapsed;
                rate_window = (now, 0);
            }
            publish_status(&mut status, &states, shared, &options.status);
            progress.report(
                Progress::new("tail", status.messages, None, Unit::Rows)
                    .with_message(describe(&status)),
            );
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
    publish_status(&mut status, &states, shared, &options.status);
    tracing::info!(messages = status.messages, elapsed = ?started.elapsed(), "tail stopped");
    Ok(status)
}

/// How often the partitions are looked at for idleness.
const IDLE_CHECK: StdDuration = StdDuration::from_millis(200);

/// Idleness per partition, as Flink's `withIdleness`: a partition without messages for
/// `idle` stops holding its windows open. While others still receive events, it takes
/// the largest of their watermarks, so a window that spans partitions closes in all of
/// them; once every partition is quiet, processing time has moved on and their open
/// windows close. The windows go into `batch` with the partition's new resume point,
/// so a restart neither reopens nor repeats them; an event for them that comes later
/// is late.
fn close_idle(
    states: &mut BTreeMap<i32, PartitionState>,
    batch: &mut Batch,
    now: Instant,
    idle: StdDuration,
) {
    let is_idle = |state: &PartitionState| now.duration_since(state.last_active) >= idle;
    let all_idle = states.values().all(is_idle);
    let lead = states
        .values()
        .filter(|state| !is_idle(state))
        .filter_map(|state| state.windows.watermark())
        .max();
    for (&partition, state) in states.iter_mut() {
        if !is_idle(state) || state.windows.open_windows() == 0 {
            continue;
        }
        let closed = match (all_idle, lead) {
            (true, _) => state.windows.flush(),
            (false, Some(lead)) => {
                state.windows.advance_watermark(lead);
                state.windows.close()
            }
            (false, None) => continue,
        };
        if closed.is_empty() {
            continue;
        }
        tracing::info!(
            partition,
            windows = closed.len(),
            "closing the windows of an idle partition"
        );
        batch.touched.insert(partition);
        batch
            .windows
            .extend(closed.into_iter().map(|w| (partition, w)));
        state.prune();
    }
}

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

/// The latest window end of an event: it is needed until then.
fn last_window_end(specs: &[WindowSpec], t: NaiveDateTime) -> NaiveDateTime {
    specs
        .iter()
        .filter_map(|s| s.last_end(t))
        .max()
        .unwrap_or(t)
}

/// A partition's state at its resume point: the watermark restored, the event ids the
/// warehouse already holds for it marked as seen, and messages up to the next offset
/// marked for a silent replay.
/// Decodes a message into an event whose time is within the bounds of its Kafka
/// timestamp (the time of processing when the broker gave none). A refused event never
/// reaches a window, so it cannot move a watermark.
fn admit(
    payload: &[u8],
    message: &rdkafka::message::BorrowedMessage<'_>,
    options: &TailOptions,
) -> Result<Event, String> {
    let event = Event::decode(payload)?;
    let reference = message
        .timestamp()
        .to_millis()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(|| chrono::Utc::now().naive_utc(), |t| t.naive_utc());
    options.time_bounds.check(&event, reference)?;
    Ok(event)
}

fn new_state(
    conn: &Connection,
    options: &TailOptions,
    partition: i32,
    resume: &Resume,
) -> anyhow::Result<PartitionState> {
    let windows = PartitionWindows::new(options.windows.clone(), options.allowed_lateness)
        .with_max_event_time(resume.max_event_time);
    Ok(PartitionState {
        windows,
        // The replay range's events are marked seen again as they replay.
        seen: seen_before(conn, options, partition, resume.rebuild_offset)?,
        replay_until: resume.next_offset,
        next_offset: resume.rebuild_offset,
        needed: VecDeque::new(),
        last_active: Instant::now(),
    })
}

/// Event ids this warehouse holds for `partition` below `offset`.
fn seen_before(
    conn: &Connection,
    options: &TailOptions,
    partition: i32,
    offset: i64,
) -> anyhow::Result<HashSet<String>> {
    let mut stmt = conn.prepare(
        "SELECT event_id FROM stream.events WHERE topic = ? AND \"partition\" = ? AND \"offset\" < ?",
    )?;
    let ids = stmt
        .query_map(duckdb::params![options.topic, partition, offset], |r| {
            r.get::<_, String>(0)
        })?
        .collect::<Result<HashSet<_>, _>>()?;
    Ok(ids)
}

fn load_offsets(conn: &Connection, topic: &str) -> anyhow::Result<HashMap<i32, Resume>> {
    let mut stmt = conn.prepare(
        "SELECT \"partition\", rebuild_offset, next_offset, max_event_time FROM stream.offsets WHERE topic = ?",
    )?;
    let rows = stmt
        .query_map([topic], |r| {
            Ok((
                r.get::<_, i32>(0)?,
                Resume {
                    rebuild_offset: r.get(1)?,
                    next_offset: r.get(2)?,
                    max_event_time: r.get(3)?,
                },
            ))
        })?
        .collect::<Result<HashMap<_, _>, _>>()?;
    Ok(rows)
}

/// Fills in the per-partition figures (lag from the statistics' high watermarks) and
/// the broker errors, and publishes the status to `exported`.
fn publish_status(
    status: &mut TailStatus,
    states: &BTreeMap<i32, PartitionState>,
    shared: &Mutex<Shared>,
    exported: &super::exporter::SharedStatus,
) {
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
    if let Ok(mut e) = exported.lock() {
        *e = status.clone();
    }
}

/// One line of live status.
pub fn describe(status: &TailStatus) -> String {
    let lag = status
        .partitions
        .iter()
        .map(|p| {
            format!(
                "p{}:{}",
                p.partition,
                p.lag.map_or("?".into(), |l| l.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let watermark = status
        .partitions
        .iter()
        .filter_map(|p| p.watermark)
        .min()
        .map_or("-".to_string(), |w| w.format("%Y-%m-%d %H:%M").to_string());
    format!(
        "{:.0} ev/s, lag [{lag}], watermark {watermark}, {} windows, {} late, {} dead letters, {} duplicates{}",
        status.events_per_second,
        status.windows_emitted,
        status.late_events,
        status.dead_letters,
        status.duplicates,
        status
            .last_broker_error
            .as_ref()
            .map(|e| format!(", broker: {e}"))
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_points_round_trip_through_commit_metadata() {
        let resume = Resume {
            rebuild_offset: 120,
            next_offset: 180,
            max_event_time: NaiveDateTime::parse_from_str(
                "2011-03-01 10:15:00",
                "%Y-%m-%d %H:%M:%S",
            )
            .ok(),
        };
        assert_eq!(Resume::from_point(&resume.point()), Some(resume));
        assert_eq!(Resume::from_point(""), None);
    }

    mod properties {
        use super::*;
        use crate::stream::event::EventType;
        use proptest::prelude::*;

        fn specs() -> Vec<WindowSpec> {
            vec![
                WindowSpec::tumbling(Duration::minutes(10)),
                WindowSpec::tumbling(Duration::hours(1)),
            ]
        }

        fn event(id: usize, seconds: i64, country: u8, quantity: i64) -> Event {
            let quantity = if quantity == 0 { 1 } else { quantity };
            Event {
                schema_version: 1,
                event_id: format!("e{id}"),
                event_type: if quantity < 0 {
                    EventType::Cancellation
                } else {
                    EventType::Purchase
                },
                event_time: NaiveDateTime::parse_from_str(
                    "2011-01-10 09:00:00",
                    "%Y-%m-%d %H:%M:%S",
                )
                .unwrap()
                    + Duration::seconds(seconds),
                invoice_no: Some(if quantity < 0 {
                    format!("C{id}")
                } else {
                    format!("{}", 500_000 + id)
                }),
                stock_code: "85123A".into(),
                description: None,
                quantity,
                unit_price: 1_250,
                customer_id: Some(17_850 + id as i64 % 5),
                country: Some(["UK", "France", "EIRE"][country as usize].into()),
            }
        }

        fn state_at(resume: &Resume, seen: HashSet<String>) -> PartitionState {
            PartitionState {
                windows: PartitionWindows::new(specs(), Duration::minutes(5))
                    .with_max_event_time(resume.max_event_time),
                seen,
                replay_until: resume.next_offset,
                next_offset: resume.rebuild_offset,
                needed: VecDeque::new(),
                last_active: Instant::now(),
            }
        }

        /// What the warehouse holds at a commit: closed windows, the events written
        /// (offset, id) and the partition's resume point.
        #[derive(Clone)]
        struct Committed {
            windows: Vec<WindowMetrics>,
            events: Vec<(i64, String)>,
            resume: Resume,
        }

        /// Consumes `log` as the tail does, committing after the offsets in `commits`
        /// and crashing after those in `crashes` (each once): a crash loses what was not
        /// committed, and the restart resumes from the last commit's point, replaying
        /// up to it with the warehouse's events marked seen.
        fn consume(log: &[Event], commits: &[bool], crashes: &[bool]) -> Vec<WindowMetrics> {
            let start = Resume {
                rebuild_offset: 0,
                next_offset: 0,
                max_event_time: None,
            };
            let mut last = Committed {
                windows: Vec::new(),
                events: Vec::new(),
                resume: start,
            };
            let mut now = last.clone();
            let mut state = state_at(&start, HashSet::default());
            let mut crashed = vec![false; log.len()];
            let mut offset = 0i64;
            while let Some(event) = log.get(offset as usize) {
                let i = offset as usize;
                if offset < state.replay_until {
                    state.replay(offset, Some(event), &specs());
                } else {
                    if state.take(offset, event, &specs()).is_some() {
                        now.events.push((offset, event.event_id.clone()));
                    }
                    now.windows.extend(state.advance(offset));
                    if commits[i % commits.len()] {
                        now.resume = state.resume();
                        last = now.clone();
                    }
                }
                offset += 1;
                if crashes[i % crashes.len()] && !crashed[i] {
                    crashed[i] = true;
                    now = last.clone();
                    let seen = now
                        .events
                        .iter()
                        .filter(|(o, _)| *o < now.resume.rebuild_offset)
                        .map(|(_, id)| id.clone())
                        .collect();
                    state = state_at(&now.resume, seen);
                    offset = now.resume.rebuild_offset;
                }
            }
            let mut windows = now.windows;
            windows.extend(state.windows.flush());
            windows.sort_by(|a, b| {
                (a.window_end, a.window_start, &a.country).cmp(&(
                    b.window_end,
                    b.window_start,
                    &b.country,
                ))
            });
            windows
        }

        proptest! {
            /// However the stream is cut into commits, however often the consumer
            /// crashes and restarts from its last commit, and however often an event is
            /// delivered again, the windows are those of one calm pass over the events
            /// counted once each.
            #[test]
            fn windows_survive_commits_crashes_and_redelivery(
                raw in proptest::collection::vec((0i64..10_800, 0u8..3, -20i64..20), 1..80),
                resend in proptest::collection::vec(proptest::option::of(0usize..80), 1..80),
                commits in proptest::collection::vec(any::<bool>(), 1..40),
                crashes in proptest::collection::vec(proptest::bool::weighted(0.1), 1..40),
            ) {
                let events: Vec<Event> = raw
                    .iter()
                    .enumerate()
                    .map(|(i, &(s, c, q))| event(i, s, c, q))
                    .collect();
                // The log: each event, now and then followed by a copy of an earlier one.
                let mut log = Vec::new();
                for (i, e) in events.iter().enumerate() {
                    log.push(e.clone());
                    if let Some(Some(j)) = resend.get(i) && *j <= i {
                        log.push(events[*j].clone());
                    }
                }
                let calm = consume(&events, &[false], &[false]);
                prop_assert_eq!(&calm, &consume(&log, &[false], &[false]));
                prop_assert_eq!(&calm, &consume(&log, &commits, &crashes));
            }
        }
    }
}
