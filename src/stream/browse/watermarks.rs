//! Where each partition starts and ends, from the high watermarks the broker's fetch
//! responses carry (librdkafka's statistics report them per partition; read by
//! [`fetched_watermarks`], as the tail reads its lag). Not from ListOffsets: Tansu answers those wrongly (a partition of ten
//! messages produced in one batch "ends" at 1), and so does its OffsetsForTimes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use serde::Serialize;

use super::error::{BrowseError, Result, kafka};
use crate::stream::kafka::{client_config, fetched_watermarks};

/// How long the broker gets to answer a fetch of every partition asked for.
const FETCH_WAIT: Duration = Duration::from_secs(30);

/// A partition's first and next offsets (`end` is the high watermark: the offset the
/// next message will get).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PartitionOffsets {
    pub partition: i32,
    pub start: i64,
    pub end: i64,
}

impl PartitionOffsets {
    pub fn messages(&self) -> i64 {
        (self.end - self.start).max(0)
    }
}

/// A topic's partitions, as a list of `(topic, partition)`.
pub type Partitions = Vec<(String, i32)>;

/// The configuration of a consumer that reads by assignment: it never joins its group
/// (librdkafka wants a `group.id` even so) and never commits, so browsing leaves every
/// group's offsets as they were.
pub fn reader_config(brokers: &str, settings: &[(String, String)]) -> ClientConfig {
    client_config(
        brokers,
        &[
            ("group.id", "ecom-kafka-browser"),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("enable.partition.eof", "false"),
            crate::stream::kafka::FETCH_QUEUE_BACKOFF,
        ],
        settings,
    )
}

/// Keeps the latest fetched watermarks of every partition the consumer reads.
#[derive(Default)]
pub struct WatermarkContext {
    seen: Mutex<HashMap<(String, i32), (i64, i64)>>,
}

impl ClientContext for WatermarkContext {
    fn stats(&self, statistics: Statistics) {
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        for (topic, p, low, high) in fetched_watermarks(&statistics) {
            seen.insert((topic.to_string(), p), (low, high));
        }
    }
}

impl ConsumerContext for WatermarkContext {}

impl WatermarkContext {
    fn get(&self, topic: &str, partition: i32) -> Option<PartitionOffsets> {
        let seen = self.seen.lock().ok()?;
        let (start, end) = *seen.get(&(topic.to_string(), partition))?;
        Some(PartitionOffsets {
            partition,
            start,
            end,
        })
    }
}

/// A consumer whose context records fetched watermarks.
pub type WatermarkConsumer = BaseConsumer<WatermarkContext>;

pub fn watermark_consumer(
    brokers: &str,
    settings: &[(String, String)],
) -> Result<WatermarkConsumer> {
    let mut config = reader_config(brokers, settings);
    config.set("statistics.interval.ms", "100");
    // One small fetch per partition is all it takes to learn its watermarks.
    config.set("queued.min.messages", "1");
    config.set("max.partition.fetch.bytes", "1024");
    config
        .create_with_context(WatermarkContext::default())
        .map_err(kafka(format!("creating a Kafka consumer for {brokers}")))
}

/// The partitions of `topic` (every topic's with `None`), in order; a missing topic
/// is [`BrowseError::NoSuchTopic`].
pub fn partitions<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topic: Option<&str>,
) -> Result<BTreeMap<String, Vec<i32>>> {
    let metadata = consumer
        .fetch_metadata(topic, Duration::from_secs(15))
        .map_err(kafka("reading the topics' metadata"))?;
    let mut out = BTreeMap::new();
    for t in metadata.topics() {
        if t.error().is_some() || t.partitions().is_empty() {
            if let Some(wanted) = topic {
                return Err(BrowseError::NoSuchTopic(wanted.to_string()));
            }
            continue;
        }
        let mut ids: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
        ids.sort_unstable();
        out.insert(t.name().to_string(), ids);
    }
    Ok(out)
}

/// Fetches from the start of every partition in `wanted` until the broker has
/// reported each one's watermarks.
pub fn fetched_offsets(
    consumer: &WatermarkConsumer,
    wanted: &[(String, i32)],
) -> Result<BTreeMap<(String, i32), PartitionOffsets>> {
    let mut list = TopicPartitionList::new();
    for (topic, partition) in wanted {
        list.add_partition_offset(topic, *partition, Offset::Beginning)
            .map_err(kafka("listing the partitions to read"))?;
    }
    consumer
        .assign(&list)
        .map_err(kafka("assigning the partitions"))?;
    let deadline = Instant::now() + FETCH_WAIT;
    let found = loop {
        let found: BTreeMap<_, _> = wanted
            .iter()
            .filter_map(|(t, p)| Some(((t.clone(), *p), consumer.context().get(t, *p)?)))
            .collect();
        if found.len() == wanted.len() {
            break found;
        }
        if Instant::now() > deadline {
            return Err(BrowseError::Timeout {
                doing: "reading the partitions' end offsets".into(),
                seconds: FETCH_WAIT.as_secs(),
            });
        }
        // The messages are not needed, only the fetches that bring them.
        let _ = consumer.poll(Duration::from_millis(50));
    };
    consumer
        .unassign()
        .map_err(kafka("releasing the partitions"))?;
    Ok(found)
}
