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
//! skipped: they were emitted already), and goes on live. Any rebalance discards the
//! uncommitted work and rebuilds every assigned partition that way, which is always
//! consistent.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use anyhow::Context;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use duckdb::Connection;
use duckdb::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use serde::Serialize;

use super::checkpoint::Checkpoints;
use super::event::Event;
use super::kafka::{ReliableProducer, client_config};
use super::window::{PartitionWindows, Placement, WindowMetrics, WindowSpec};
use crate::jobs::{CancelToken, Progress, ProgressSink, Unit};

#[derive(Debug, Clone)]
pub struct TailOptions {
    pub brokers: String,
    pub topic: String,
    pub group: String,
    pub windows: Vec<WindowSpec>,
    pub allowed_lateness: Duration,
    pub metrics_topic: Option<String>,
    pub dlq_topic: Option<String>,
    pub until_idle: Option<StdDuration>,
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
            metrics_topic: Some("uk-retail-metrics".into()),
            dlq_topic: None,
            until_idle: None,
            max_messages: None,
            consumer_settings: Vec::new(),
            batch_messages: 2_000,
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
struct Resume {
    rebuild_offset: i64,
    next_offset: i64,
    max_event_time: Option<NaiveDateTime>,
}

impl Resume {
    /// The point as text, for the offset commit's metadata and the checkpoint topic:
    /// `ecom1;rebuild;next;max_event_time`.
    fn point(&self) -> String {
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
struct Shared {
    /// The warehouse's resume points, kept current by the loop after each commit.
    known: HashMap<i32, Resume>,
    /// The assignment, with where each partition resumes; `None` until the first.
    assigned: Option<BTreeMap<i32, Resume>>,
    generation: u64,
    /// Partition → high watermark, from statistics.
    high_watermarks: HashMap<i32, i64>,
    broker_errors: u64,
    last_broker_error: Option<String>,
}

struct TailContext {
    topic: String,
    shared: Arc<Mutex<Shared>>,
    checkpoints: Checkpoints,
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
                    shared.generation += 1;
                }
            }
            _ => {
                if let Err(e) = consumer.unassign() {
                    tracing::error!(error = %e, "unassigning partitions");
                }
                tracing::info!("partitions revoked");
                if let Ok(mut shared) = self.shared.lock() {
                    shared.assigned = Some(BTreeMap::new());
                    shared.generation += 1;
                }
            }
        }
    }
}

/// Lookups from the marts (and ML tables) that enrich events; empty when absent.
#[derive(Default)]
struct Enrichment {
    products: HashMap<String, String>,
    first_purchase: HashMap<i64, chrono::NaiveDate>,
    segments: HashMap<i64, String>,
    regions: HashMap<String, String>,
}

impl Enrichment {
    fn load(conn: &Connection) -> anyhow::Result<Self> {
        let exists = |relation: &str| crate::warehouse::catalog::relation_exists(conn, relation);
        let mut out = Self::default();
        if exists("marts.dim_product")? {
            let mut stmt = conn.prepare("SELECT stock_code, description FROM marts.dim_product WHERE description IS NOT NULL")?;
            out.products = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
        }
        if exists("marts.dim_customer")? {
            let mut stmt = conn.prepare(
                "SELECT customer_id::BIGINT, first_purchase_ts::DATE FROM marts.dim_customer WHERE first_purchase_ts IS NOT NULL",
            )?;
            out.first_purchase = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
        }
        if exists("ml.customer_segments")? {
            let mut stmt = conn.prepare("SELECT customer_id, segment FROM ml.customer_segments")?;
            out.segments = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
        }
        if exists("marts.dim_country")? {
            let mut stmt = conn.prepare("SELECT country, region FROM marts.dim_country")?;
            out.regions = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
        }
        Ok(out)
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

/// A message that is not a valid event, with where it was and why.
struct DeadLetter {
    partition: i32,
    offset: i64,
    key: Option<String>,
    payload: String,
    reason: String,
}

/// An event that missed at least one of its windows.
struct LateEvent {
    partition: i32,
    offset: i64,
    event_id: String,
    event_time: NaiveDateTime,
    watermark: Option<NaiveDateTime>,
    reason: String,
}

/// An accepted event with its partition, offset and whether it was late.
type AcceptedEvent = (i32, i64, Event, bool);

/// Rows of one batch, written in one transaction.
#[derive(Default)]
struct Batch {
    events: Vec<AcceptedEvent>,
    late: Vec<LateEvent>,
    dead: Vec<DeadLetter>,
    windows: Vec<(i32, WindowMetrics)>,
    touched: HashSet<i32>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.touched.is_empty()
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
    let exported = &options.status;
    if let Some(addr) = options.metrics_addr {
        super::exporter::serve(addr, Arc::clone(exported))?;
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
    let consumer: BaseConsumer<TailContext> = config
        .create_with_context(TailContext {
            topic: options.topic.clone(),
            shared: Arc::clone(&shared),
            checkpoints,
        })
        .with_context(|| format!("creating a Kafka consumer for {}", options.brokers))?;
    consumer
        .subscribe(&[&options.topic])
        .with_context(|| format!("subscribing to {}", options.topic))?;
    // Checkpoints, dead letters and closed windows.
    let producer = ReliableProducer::new(&options.brokers, &[])?;
    if let Some(topic) = &options.metrics_topic {
        publish_unpublished(conn, &producer, topic)?;
    }
    let enrichment = Enrichment::load(conn)?;

    let mut status = TailStatus::default();
    let mut states: BTreeMap<i32, PartitionState> = BTreeMap::new();
    let mut generation = 0;
    let mut batch = Batch::default();
    let mut batch_started = Instant::now();
    let mut last_message: Option<Instant> = None;
    let mut first_message: Option<Instant> = None;
    let mut published_upto = 0;
    let mut last_publish = Instant::now();
    let mut assigned_at: Option<Instant> = None;
    let mut live_messages = 0u64;
    let started = Instant::now();
    let mut last_report = Instant::now();
    let mut rate_window = (Instant::now(), 0u64);

    loop {
        if cancel.is_cancelled() {
            break;
        }
        let message = consumer.poll(StdDuration::from_millis(100));
        // A rebalance happened inside poll: drop uncommitted work, rebuild the partitions.
        let current = shared.lock().map(|s| s.generation).unwrap_or(generation);
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
            assigned_at = Some(Instant::now());
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
                last_message = Some(Instant::now());
                first_message.get_or_insert_with(Instant::now);
                let payload = message.payload().unwrap_or_default();
                let replay = offset < state.replay_until;
                if replay {
                    status.replayed += 1;
                    if let Ok(event) = Event::decode(payload)
                        && state.seen.insert(event.event_id.clone())
                    {
                        let _ = state.windows.add(&event);
                        state.needed.push_back((
                            offset,
                            last_window_end(&options.windows, event.event_time),
                        ));
                    }
                    state.windows.close();
                    state.next_offset = state.next_offset.max(offset + 1);
                    state.prune();
                    continue;
                }
                status.messages += 1;
                live_messages += 1;
                batch.touched.insert(p);
                let key = message
                    .key()
                    .map(|k| String::from_utf8_lossy(k).to_string());
                match Event::decode(payload) {
                    Err(reason) => {
                        status.dead_letters += 1;
                        let text = String::from_utf8_lossy(payload).to_string();
                        if let Some(dlq) = &options.dlq_topic {
                            producer.send(dlq, key.as_deref().unwrap_or_default(), &text)?;
                        }
                        batch.dead.push(DeadLetter {
                            partition: p,
                            offset,
                            key,
                            payload: text,
                            reason,
                        });
                    }
                    Ok(event) => {
                        if !state.seen.insert(event.event_id.clone()) {
                            status.duplicates += 1;
                        } else {
                            let watermark = state.windows.watermark();
                            let placement = state.windows.add(&event);
                            state.needed.push_back((
                                offset,
                                last_window_end(&options.windows, event.event_time),
                            ));
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
                    }
                }
                for closed in state.windows.close() {
                    batch.windows.push((p, closed));
                }
                state.prune();
                state.next_offset = offset + 1;
                rate_window.1 += 1;
            }
        }

        let full = batch.events.len() + batch.dead.len() >= options.batch_messages;
        let due = batch_started.elapsed() >= options.commit_interval;
        let stop_max = options.max_messages.is_some_and(|m| live_messages >= m);
        if !batch.is_empty() && (full || due || stop_max) {
            commit(
                conn,
                &consumer,
                options,
                &enrichment,
                &mut batch,
                &states,
                &producer,
                &mut status,
            )?;
            if let Ok(mut s) = shared.lock() {
                for (p, state) in &states {
                    s.known.insert(*p, state.resume());
                }
            }
            status.active_seconds = first_message.map_or(0.0, |t| t.elapsed().as_secs_f64());
        }
        if batch.is_empty() {
            batch_started = Instant::now();
        }
        if last_report.elapsed() >= StdDuration::from_millis(500) {
            let elapsed = rate_window.0.elapsed().as_secs_f64();
            if elapsed >= 1.0 {
                status.events_per_second = rate_window.1 as f64 / elapsed;
                rate_window = (Instant::now(), 0);
            }
            fill_partitions(&mut status, &states, &shared);
            if let Ok(mut e) = exported.lock() {
                *e = status.clone();
            }
            progress.report(
                Progress::new("tail", status.messages, None, Unit::Rows)
                    .with_message(describe(&status)),
            );
            last_report = Instant::now();
        }
        // Closed windows go to the metrics topic every few seconds (each publication
        // waits for the broker's acknowledgement), and once more at the end.
        if let Some(topic) = &options.metrics_topic
            && status.windows_emitted > published_upto
            && last_publish.elapsed() >= PUBLISH_INTERVAL
        {
            publish_unpublished(conn, &producer, topic)?;
            published_upto = status.windows_emitted;
            last_publish = Instant::now();
        }
        if stop_max {
            break;
        }
        if let Some(idle) = options.until_idle {
            // Idle counts from the last message, or from the assignment when none came;
            // never from start-up while the group is still joining.
            let since = last_message.or(assigned_at);
            if since.is_some_and(|t| t.elapsed() >= idle) && batch.is_empty() {
                break;
            }
        }
    }
    if !batch.is_empty() {
        commit(
            conn,
            &consumer,
            options,
            &enrichment,
            &mut batch,
            &states,
            &producer,
            &mut status,
        )?;
        status.active_seconds = first_message.map_or(0.0, |t| t.elapsed().as_secs_f64());
    }
    if let Some(topic) = &options.metrics_topic
        && status.windows_emitted > published_upto
    {
        publish_unpublished(conn, &producer, topic)?;
    }
    producer.flush(StdDuration::from_secs(30))?;
    fill_partitions(&mut status, &states, &shared);
    if let Ok(mut e) = exported.lock() {
        *e = status.clone();
    }
    tracing::info!(messages = status.messages, elapsed = ?started.elapsed(), "tail stopped");
    Ok(status)
}

/// How often closed windows are published to the metrics topic.
const PUBLISH_INTERVAL: StdDuration = StdDuration::from_secs(2);

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

#[allow(clippy::too_many_arguments)]
fn commit(
    conn: &Connection,
    consumer: &BaseConsumer<TailContext>,
    options: &TailOptions,
    enrichment: &Enrichment,
    batch: &mut Batch,
    states: &BTreeMap<i32, PartitionState>,
    producer: &ReliableProducer,
    status: &mut TailStatus,
) -> anyhow::Result<()> {
    let now = chrono::Utc::now().naive_utc();
    let topic = options.topic.as_str();
    let started = Instant::now();
    let tx = conn.unchecked_transaction()?;
    {
        // Events are the bulk of a batch: appended as one Arrow batch, not row by row.
        let mut events = tx.appender_to_db("events", "stream")?;
        if !batch.events.is_empty() {
            events.append_record_batch(event_batch(topic, &batch.events, enrichment, now)?)?;
        }
        events.flush()?;
        let mut late = tx.appender_to_db("late_events", "stream")?;
        for l in &batch.late {
            late.append_row(duckdb::params![
                topic,
                l.partition,
                l.offset,
                l.event_id,
                l.event_time,
                l.watermark,
                l.reason,
                now
            ])?;
        }
        late.flush()?;
        let mut dead = tx.appender_to_db("dead_letters", "stream")?;
        for d in &batch.dead {
            dead.append_row(duckdb::params![
                topic,
                d.partition,
                d.offset,
                d.key,
                d.payload,
                d.reason,
                now
            ])?;
        }
        dead.flush()?;
        let mut windows = tx.appender_to_db("window_metrics", "stream")?;
        for (p, w) in &batch.windows {
            windows.append_row(duckdb::params![
                w.window_start,
                w.window_end,
                w.country,
                milli_text(w.revenue_milli),
                w.orders as i64,
                w.items,
                w.customers as i64,
                w.cancellations as i64,
                w.views as i64,
                w.carts as i64,
                w.purchases as i64,
                w.conversion(),
                (w.window_end - w.window_start).num_seconds(),
                w.hop.num_seconds(),
                topic,
                p,
                now,
                false,
            ])?;
        }
        windows.flush()?;
    }
    let mut offsets = TopicPartitionList::new();
    for p in &batch.touched {
        let Some(state) = states.get(p) else { continue };
        let resume = state.resume();
        tx.execute(
            "INSERT OR REPLACE INTO stream.offsets VALUES (?, ?, ?, ?, ?, ?, ?)",
            duckdb::params![
                topic,
                p,
                resume.next_offset,
                resume.rebuild_offset,
                resume.max_event_time,
                state.windows.watermark(),
                now
            ],
        )?;
        offsets.add_partition_offset(topic, *p, Offset::Offset(resume.rebuild_offset))?;
        if let Some(mut element) = offsets.find_partition(topic, *p) {
            element.set_metadata(resume.point());
        }
    }
    tx.commit()
        .context("committing the batch to the warehouse")?;
    crate::warehouse::note_commit();
    let committed = started.elapsed();
    status.windows_emitted += batch.windows.len() as u64;
    // The warehouse is the record; the checkpoints (acknowledged first) and the group's
    // offsets let another member take a partition over.
    let checkpoints = &consumer.context().checkpoints;
    for p in &batch.touched {
        if let Some(state) = states.get(p) {
            checkpoints.send(producer, *p, &state.resume().point())?;
        }
    }
    tracing::debug!(
        rows = batch.events.len(),
        warehouse_ms = committed.as_millis() as u64,
        "batch committed"
    );
    // Not waited for: a point that arrives late or never leaves an older, equally
    // consistent one in place, from which a new owner rebuilds the same windows (rows it
    // writes again are the ones readers dedupe).
    if let Err(e) = consumer.commit(&offsets, CommitMode::Async) {
        tracing::warn!(error = %e, "committing offsets to Kafka");
    }
    *batch = Batch::default();
    Ok(())
}

/// The events of a batch shaped like `stream.events` (the appender is positional).
fn event_batch(
    topic: &str,
    events: &[AcceptedEvent],
    enrichment: &Enrichment,
    now: NaiveDateTime,
) -> anyhow::Result<RecordBatch> {
    let text = |f: &dyn Fn(&AcceptedEvent) -> Option<String>| {
        Arc::new(StringArray::from_iter(events.iter().map(f))) as ArrayRef
    };
    let micros = |t: NaiveDateTime| t.and_utc().timestamp_micros();
    let decimal = |f: &dyn Fn(&Event) -> i64| -> anyhow::Result<ArrayRef> {
        Ok(Arc::new(
            Decimal128Array::from_iter_values(events.iter().map(|e| f(&e.2) as i128))
                .with_precision_and_scale(18, 3)?,
        ))
    };
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let columns: Vec<ArrayRef> = vec![
        text(&|_| Some(topic.to_string())),
        Arc::new(Int32Array::from_iter_values(events.iter().map(|e| e.0))),
        Arc::new(Int64Array::from_iter_values(events.iter().map(|e| e.1))),
        text(&|e| Some(e.2.event_id.clone())),
        text(&|e| Some(e.2.event_type.name().to_string())),
        Arc::new(TimestampMicrosecondArray::from_iter_values(
            events.iter().map(|e| micros(e.2.event_time)),
        )),
        text(&|e| e.2.invoice_no.clone()),
        text(&|e| Some(e.2.stock_code.clone())),
        text(&|e| e.2.description.clone()),
        Arc::new(Int64Array::from_iter_values(
            events.iter().map(|e| e.2.quantity),
        )),
        decimal(&|e| e.unit_price)?,
        decimal(&|e| e.revenue_milli())?,
        Arc::new(Int64Array::from_iter(
            events.iter().map(|e| e.2.customer_id),
        )),
        text(&|e| e.2.country.clone()),
        text(&|e| enrichment.products.get(&e.2.stock_code).cloned()),
        text(&|e| {
            e.2.customer_id
                .and_then(|c| enrichment.segments.get(&c).cloned())
        }),
        Arc::new(Date32Array::from_iter(events.iter().map(|e| {
            e.2.customer_id
                .and_then(|c| enrichment.first_purchase.get(&c))
                .map(|d| (*d - epoch).num_days() as i32)
        }))),
        text(&|e| {
            e.2.country
                .as_ref()
                .and_then(|c| enrichment.regions.get(c).cloned())
        }),
        Arc::new(BooleanArray::from_iter(events.iter().map(|e| Some(e.3)))),
        Arc::new(TimestampMicrosecondArray::from_iter_values(
            events.iter().map(|_| micros(now)),
        )),
    ];
    Ok(RecordBatch::try_new(events_schema(), columns)?)
}

/// The Arrow schema of `stream.events`, in table column order.
fn events_schema() -> Arc<Schema> {
    let field = |name: &str, dtype: DataType| Field::new(name, dtype, true);
    let text = |name: &str| field(name, DataType::Utf8);
    let timestamp = DataType::Timestamp(TimeUnit::Microsecond, None);
    Arc::new(Schema::new(vec![
        text("topic"),
        field("partition", DataType::Int32),
        field("offset", DataType::Int64),
        text("event_id"),
        text("event_type"),
        field("event_time", timestamp.clone()),
        text("invoice_no"),
        text("stock_code"),
        text("description"),
        field("quantity", DataType::Int64),
        field("unit_price", DataType::Decimal128(18, 3)),
        field("revenue", DataType::Decimal128(18, 3)),
        field("customer_id", DataType::Int64),
        text("country"),
        text("product_description"),
        text("customer_segment"),
        field("customer_first_purchase", DataType::Date32),
        text("country_region"),
        field("late", DataType::Boolean),
        field("received_at", timestamp),
    ]))
}

/// Publishes the closed windows not yet acknowledged by the metrics topic, keyed
/// `window_start/window_end/window_seconds/hop_seconds/country/topic/partition` so a
/// reader can deduplicate, and marks them published once the broker has them.
fn publish_unpublished(
    conn: &Connection,
    producer: &ReliableProducer,
    metrics_topic: &str,
) -> anyhow::Result<()> {
    let mut stmt = conn.prepare(
        "SELECT window_start, window_end, country, revenue::DOUBLE, orders, items, customers, cancellations,
                views, carts, purchases, conversion, window_seconds, hop_seconds, topic, \"partition\"
         FROM stream.window_metrics WHERE NOT published",
    )?;
    let rows = stmt
        .query_map([], |r| {
            let start: NaiveDateTime = r.get(0)?;
            let end: NaiveDateTime = r.get(1)?;
            let value = serde_json::json!({
                "window_start": start.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "window_end": end.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "country": r.get::<_, String>(2)?,
                "revenue": r.get::<_, f64>(3)?,
                "orders": r.get::<_, i64>(4)?,
                "items": r.get::<_, i64>(5)?,
                "customers": r.get::<_, i64>(6)?,
                "cancellations": r.get::<_, i64>(7)?,
                "views": r.get::<_, i64>(8)?,
                "carts": r.get::<_, i64>(9)?,
                "purchases": r.get::<_, i64>(10)?,
                "conversion": r.get::<_, Option<f64>>(11)?,
                "window_seconds": r.get::<_, i64>(12)?,
                "hop_seconds": r.get::<_, i64>(13)?,
                "topic": r.get::<_, String>(14)?,
                "partition": r.get::<_, i32>(15)?,
            });
            let key = format!(
                "{}/{}/{}/{}/{}/{}/{}",
                value["window_start"].as_str().unwrap_or_default(),
                value["window_end"].as_str().unwrap_or_default(),
                value["window_seconds"],
                value["hop_seconds"],
                value["country"].as_str().unwrap_or_default(),
                value["topic"].as_str().unwrap_or_default(),
                value["partition"]
            );
            Ok((key, value.to_string()))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    if rows.is_empty() {
        return Ok(());
    }
    for (key, payload) in &rows {
        producer.send(metrics_topic, key, payload)?;
    }
    producer.flush(StdDuration::from_secs(30))?;
    let failed = producer.take_failed();
    if !failed.is_empty() {
        tracing::warn!(
            count = failed.len(),
            "metrics not published; retried after the next batch"
        );
        return Ok(());
    }
    conn.execute_batch("UPDATE stream.window_metrics SET published = true WHERE NOT published")?;
    Ok(())
}

/// Thousandths as an exact decimal literal for a `DECIMAL(18,3)` column.
fn milli_text(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:03}",
        v.unsigned_abs() / 1000,
        v.unsigned_abs() % 1000
    )
}

fn fill_partitions(
    status: &mut TailStatus,
    states: &BTreeMap<i32, PartitionState>,
    shared: &Mutex<Shared>,
) {
    let Ok(shared) = shared.lock() else { return };
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

    #[test]
    fn decimals_are_exact() {
        assert_eq!(milli_text(15_300), "15.300");
        assert_eq!(milli_text(-2_550), "-2.550");
        assert_eq!(milli_text(7), "0.007");
    }
}
