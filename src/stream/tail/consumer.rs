//! The rdkafka side of `ecom tail`: the consumer's context, which collects the
//! statistics and errors and, at a rebalance, assigns each partition from its resume
//! point.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;

use super::in_flight::InFlight;
use super::resume::Resume;
use crate::stream::checkpoint::Checkpoints;
use crate::stream::kafka::fetched_watermarks;

/// What the rebalance callback hands to the loop.
#[derive(Default)]
pub(super) struct Shared {
    /// The warehouse's resume points, kept current by the writer after each commit.
    pub(super) known: HashMap<i32, Resume>,
    /// The assignment, with where each partition resumes; `None` until the first.
    pub(super) assigned: Option<BTreeMap<i32, Resume>>,
    /// Partition → high watermark, from statistics.
    pub(super) high_watermarks: HashMap<i32, i64>,
    pub(super) broker_errors: u64,
    pub(super) last_broker_error: Option<String>,
}

pub(super) struct TailContext {
    pub(super) topic: String,
    pub(super) shared: Arc<Mutex<Shared>>,
    pub(super) checkpoints: Checkpoints,
    /// Bumped by every assignment or revocation; the loop compares it after each poll.
    pub(super) generation: AtomicU64,
    /// Batches the writer has not committed yet.
    pub(super) in_flight: Arc<InFlight>,
}

impl ClientContext for TailContext {
    fn stats(&self, statistics: Statistics) {
        if let Ok(mut shared) = self.shared.lock() {
            for (topic, p, _, high) in fetched_watermarks(&statistics) {
                if topic == self.topic {
                    shared.high_watermarks.insert(p, high);
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
