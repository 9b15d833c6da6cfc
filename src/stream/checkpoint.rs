//! Partition resume points on a side topic, `<topic>.ecom-checkpoints`.
//!
//! A member that takes a partition over needs the previous owner's resume point: the
//! rebuild offset, the next offset and the largest event time. Kafka can carry it in the
//! offset commit's metadata, but not every broker keeps that metadata (Tansu 0.6 drops
//! it), so each member also writes it here, keyed `group/topic/partition`, acknowledged
//! before the group's offset commit; a new owner reads the topic to its end and keeps
//! the last point of each of its partitions.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::kafka::{ReliableProducer, client_config, ensure_topic};
use crate::stream::error::{Result, StreamError};

pub struct Checkpoints {
    brokers: String,
    settings: Vec<(String, String)>,
    /// The side topic.
    topic: String,
    /// `group/topic/`: the prefix of this group's keys.
    prefix: String,
}

impl Checkpoints {
    pub fn new(
        brokers: &str,
        settings: &[(String, String)],
        source_topic: &str,
        group: &str,
    ) -> Self {
        Self {
            brokers: brokers.to_string(),
            settings: settings.to_vec(),
            topic: format!("{source_topic}.ecom-checkpoints"),
            prefix: format!("{group}/{source_topic}/"),
        }
    }

    /// Creates the side topic (one partition, so the points stay in order).
    pub fn ensure(&self) -> Result<()> {
        ensure_topic(
            &client_config(&self.brokers, &[], &self.settings),
            &self.topic,
            1,
        )
    }

    /// Queues one partition's point; the caller flushes before committing the group.
    pub fn send(&self, producer: &ReliableProducer, partition: i32, point: &str) -> Result<()> {
        producer.send(&self.topic, &format!("{}{partition}", self.prefix), point)
    }

    /// The last point of every partition of this group, read to the end of the topic.
    pub fn read(&self) -> Result<HashMap<i32, String>> {
        let config = client_config(
            &self.brokers,
            &[
                ("group.id", "ecom-checkpoint-reader"),
                ("enable.auto.commit", "false"),
                ("enable.partition.eof", "true"),
            ],
            &self.settings,
        );
        let consumer: BaseConsumer = config.create().map_err(|source| StreamError::Kafka {
            doing: "creating the checkpoint reader".into(),
            source,
        })?;
        let mut assignment = TopicPartitionList::new();
        assignment.add_partition_offset(&self.topic, 0, Offset::Beginning)?;
        consumer.assign(&assignment)?;
        let mut points = HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match consumer.poll(Duration::from_millis(200)) {
                None => {}
                Some(Err(KafkaError::PartitionEOF(_))) => return Ok(points),
                Some(Err(e)) => {
                    tracing::warn!(error = %e, topic = %self.topic, "reading checkpoints")
                }
                Some(Ok(message)) => {
                    let key = message
                        .key()
                        .map(String::from_utf8_lossy)
                        .unwrap_or_default();
                    let Some(partition) =
                        key.strip_prefix(&self.prefix).and_then(|p| p.parse().ok())
                    else {
                        continue;
                    };
                    let point =
                        String::from_utf8_lossy(message.payload().unwrap_or_default()).to_string();
                    points.insert(partition, point);
                }
            }
        }
        Err(StreamError::CheckpointsUnread(self.topic.clone()))
    }
}
