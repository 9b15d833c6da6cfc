//! The warehouse side of `ecom tail`: a thread with its own connection that commits the
//! sealed batches in order, then hands each batch's resume points to Kafka (the
//! checkpoint topic and the group's offsets) and publishes the closed windows. The
//! consuming thread does not wait for DuckDB or a broker's acknowledgement, except for a
//! full queue and, at a rebalance, for the batches it already handed over: on two cores
//! the two halves of the work overlap.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender};
use std::time::{Duration as StdDuration, Instant};

use chrono::NaiveDateTime;
use duckdb::Connection;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::batch::Batch;
use super::consumer::TailContext;
use super::cpu::Lap;
use super::in_flight::{InFlight, Ticket};
use super::metrics_topic::publish_unpublished;
use super::options::TailOptions;
use super::resume::Resume;
use super::status::TailStatus;
use crate::stream::error::{Result, StreamError};
use crate::stream::kafka::ReliableProducer;

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
    /// The writer thread's CPU seconds by stage so far.
    stages: WriterStages,
}

/// The writer thread's CPU seconds by stage (see [`super::TailStages`]).
#[derive(Clone, Copy, Default)]
struct WriterStages {
    append: f64,
    commit: f64,
    kafka_commit: f64,
    other: f64,
}

/// The consuming side's handle on the writer thread.
pub(super) struct Writer {
    acks: Receiver<Result<Committed>>,
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
        in_flight: Arc<InFlight>,
    ) -> Result<(Writer, SyncSender<Sealed>)> {
        // std's channel drops the batches still queued when the writer stops, which
        // releases their tickets: a channel that kept them would leave a rebalance
        // waiting for batches nobody will commit.
        let (batches, queue) = std::sync::mpsc::sync_channel(1);
        let (answers, acks) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("tail-writer".into())
            .spawn_scoped(scope, move || run(conn, consumer, options, queue, answers))
            .map_err(|source| StreamError::Io {
                doing: "starting the tail's writer thread".into(),
                source,
            })?;
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
    ) -> Result<()> {
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
        let WriterStages {
            append,
            commit,
            kafka_commit,
            other,
        } = committed.stages;
        let stages = &mut status.stages;
        (stages.append, stages.commit) = (append, commit);
        (stages.kafka_commit, stages.writer_other) = (kafka_commit, other);
        status.windows_emitted += committed.windows;
        status.batches_committed += 1;
        // The work's time runs from the first message to the end of the last commit.
        status.active_seconds = first_message.map_or(0.0, |t| {
            committed.at.saturating_duration_since(t).as_secs_f64()
        });
    }
}

/// The writer thread: commits what arrives on `batches` in order and answers on `acks`;
/// publishes closed windows every [`PUBLISH_INTERVAL`] and once more at the end. Stops
/// at the first error (answered on `acks`) or when `batches` closes.
fn run(
    conn: Connection,
    consumer: &BaseConsumer<TailContext>,
    options: &TailOptions,
    batches: Receiver<Sealed>,
    acks: Sender<Result<Committed>>,
) {
    let outcome = (|| -> Result<()> {
        // One producer each, so each knows which of its deliveries failed.
        let checkpoints = ReliableProducer::new(&options.brokers, &[])?;
        let metrics = ReliableProducer::new(&options.brokers, &[])?;
        // Windows a previous run closed and could not publish go first.
        let mut unpublished = match &options.metrics_topic {
            Some(topic) => !publish_unpublished(&conn, &metrics, topic)?,
            None => false,
        };
        let mut last_publish = Instant::now();
        let mut stages = WriterStages::default();
        let mut lap = Lap::start();
        loop {
            match batches.recv_timeout(PUBLISH_INTERVAL) {
                Ok(sealed) => {
                    lap.to(&mut stages.other);
                    let windows = commit(
                        &conn,
                        consumer,
                        options,
                        sealed,
                        &checkpoints,
                        &mut lap,
                        &mut stages,
                    )?;
                    unpublished |= windows > 0;
                    let _ = acks.send(Ok(Committed {
                        windows,
                        at: Instant::now(),
                        stages,
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

/// Commits one sealed batch: its rows and the partitions' resume points in one DuckDB
/// transaction, then the points to the checkpoint topic and the group's offsets.
/// Returns the number of windows it closed.
fn commit(
    conn: &Connection,
    consumer: &BaseConsumer<TailContext>,
    options: &TailOptions,
    sealed: Sealed,
    producer: &ReliableProducer,
    lap: &mut Lap,
    stages: &mut WriterStages,
) -> Result<u64> {
    // The ticket is dropped on return, after the resume points are known.
    let Sealed {
        mut batch, points, ..
    } = sealed;
    let events = batch.events.len();
    let now = chrono::Utc::now().naive_utc();
    let topic = options.topic.as_str();
    let started = Instant::now();
    let tx = conn.unchecked_transaction()?;
    // Events are the bulk of a batch: appended as one Arrow batch, not row by row.
    if !batch.events.is_empty() {
        let mut events = tx.appender_to_db("events", "stream")?;
        events.append_record_batch(batch.events.finish(topic, now)?)?;
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
    lap.to(&mut stages.append);
    crate::warehouse::commit::commit(tx).map_err(|source| StreamError::Warehouse {
        doing: "committing the batch to the warehouse".into(),
        source,
    })?;
    lap.to(&mut stages.commit);
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
        rows = events,
        warehouse_ms = committed.as_millis() as u64,
        "batch committed"
    );
    if let Err(e) = consumer.commit(&offsets, CommitMode::Async) {
        tracing::warn!(error = %e, "committing offsets to Kafka");
    }
    lap.to(&mut stages.kafka_commit);
    Ok(batch.windows.len() as u64)
}

/// Appends `rows` to the `stream` table `table` (no appender at all when there are none:
/// most batches have no late events or dead letters).
fn append<T>(
    tx: &duckdb::Transaction<'_>,
    table: &str,
    rows: &[T],
    row: impl Fn(&mut duckdb::Appender<'_>, &T) -> duckdb::Result<()>,
) -> Result<()> {
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
