//! `ecom kafka topics`: every topic with its partitions' offsets, and every consumer
//! group's committed offsets and lag on it, as kcat -L and kafka-consumer-groups show.
//!
//! A group's lag on a partition is the partition's end (the fetched high watermark, see
//! [`super::watermarks`]) minus the group's committed offset; a partition the group has
//! not committed counts whole, as a consumer starting from the earliest would read it.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use serde::Serialize;

use super::error::{Result, kafka};
use super::watermarks::{
    PartitionOffsets, fetched_offsets, partitions, reader_config, watermark_consumer,
};

/// One topic: its partitions and the groups that committed offsets on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicSummary {
    pub topic: String,
    pub partitions: Vec<PartitionOffsets>,
    /// Messages held: the sum over partitions of end − start.
    pub messages: i64,
    pub groups: Vec<GroupLag>,
}

/// A consumer group's position on one topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupLag {
    pub group: String,
    /// The group's state as the broker reports it (`Stable`, `Empty`, …).
    pub state: String,
    pub partitions: Vec<GroupPartition>,
    /// The sum of the partitions' lag.
    pub lag: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupPartition {
    pub partition: i32,
    /// The group's committed offset (`null` when it committed none here).
    pub committed: Option<i64>,
    pub end: i64,
    pub lag: i64,
}

/// Every topic (or only `only`), with its groups' lag.
pub fn list_topics(
    brokers: &str,
    settings: &[(String, String)],
    only: Option<&str>,
) -> Result<Vec<TopicSummary>> {
    let consumer = watermark_consumer(brokers, settings)?;
    let topics = partitions(&consumer, only)?;
    let wanted: Vec<(String, i32)> = topics
        .iter()
        .flat_map(|(t, ps)| ps.iter().map(move |p| (t.clone(), *p)))
        .collect();
    let offsets = fetched_offsets(&consumer, &wanted)?;
    let groups = consumer
        .fetch_group_list(None, Duration::from_secs(15))
        .map_err(kafka("listing the consumer groups"))?;
    let names: Vec<(&str, &str)> = groups
        .groups()
        .iter()
        .map(|g| (g.name(), g.state()))
        .collect();
    let chunk = names.len().div_ceil(GROUP_READERS).max(1);
    let (wanted, offsets) = (&wanted, &offsets);
    let read: Vec<Result<Vec<(String, GroupLag)>>> = std::thread::scope(|scope| {
        let readers: Vec<_> = names
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut lags = Vec::new();
                    for (name, state) in part {
                        lags.extend(group_lag(brokers, settings, name, state, wanted, offsets)?);
                    }
                    Ok(lags)
                })
            })
            .collect();
        readers
            .into_iter()
            .map(|r| r.join().expect("a group reader panicked"))
            .collect()
    });
    // In the broker's order of the groups, as one reader would have read them.
    let mut committed: BTreeMap<String, Vec<GroupLag>> = BTreeMap::new();
    for lags in read {
        for (topic, lag) in lags? {
            committed.entry(topic).or_default().push(lag);
        }
    }
    Ok(topics
        .into_iter()
        .map(|(topic, ids)| {
            let partitions: Vec<PartitionOffsets> = ids
                .iter()
                .filter_map(|p| offsets.get(&(topic.clone(), *p)).copied())
                .collect();
            TopicSummary {
                messages: partitions.iter().map(PartitionOffsets::messages).sum(),
                groups: committed.remove(&topic).unwrap_or_default(),
                topic,
                partitions,
            }
        })
        .collect())
}

/// Groups whose committed offsets are read at once. Each read is a client of its own
/// (librdkafka reads a group's offsets as a member of it) that mostly waits for the
/// broker: one after another, 103 groups took 14 s on Tansu.
const GROUP_READERS: usize = 8;

/// One group's lag on every topic where it committed at least one offset.
fn group_lag(
    brokers: &str,
    settings: &[(String, String)],
    group: &str,
    state: &str,
    wanted: &[(String, i32)],
    offsets: &BTreeMap<(String, i32), PartitionOffsets>,
) -> Result<Vec<(String, GroupLag)>> {
    let mut config = reader_config(brokers, settings);
    config.set("group.id", group);
    let consumer: BaseConsumer = config
        .create()
        .map_err(kafka(format!("creating a reader of group {group}")))?;
    let mut list = TopicPartitionList::new();
    for (topic, partition) in wanted {
        list.add_partition(topic, *partition);
    }
    let list = consumer
        .committed_offsets(list, Duration::from_secs(15))
        .map_err(kafka(format!(
            "reading the committed offsets of group {group}"
        )))?;
    let mut by_topic: BTreeMap<String, Vec<(i32, Option<i64>)>> = BTreeMap::new();
    for element in list.elements() {
        let committed = match element.offset() {
            Offset::Offset(o) => Some(o),
            _ => None,
        };
        by_topic
            .entry(element.topic().to_string())
            .or_default()
            .push((element.partition(), committed));
    }
    Ok(by_topic
        .into_iter()
        .filter(|(_, ps)| ps.iter().any(|(_, c)| c.is_some()))
        .map(|(topic, ps)| {
            let partitions: Vec<GroupPartition> = ps
                .into_iter()
                .filter_map(|(partition, committed)| {
                    let o = offsets.get(&(topic.clone(), partition))?;
                    let lag = (o.end - committed.unwrap_or(o.start)).max(0);
                    Some(GroupPartition {
                        partition,
                        committed,
                        end: o.end,
                        lag,
                    })
                })
                .collect();
            let lag = GroupLag {
                group: group.to_string(),
                state: state.to_string(),
                lag: partitions.iter().map(|p| p.lag).sum(),
                partitions,
            };
            (topic, lag)
        })
        .collect())
}
