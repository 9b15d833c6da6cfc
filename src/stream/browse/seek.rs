//! Where browsing starts in each partition: its beginning, an offset, a time, or its
//! end.
//!
//! A time is found by a binary search over the partition's offsets that reads the
//! timestamp of one message per step (about 20 reads for a million messages), not by
//! OffsetsForTimes, which Tansu answers with offset 0 whatever the time. The search
//! assumes timestamps do not go back within a partition, which holds for LogAppendTime
//! and for producers that stamp in order; where they do go back it lands on one of the
//! places where the time passes the one asked for.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::error::{BrowseError, Result, kafka};
use super::watermarks::PartitionOffsets;

/// How long one message read of the search may take.
const READ_WAIT: Duration = Duration::from_secs(15);

/// `--from-offset`, `--from-time`, `--from-end`, or the beginning without them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    Beginning,
    /// This offset in every partition (the partition's start or end when outside it).
    Offset(i64),
    /// The first message stamped at or after this time.
    Time(DateTime<Utc>),
    End,
    /// The last this many messages of each partition (all of a shorter one): the
    /// newest page the workbench's browser opens a topic on.
    Last(u64),
}

/// The first offset to read in each partition of `ranges`.
pub fn start_offsets<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topic: &str,
    ranges: &BTreeMap<i32, PartitionOffsets>,
    start: StartAt,
) -> Result<BTreeMap<i32, i64>> {
    ranges
        .iter()
        .map(|(p, range)| {
            let offset = match start {
                StartAt::Beginning => range.start,
                StartAt::Offset(o) => o.clamp(range.start, range.end),
                StartAt::End => range.end,
                StartAt::Last(n) => range
                    .end
                    .saturating_sub(i64::try_from(n).unwrap_or(i64::MAX))
                    .max(range.start),
                StartAt::Time(t) => {
                    first_at_or_after(consumer, topic, range, t.timestamp_millis())?
                }
            };
            Ok((*p, offset))
        })
        .collect()
}

/// The first offset of `range` whose message is stamped at or after `millis`
/// (`range.end` when none is).
fn first_at_or_after<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topic: &str,
    range: &PartitionOffsets,
    millis: i64,
) -> Result<i64> {
    let (mut lo, mut hi) = (range.start, range.end);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match stamp_at(consumer, topic, range.partition, mid, range.end)? {
            // Seeking to `mid` reaches `found` first: nothing lies between them.
            Some((_, stamp)) if stamp >= millis => hi = mid,
            Some((found, _)) => lo = found + 1,
            None => hi = mid,
        }
    }
    Ok(lo)
}

/// The offset and timestamp of the first message at or after `offset` (`None` when
/// there is none before `end`). A message without a timestamp counts as the earliest.
fn stamp_at<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topic: &str,
    partition: i32,
    offset: i64,
    end: i64,
) -> Result<Option<(i64, i64)>> {
    let mut list = TopicPartitionList::new();
    list.add_partition_offset(topic, partition, Offset::Offset(offset))
        .map_err(kafka("listing the partition to search"))?;
    consumer
        .assign(&list)
        .map_err(kafka("assigning the partition to search"))?;
    let deadline = Instant::now() + READ_WAIT;
    while Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) if m.partition() == partition && m.offset() >= offset => {
                if m.offset() >= end {
                    return Ok(None);
                }
                return Ok(Some((
                    m.offset(),
                    m.timestamp().to_millis().unwrap_or(i64::MIN),
                )));
            }
            Some(Err(e)) => tracing::warn!(error = %e, topic, partition, "searching by time"),
            _ => {}
        }
    }
    Err(BrowseError::Timeout {
        doing: format!("reading offset {offset} of {topic}/{partition} to find a time"),
        seconds: READ_WAIT.as_secs(),
    })
}
