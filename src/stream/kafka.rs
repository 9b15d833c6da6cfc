//! Kafka client set-up shared by the simulator and the tail: configuration with the
//! user's overrides, topic creation, and an idempotent producer that keeps every
//! message until the broker acknowledges it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::stream::error::{Result, StreamError};
use rdkafka::ClientContext;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::statistics::Statistics;

/// A client configuration: `bootstrap.servers`, then ecom's defaults, then the user's
/// `key=value` settings (which win).
pub fn client_config(
    brokers: &str,
    defaults: &[(&str, &str)],
    overrides: &[(String, String)],
) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", brokers);
    for (k, v) in defaults {
        config.set(*k, *v);
    }
    for (k, v) in overrides {
        config.set(k, v);
    }
    config
}

/// A consumer setting for reading a topic as fast as it can be processed: once
/// librdkafka's prefetch queue for a partition is full (`queued.min.messages`), it waits
/// `fetch.queue.backoff.ms` (1 s by default) before fetching that partition again. A
/// consumer slower than the broker then drains the queue and sits idle for the rest of
/// the second: on the full data the tail spent 2.1 of its 3.6 s waiting so, three times.
/// 10 ms refills the queue as it drains.
pub const FETCH_QUEUE_BACKOFF: (&str, &str) = ("fetch.queue.backoff.ms", "10");

/// The watermarks of every partition a consumer fetched, from its statistics:
/// `(topic, partition, low, high)`. They come from the fetch responses, which Tansu gets
/// right (its ListOffsets answers are wrong), so the tail's lag and the topic browser's
/// end offsets are read here.
pub fn fetched_watermarks(statistics: &Statistics) -> impl Iterator<Item = (&str, i32, i64, i64)> {
    statistics.topics.iter().flat_map(|(name, topic)| {
        topic
            .partitions
            .iter()
            .filter(|(p, partition)| **p >= 0 && partition.hi_offset >= 0)
            .map(move |(p, partition)| {
                (
                    name.as_str(),
                    *p,
                    partition.lo_offset.max(0),
                    partition.hi_offset,
                )
            })
    })
}

/// Parses `key=value` client settings (`--producer-config`, `--consumer-config`).
pub fn parse_settings(items: &[String]) -> Result<Vec<(String, String)>> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| StreamError::Setting(item.to_string()))
        })
        .collect()
}

/// Creates `topic` with `partitions` partitions unless it exists.
pub fn ensure_topic(config: &ClientConfig, topic: &str, partitions: i32) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> =
        config.create().map_err(|source| StreamError::Kafka {
            doing: "creating the Kafka admin client".into(),
            source,
        })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = runtime
        .block_on(admin.create_topics([&new], &options))
        .map_err(|source| StreamError::Kafka {
            doing: format!("creating topic {topic}"),
            source,
        })?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => return Err(StreamError::CreateTopic { name, code }),
        }
    }
    Ok(())
}

/// A message the producer still owes the broker.
#[derive(Debug, Clone)]
pub struct Pending {
    pub topic: String,
    pub key: String,
    pub payload: String,
    /// The record's own timestamp (CreateTime), when the sender set one.
    pub timestamp: Option<i64>,
}

/// Counts deliveries and keeps the messages whose delivery failed for a resend.
#[derive(Default)]
pub struct DeliveryLedger {
    pub delivered: AtomicU64,
    pub failed: AtomicU64,
    retry: Mutex<VecDeque<Pending>>,
    last_error: Mutex<Option<String>>,
}

impl ClientContext for DeliveryLedger {}

impl ProducerContext for DeliveryLedger {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err((error, message)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let text =
                    |b: Option<&[u8]>| String::from_utf8_lossy(b.unwrap_or_default()).to_string();
                if let Ok(mut queue) = self.retry.lock() {
                    queue.push_back(Pending {
                        topic: message.topic().to_string(),
                        key: text(message.key()),
                        payload: text(message.payload()),
                        timestamp: message.timestamp().to_millis(),
                    });
                }
                if let Ok(mut last) = self.last_error.lock() {
                    *last = Some(error.to_string());
                }
            }
        }
    }
}

/// An idempotent producer that never drops a message silently: failed deliveries come
/// back through [`ReliableProducer::take_failed`] to be sent again and counted.
pub struct ReliableProducer {
    producer: ThreadedProducer<DeliveryLedger>,
}

impl ReliableProducer {
    pub fn new(brokers: &str, overrides: &[(String, String)]) -> Result<Self> {
        let config = client_config(
            brokers,
            &[
                ("enable.idempotence", "true"),
                ("acks", "all"),
                ("linger.ms", "5"),
                ("compression.type", "none"),
                ("message.timeout.ms", "60000"),
            ],
            overrides,
        );
        let producer = config
            .create_with_context(DeliveryLedger::default())
            .map_err(|source| StreamError::Kafka {
                doing: format!("creating a Kafka producer for {brokers}"),
                source,
            })?;
        Ok(Self { producer })
    }

    /// Queues one message, waiting while librdkafka's queue is full.
    pub fn send(&self, topic: &str, key: &str, payload: &str) -> Result<()> {
        self.send_at(topic, key, payload, None)
    }

    /// [`Self::send`] with the record's CreateTime (milliseconds since the epoch), as a
    /// replaying producer sets it to each event's time.
    pub fn send_at(
        &self,
        topic: &str,
        key: &str,
        payload: &str,
        timestamp: Option<i64>,
    ) -> Result<()> {
        self.send_record(topic, Some(key), payload, timestamp)
    }

    /// [`Self::send_at`] for a message that may have no key (`ecom kafka produce`).
    pub fn send_record(
        &self,
        topic: &str,
        key: Option<&str>,
        payload: &str,
        timestamp: Option<i64>,
    ) -> Result<()> {
        let mut record = BaseRecord::<str, str>::to(topic).payload(payload);
        if let Some(key) = key {
            record = record.key(key);
        }
        if let Some(millis) = timestamp {
            record = record.timestamp(millis);
        }
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((
                    rdkafka::error::KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull),
                    back,
                )) => {
                    record = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((error, _)) => {
                    return Err(StreamError::Produce {
                        topic: topic.to_string(),
                        error,
                    });
                }
            }
        }
    }

    /// Messages whose delivery failed since the last call.
    pub fn take_failed(&self) -> Vec<Pending> {
        let ledger = self.producer.context();
        ledger
            .retry
            .lock()
            .map(|mut q| q.drain(..).collect())
            .unwrap_or_default()
    }

    pub fn delivered(&self) -> u64 {
        self.producer.context().delivered.load(Ordering::Relaxed)
    }

    pub fn failed(&self) -> u64 {
        self.producer.context().failed.load(Ordering::Relaxed)
    }

    pub fn last_error(&self) -> Option<String> {
        self.producer
            .context()
            .last_error
            .lock()
            .ok()
            .and_then(|e| e.clone())
    }

    pub fn in_flight(&self) -> i32 {
        self.producer.in_flight_count()
    }

    /// Waits until every queued message is acknowledged or failed (up to `timeout`).
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.producer
            .flush(timeout)
            .map_err(|source| StreamError::Kafka {
                doing: "flushing the producer".into(),
                source,
            })
    }
}
