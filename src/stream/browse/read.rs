//! The browse loop: reads one topic's partitions from their start offsets up to the end
//! offsets seen when it started (or on and on with `follow`), filters, and hands each
//! kept message to the caller. It reads without a group, so it never commits.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use serde::Serialize;

use super::error::{BrowseError, Result, kafka};
use super::filter::Filter;
use super::message::BrowsedMessage;
use super::seek::{StartAt, start_offsets};
use super::watermarks::{
    PartitionOffsets, fetched_offsets, partitions, reader_config, watermark_consumer,
};
use crate::jobs::CancelToken;

/// What `ecom kafka browse` reads.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowseOptions {
    pub brokers: String,
    /// librdkafka settings (key=value) over ecom's defaults.
    pub settings: Vec<(String, String)>,
    pub topic: String,
    /// Only this partition (every partition by default).
    pub partition: Option<i32>,
    pub start: StartAt,
    /// Wait for new messages instead of stopping at the end offsets seen at the start.
    pub follow: bool,
    pub filter: Option<Filter>,
    /// Stop after this many messages that pass the filter.
    pub limit: Option<u64>,
}

impl BrowseOptions {
    pub fn new(brokers: &str, topic: &str) -> Self {
        Self {
            brokers: brokers.to_string(),
            settings: Vec::new(),
            topic: topic.to_string(),
            partition: None,
            start: StartAt::Beginning,
            follow: false,
            filter: None,
            limit: None,
        }
    }
}

/// How much a browse read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BrowseSummary {
    /// Messages read from the broker.
    pub read: u64,
    /// Messages that passed the filter and went to the caller.
    pub matched: u64,
}

/// Reads the topic as `options` say, giving each kept message to `sink` until the end,
/// the limit, a `Break` from `sink`, or `cancel`.
pub fn browse(
    options: &BrowseOptions,
    cancel: &CancelToken,
    sink: impl FnMut(BrowsedMessage) -> ControlFlow<()>,
) -> Result<BrowseSummary> {
    Browser::open(options)?.run(cancel, sink)
}

/// A browse whose partitions are assigned at their start offsets: what it will read is
/// known (and can be shown) before the first message.
pub struct Browser {
    options: BrowseOptions,
    reader: BaseConsumer,
    ranges: BTreeMap<i32, PartitionOffsets>,
    starts: BTreeMap<i32, i64>,
}

impl Browser {
    /// Finds each partition's range and start, and assigns the partitions there.
    pub fn open(options: &BrowseOptions) -> Result<Self> {
        let ranges = partition_ranges(options)?;
        let starts = {
            let probe = watermark_consumer(&options.brokers, &options.settings)?;
            start_offsets(&probe, &options.topic, &ranges, options.start)?
        };
        let mut config = reader_config(&options.brokers, &options.settings);
        config.set("enable.partition.eof", "true");
        let reader: BaseConsumer = config.create().map_err(kafka(format!(
            "creating a Kafka consumer for {}",
            options.brokers
        )))?;
        let mut list = TopicPartitionList::new();
        for (p, start) in &starts {
            list.add_partition_offset(&options.topic, *p, Offset::Offset(*start))
                .map_err(kafka("listing the partitions to read"))?;
        }
        reader
            .assign(&list)
            .map_err(kafka("assigning the partitions"))?;
        Ok(Self {
            options: options.clone(),
            reader,
            ranges,
            starts,
        })
    }

    /// Each partition's start and end offsets when the browse opened.
    pub fn ranges(&self) -> &BTreeMap<i32, PartitionOffsets> {
        &self.ranges
    }

    /// The offset each partition is read from.
    pub fn starts(&self) -> &BTreeMap<i32, i64> {
        &self.starts
    }

    /// Reads until the end offsets (or, following, until `cancel`), the limit or a
    /// `Break` from `sink`.
    pub fn run(
        self,
        cancel: &CancelToken,
        mut sink: impl FnMut(BrowsedMessage) -> ControlFlow<()>,
    ) -> Result<BrowseSummary> {
        let options = &self.options;
        // Without `follow`, each partition is read up to its end at the start.
        let mut pending: BTreeSet<i32> = self
            .starts
            .iter()
            .filter(|(p, start)| options.follow || **start < self.ranges[*p].end)
            .map(|(p, _)| *p)
            .collect();
        let mut summary = BrowseSummary::default();
        while !cancel.is_cancelled() && (options.follow || !pending.is_empty()) {
            match self.reader.poll(Duration::from_millis(100)) {
                None => {}
                // Following, `pending` no longer decides when to stop.
                Some(Err(KafkaError::PartitionEOF(p))) => {
                    pending.remove(&p);
                }
                Some(Err(e)) => tracing::warn!(error = %e, topic = %options.topic, "browsing"),
                Some(Ok(m)) => {
                    let message = BrowsedMessage::from_kafka(&m);
                    if !options.follow {
                        let end = self.ranges[&message.partition].end;
                        if message.offset >= end {
                            continue;
                        }
                        if message.offset + 1 >= end {
                            pending.remove(&message.partition);
                        }
                    }
                    summary.read += 1;
                    if options
                        .filter
                        .as_ref()
                        .is_some_and(|f| !f.matches(&message))
                    {
                        continue;
                    }
                    summary.matched += 1;
                    let stop = sink(message).is_break();
                    if stop || options.limit.is_some_and(|l| summary.matched >= l) {
                        break;
                    }
                }
            }
        }
        Ok(summary)
    }
}

/// The start and end offsets of the partitions to read.
fn partition_ranges(options: &BrowseOptions) -> Result<BTreeMap<i32, PartitionOffsets>> {
    let consumer = watermark_consumer(&options.brokers, &options.settings)?;
    let all = partitions(&consumer, Some(&options.topic))?
        .remove(&options.topic)
        .ok_or_else(|| BrowseError::NoSuchTopic(options.topic.clone()))?;
    let chosen = match options.partition {
        Some(p) if !all.contains(&p) => {
            return Err(BrowseError::NoSuchPartition {
                topic: options.topic.clone(),
                partition: p,
                count: all.len(),
            });
        }
        Some(p) => vec![p],
        None => all,
    };
    let wanted: Vec<(String, i32)> = chosen.iter().map(|p| (options.topic.clone(), *p)).collect();
    Ok(fetched_offsets(&consumer, &wanted)?
        .into_values()
        .map(|o| (o.partition, o))
        .collect())
}
