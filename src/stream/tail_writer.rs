//! The warehouse side of `ecom tail`: a thread with its own connection that commits the
//! sealed batches in order, then hands each batch's resume points to Kafka (the
//! checkpoint topic and the group's offsets) and publishes the closed windows. The
//! consuming thread does not wait for DuckDB or a broker's acknowledgement, except for a
//! full queue and, at a rebalance, for the batches it already handed over: on two cores
//! the two halves of the work overlap.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration as StdDuration, Instant};

use anyhow::Context;
use chrono::{NaiveDate, NaiveDateTime};
use duckdb::Connection;
use duckdb::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::event::Event;
use super::kafka::ReliableProducer;
use super::tail::{Resume, TailContext, TailOptions, TailStatus};
use super::window::WindowMetrics;

/// A batch handed to the writer, with each touched partition's resume point and
/// watermark as they were when the batch was sealed.
pub(super) struct Sealed {
    batch: Batch,
    points: Vec<ResumePoint>,
    /// Counts the batch as in flight until it is committed or dropped.
    _ticket: Ticket,
}

/// A partition, where it resumes and its watermark.
pub(super) type ResumePoint = (i32, Resume, Option<NaiveDateTime>);

/// The writer's answer for one sealed batch.
struct Committed {
    windows: u64,
    at: Instant,
}

/// The consuming side's handle on the writer thread.
pub(super) struct Writer {
    acks: Receiver<anyhow::Result<Committed>>,
    in_flight: Arc<InFlight>,
}

impl Writer {
    /// Starts the writer thread in `scope`; batches go to it through the returned
    /// sender (at most one waits while another is committed), and it stops when the
    /// sender is dropped.
    pub(super) fn start<'scope, 'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        conn: Connection,
        consumer: &'env BaseConsumer<TailContext>,
        options: &'env TailOptions,
        enrichment: &'env Enrichment,
        in_flight: Arc<InFlight>,
    ) -> anyhow::Result<(Writer, SyncSender<Sealed>)> {
        // std's channel drops the batches still queued when the writer stops, which
        // releases their tickets: a channel that kept them would leave a rebalance
        // waiting for batches nobody will commit.
        let (batches, queue) = std::sync::mpsc::sync_channel(1);
        let (answers, acks) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("tail-writer".into())
            .spawn_scoped(scope, move || {
                run(conn, consumer, options, enrichment, queue, answers)
            })
            .context("starting the tail's writer thread")?;
        Ok((Writer { acks, in_flight }, batches))
    }

    pub(super) fn seal(&self, batch: Batch, points: Vec<ResumePoint>) -> Sealed {
        Sealed {
            batch,
            points,
            _ticket: Ticket::new(&self.in_flight),
        }
    }

    /// Takes in the commits done so far (with `wait`, every commit until the writer
    /// stops: its queue must be closed); the writer's error, if it stopped on one.
    pub(super) fn collect(
        &self,
        status: &mut TailStatus,
        first_message: Option<Instant>,
        wait: bool,
    ) -> anyhow::Result<()> {
        loop {
            let answer = if wait {
                self.acks.recv().ok()
            } else {
                self.acks.try_recv().ok()
            };
            let Some(answer) = answer else {
                return Ok(());
            };
            Self::take(answer?, status, first_message);
        }
    }

    fn take(committed: Committed, status: &mut TailStatus, first_message: Option<Instant>) {
        status.windows_emitted += committed.windows;
        status.batches_committed += 1;
        // The work's time runs from the first message to the end of the last commit.
        status.active_seconds = first_message.map_or(0.0, |t| {
            committed.at.saturating_duration_since(t).as_secs_f64()
        });
    }
}

/// Batches handed over and not yet committed. The rebalance callback waits for none to
/// be left before it reads the resume points, so a partition never resumes from a
/// point older than what the warehouse holds.
#[derive(Default)]
pub(super) struct InFlight {
    count: Mutex<usize>,
    idle: Condvar,
}

impl InFlight {
    fn end(&self) {
        let mut count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        *count = count.saturating_sub(1);
        self.idle.notify_all();
    }

    pub(super) fn wait_idle(&self) {
        let count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        let _idle = self
            .idle
            .wait_while(count, |c| *c > 0)
            .unwrap_or_else(|e| e.into_inner());
    }
}

/// One batch in flight: counted from its seal until it is dropped, whether committed,
/// left in the queue of a writer that stopped, or refused by it.
struct Ticket(Arc<InFlight>);

impl Ticket {
    fn new(in_flight: &Arc<InFlight>) -> Self {
        *in_flight.count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        Self(Arc::clone(in_flight))
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// The writer thread: commits what arrives on `batches` in order and answers on `acks`;
/// publishes closed windows every [`PUBLISH_INTERVAL`] and once more at the end. Stops
/// at the first error (answered on `acks`) or when `batches` closes.
fn run(
    conn: Connection,
    consumer: &BaseConsumer<TailContext>,
    options: &TailOptions,
    enrichment: &Enrichment,
    batches: Receiver<Sealed>,
    acks: Sender<anyhow::Result<Committed>>,
) {
    let outcome = (|| -> anyhow::Result<()> {
        // One producer each, so each knows which of its deliveries failed.
        let checkpoints = ReliableProducer::new(&options.brokers, &[])?;
        let metrics = ReliableProducer::new(&options.brokers, &[])?;
        // Windows a previous run closed and could not publish go first.
        let mut unpublished = match &options.metrics_topic {
            Some(topic) => !publish_unpublished(&conn, &metrics, topic)?,
            None => false,
        };
        let mut last_publish = Instant::now();
        loop {
            match batches.recv_timeout(PUBLISH_INTERVAL) {
                Ok(sealed) => {
                    let windows =
                        commit(&conn, consumer, options, enrichment, sealed, &checkpoints)?;
                    unpublished |= windows > 0;
                    let _ = acks.send(Ok(Committed {
                        windows,
                        at: Instant::now(),
                    }));
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if let Some(topic) = &options.metrics_topic
                && unpublished
                && last_publish.elapsed() >= PUBLISH_INTERVAL
            {
                unpublished = !publish_unpublished(&conn, &metrics, topic)?;
                last_publish = Instant::now();
            }
        }
        if let Some(topic) = &options.metrics_topic
            && unpublished
        {
            publish_unpublished(&conn, &metrics, topic)?;
        }
        checkpoints.flush(StdDuration::from_secs(30))
    })();
    if let Err(e) = outcome {
        let _ = acks.send(Err(e));
    }
}

/// How often closed windows are published to the metrics topic (each publication waits
/// for the broker's acknowledgement).
const PUBLISH_INTERVAL: StdDuration = StdDuration::from_secs(2);

/// Lookups from the marts (and ML tables) that enrich events; empty when absent.
#[derive(Default)]
pub(super) struct Enrichment {
    products: HashMap<String, String>,
    first_purchase: HashMap<i64, chrono::NaiveDate>,
    segments: HashMap<i64, String>,
    regions: HashMap<String, String>,
}

impl Enrichment {
    pub(super) fn load(conn: &Connection) -> anyhow::Result<Self> {
        Ok(Self {
            products: pairs(
                conn,
                "marts.dim_product",
                "SELECT stock_code, description FROM marts.dim_product WHERE description IS NOT NULL",
            )?,
            first_purchase: pairs(
                conn,
                "marts.dim_customer",
                "SELECT customer_id::BIGINT, first_purchase_ts::DATE FROM marts.dim_customer WHERE first_purchase_ts IS NOT NULL",
            )?,
            segments: pairs(
                conn,
                "ml.customer_segments",
                "SELECT customer_id, segment FROM ml.customer_segments",
            )?,
            regions: pairs(
                conn,
                "marts.dim_country",
                "SELECT country, region FROM marts.dim_country",
            )?,
        })
    }
}

/// The two columns of `sql` as a map, or an empty one when `relation` does not exist
/// (the marts or the ML tables are not built yet).
fn pairs<K, V>(conn: &Connection, relation: &str, sql: &str) -> anyhow::Result<HashMap<K, V>>
where
    K: duckdb::types::FromSql + Eq + std::hash::Hash,
    V: duckdb::types::FromSql,
{
    if !crate::warehouse::catalog::relation_exists(conn, relation)? {
        return Ok(HashMap::new());
    }
    let mut stmt = conn.prepare(sql)?;
    let map = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(map)
}

/// A message that is not a valid event, with where it was and why.
pub(super) struct DeadLetter {
    pub(super) partition: i32,
    pub(super) offset: i64,
    pub(super) key: Option<String>,
    pub(super) payload: String,
    pub(super) reason: String,
}

/// An event that missed at least one of its windows.
pub(super) struct LateEvent {
    pub(super) partition: i32,
    pub(super) offset: i64,
    pub(super) event_id: String,
    pub(super) event_time: NaiveDateTime,
    pub(super) watermark: Option<NaiveDateTime>,
    pub(super) reason: String,
}

/// An accepted event with its partition, offset and whether it was late.
pub(super) type AcceptedEvent = (i32, i64, Event, bool);

/// Rows of one batch, written in one transaction.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) events: Vec<AcceptedEvent>,
    pub(super) late: Vec<LateEvent>,
    pub(super) dead: Vec<DeadLetter>,
    pub(super) windows: Vec<(i32, WindowMetrics)>,
    pub(super) touched: HashSet<i32>,
}

impl Batch {
    pub(super) fn is_empty(&self) -> bool {
        self.touched.is_empty()
    }
}

/// Commits one sealed batch: its rows and the partitions' resume points in one DuckDB
/// transaction, then the points to the checkpoint topic and the group's offsets.
/// Returns the number of windows it closed.
fn commit(
    conn: &Connection,
    consumer: &BaseConsumer<TailContext>,
    options: &TailOptions,
    enrichment: &Enrichment,
    sealed: Sealed,
    producer: &ReliableProducer,
) -> anyhow::Result<u64> {
    // The ticket is dropped on return, after the resume points are known.
    let Sealed { batch, points, .. } = sealed;
    let now = chrono::Utc::now().naive_utc();
    let topic = options.topic.as_str();
    let started = Instant::now();
    let tx = conn.unchecked_transaction()?;
    // Events are the bulk of a batch: appended as one Arrow batch, not row by row.
    if !batch.events.is_empty() {
        let mut events = tx.appender_to_db("events", "stream")?;
        events.append_record_batch(event_batch(topic, &batch.events, enrichment, now)?)?;
        events.flush()?;
    }
    append(&tx, "late_events", &batch.late, |rows, l| {
        rows.append_row(duckdb::params![
            topic,
            l.partition,
            l.offset,
            l.event_id,
            l.event_time,
            l.watermark,
            l.reason,
            now
        ])
    })?;
    append(&tx, "dead_letters", &batch.dead, |rows, d| {
        rows.append_row(duckdb::params![
            topic,
            d.partition,
            d.offset,
            d.key,
            d.payload,
            d.reason,
            now
        ])
    })?;
    append(&tx, "window_metrics", &batch.windows, |rows, (p, w)| {
        rows.append_row(duckdb::params![
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
        ])
    })?;
    let mut offsets = TopicPartitionList::new();
    for (p, resume, watermark) in &points {
        tx.execute(
            "INSERT OR REPLACE INTO stream.offsets VALUES (?, ?, ?, ?, ?, ?, ?)",
            duckdb::params![
                topic,
                p,
                resume.next_offset,
                resume.rebuild_offset,
                resume.max_event_time,
                watermark,
                now
            ],
        )?;
        offsets.add_partition_offset(topic, *p, Offset::Offset(resume.rebuild_offset))?;
        if let Some(mut element) = offsets.find_partition(topic, *p) {
            element.set_metadata(resume.point());
        }
    }
    crate::warehouse::commit::commit(tx).context("committing the batch to the warehouse")?;
    let committed = started.elapsed();
    if let Ok(mut shared) = consumer.context().shared.lock() {
        for (p, resume, _) in &points {
            shared.known.insert(*p, *resume);
        }
    }
    // The warehouse is the record; the checkpoints and the group's offsets let another
    // member take a partition over. Neither is waited for (waiting for the broker's
    // acknowledgement here cost a third of the tail's rate): a new owner takes the
    // furthest full point it finds, and an older one, or a bare offset when none exists
    // (the rebuild offset, with every open window's events after it), rebuilds the same
    // windows; the rows it writes again are the ones readers dedupe. `producer` carries
    // checkpoints only: what failed since the last batch is reported here.
    let undelivered = producer.take_failed();
    if !undelivered.is_empty() {
        tracing::warn!(
            count = undelivered.len(),
            "checkpoints not delivered; a new owner of the partition resumes from an older point"
        );
    }
    let checkpoints = &consumer.context().checkpoints;
    for (p, resume, _) in &points {
        checkpoints.send(producer, *p, &resume.point())?;
    }
    tracing::debug!(
        rows = batch.events.len(),
        warehouse_ms = committed.as_millis() as u64,
        "batch committed"
    );
    if let Err(e) = consumer.commit(&offsets, CommitMode::Async) {
        tracing::warn!(error = %e, "committing offsets to Kafka");
    }
    Ok(batch.windows.len() as u64)
}

/// Appends `rows` to the `stream` table `table` (no appender at all when there are none:
/// most batches have no late events or dead letters).
fn append<T>(
    tx: &duckdb::Transaction<'_>,
    table: &str,
    rows: &[T],
    row: impl Fn(&mut duckdb::Appender<'_>, &T) -> duckdb::Result<()>,
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut appender = tx.appender_to_db(table, "stream")?;
    for r in rows {
        row(&mut appender, r)?;
    }
    appender.flush()?;
    Ok(())
}

/// The events of a batch shaped like `stream.events` (the appender is positional).
fn event_batch<'a>(
    topic: &'a str,
    events: &'a [AcceptedEvent],
    enrichment: &'a Enrichment,
    now: NaiveDateTime,
) -> anyhow::Result<RecordBatch> {
    // Borrowed text: the array copies each value once, into its own buffer.
    let text = |f: &dyn Fn(&'a AcceptedEvent) -> Option<&'a str>| {
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
        text(&|_| Some(topic)),
        Arc::new(Int32Array::from_iter_values(events.iter().map(|e| e.0))),
        Arc::new(Int64Array::from_iter_values(events.iter().map(|e| e.1))),
        text(&|e| Some(&e.2.event_id)),
        text(&|e| Some(e.2.event_type.name())),
        Arc::new(TimestampMicrosecondArray::from_iter_values(
            events.iter().map(|e| micros(e.2.event_time)),
        )),
        text(&|e| e.2.invoice_no.as_deref()),
        text(&|e| Some(&e.2.stock_code)),
        text(&|e| e.2.description.as_deref()),
        Arc::new(Int64Array::from_iter_values(
            events.iter().map(|e| e.2.quantity),
        )),
        decimal(&|e| e.unit_price)?,
        decimal(&|e| e.revenue_milli())?,
        Arc::new(Int64Array::from_iter(
            events.iter().map(|e| e.2.customer_id),
        )),
        text(&|e| e.2.country.as_deref()),
        text(&|e| enrichment.products.get(&e.2.stock_code).map(String::as_str)),
        text(&|e| {
            e.2.customer_id
                .and_then(|c| enrichment.segments.get(&c).map(String::as_str))
        }),
        Arc::new(Date32Array::from_iter(events.iter().map(|e| {
            e.2.customer_id
                .and_then(|c| enrichment.first_purchase.get(&c))
                .map(|d| (*d - epoch).num_days() as i32)
        }))),
        text(&|e| {
            e.2.country
                .as_ref()
                .and_then(|c| enrichment.regions.get(c).map(String::as_str))
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
/// reader can deduplicate, and marks them published once the broker has them. False
/// when some were not delivered (they are sent again next time).
fn publish_unpublished(
    conn: &Connection,
    producer: &ReliableProducer,
    metrics_topic: &str,
) -> anyhow::Result<bool> {
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
        return Ok(true);
    }
    for (key, payload) in &rows {
        producer.send(metrics_topic, key, payload)?;
    }
    producer.flush(StdDuration::from_secs(30))?;
    let failed = producer.take_failed();
    if !failed.is_empty() {
        tracing::warn!(
            count = failed.len(),
            "metrics not published; sent again in a few seconds"
        );
        return Ok(false);
    }
    conn.execute_batch("UPDATE stream.window_metrics SET published = true WHERE NOT published")?;
    Ok(true)
}

/// Thousandths as an exact decimal literal for a `DECIMAL(_, 3)` column.
fn milli_text(v: i128) -> String {
    let sign = if v < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:03}",
        v.unsigned_abs() / 1000,
        v.unsigned_abs() % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(milli_text(15_300), "15.300");
        assert_eq!(milli_text(-2_550), "-2.550");
        assert_eq!(milli_text(7), "0.007");
    }
}
