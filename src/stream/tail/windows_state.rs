//! One partition's windows as the tail keeps them: rebuilt at its resume point (the
//! watermark restored, the ids the warehouse holds marked seen, the committed messages
//! replayed silently), fed live, and closed when the partition goes idle.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration as StdDuration, Instant};

use chrono::NaiveDateTime;
use duckdb::Connection;
use foldhash::HashSet;

use super::batch::Batch;
use super::options::TailOptions;
use super::resume::Resume;
use crate::stream::error::Result;
use crate::stream::event::Event;
use crate::stream::window::{PartitionWindows, Placement, WindowMetrics, WindowSpec};

/// One partition's live state.
pub(super) struct PartitionState {
    pub(super) windows: PartitionWindows,
    /// The ids of the events taken, as [`id_key`]s.
    seen: HashSet<u128>,
    /// Offsets below this are replays of committed work.
    pub(super) replay_until: i64,
    pub(super) next_offset: i64,
    /// (offset, last window end) of accepted events, in offset order: the front is the
    /// rebuild offset while its windows are open.
    needed: VecDeque<(i64, NaiveDateTime)>,
    /// When the partition last had a message (or was assigned).
    pub(super) last_active: Instant,
}

impl PartitionState {
    pub(super) fn resume(&self) -> Resume {
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

    /// A message replayed to rebuild the open windows (its offset was committed
    /// before): its event joins them once, and nothing closes or is written.
    pub(super) fn replay(&mut self, offset: i64, event: Option<&Event>, specs: &[WindowSpec]) {
        if let Some(event) = event {
            let _ = self.take(offset, event, specs);
        }
        self.windows.close();
        self.next_offset = self.next_offset.max(offset + 1);
        self.prune();
    }

    /// A live event at `offset`: `None` when its id was seen before (a duplicate),
    /// else where it went and the watermark before it.
    pub(super) fn take(
        &mut self,
        offset: i64,
        event: &Event,
        specs: &[WindowSpec],
    ) -> Option<(Placement, Option<NaiveDateTime>)> {
        if !self.seen.insert(id_key(&event.event_id)) {
            return None;
        }
        let watermark = self.windows.watermark();
        let placement = self.windows.add(event);
        self.needed
            .push_back((offset, last_window_end(specs, event.event_time)));
        Some((placement, watermark))
    }

    /// After a live message at `offset`: the windows its watermark closed.
    pub(super) fn advance(&mut self, offset: i64) -> Vec<WindowMetrics> {
        let closed = self.windows.close();
        self.prune();
        self.next_offset = offset + 1;
        closed
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

/// Idleness per partition, as Flink's `withIdleness`: a partition without messages for
/// `idle` stops holding its windows open. While others still receive events, it takes
/// the largest of their watermarks, so a window that spans partitions closes in all of
/// them; once every partition is quiet, processing time has moved on and their open
/// windows close. The windows go into `batch` with the partition's new resume point,
/// so a restart neither reopens nor repeats them; an event for them that comes later
/// is late.
pub(super) fn close_idle(
    states: &mut BTreeMap<i32, PartitionState>,
    batch: &mut Batch,
    now: Instant,
    idle: StdDuration,
) {
    let is_idle = |state: &PartitionState| now.duration_since(state.last_active) >= idle;
    let all_idle = states.values().all(is_idle);
    let lead = states
        .values()
        .filter(|state| !is_idle(state))
        .filter_map(|state| state.windows.watermark())
        .max();
    for (&partition, state) in states.iter_mut() {
        if !is_idle(state) || state.windows.open_windows() == 0 {
            continue;
        }
        let closed = match (all_idle, lead) {
            (true, _) => state.windows.flush(),
            (false, Some(lead)) => {
                state.windows.advance_watermark(lead);
                state.windows.close()
            }
            (false, None) => continue,
        };
        if closed.is_empty() {
            continue;
        }
        tracing::info!(
            partition,
            windows = closed.len(),
            "closing the windows of an idle partition"
        );
        batch.touched.insert(partition);
        batch
            .windows
            .extend(closed.into_iter().map(|w| (partition, w)));
        state.prune();
    }
}

/// An event id as the deduplication set keeps it: its 128-bit XXH3 hash, so taking an
/// event allocates nothing and a year of ids fits in a few megabytes. Two ids of a
/// billion share a key with a probability of about 10^-21.
fn id_key(event_id: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(event_id.as_bytes())
}

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
pub(super) fn new_state(
    conn: &Connection,
    options: &TailOptions,
    partition: i32,
    resume: &Resume,
) -> Result<PartitionState> {
    let windows = PartitionWindows::new(options.windows.clone(), options.allowed_lateness)
        .with_max_event_time(resume.max_event_time);
    Ok(PartitionState {
        windows,
        // The replay range's events are marked seen again as they replay.
        seen: seen_before(conn, options, partition, resume.rebuild_offset)?,
        replay_until: resume.next_offset,
        next_offset: resume.rebuild_offset,
        needed: VecDeque::new(),
        last_active: Instant::now(),
    })
}

/// Event ids this warehouse holds for `partition` below `offset`.
fn seen_before(
    conn: &Connection,
    options: &TailOptions,
    partition: i32,
    offset: i64,
) -> Result<HashSet<u128>> {
    let mut stmt = conn.prepare(
        "SELECT event_id FROM stream.events WHERE topic = ? AND \"partition\" = ? AND \"offset\" < ?",
    )?;
    let ids = stmt
        .query_map(duckdb::params![options.topic, partition, offset], |r| {
            Ok(id_key(&r.get::<_, String>(0)?))
        })?
        .collect::<Result<HashSet<_>, _>>()?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    mod properties {
        use super::*;
        use crate::stream::event::EventType;
        use proptest::prelude::*;

        fn specs() -> Vec<WindowSpec> {
            vec![
                WindowSpec::tumbling(Duration::minutes(10)),
                WindowSpec::tumbling(Duration::hours(1)),
            ]
        }

        fn event(id: usize, seconds: i64, country: u8, quantity: i64) -> Event {
            let quantity = if quantity == 0 { 1 } else { quantity };
            Event {
                schema_version: 1,
                event_id: format!("e{id}"),
                event_type: if quantity < 0 {
                    EventType::Cancellation
                } else {
                    EventType::Purchase
                },
                event_time: NaiveDateTime::parse_from_str(
                    "2011-01-10 09:00:00",
                    "%Y-%m-%d %H:%M:%S",
                )
                .unwrap()
                    + Duration::seconds(seconds),
                invoice_no: Some(if quantity < 0 {
                    format!("C{id}")
                } else {
                    format!("{}", 500_000 + id)
                }),
                stock_code: "85123A".into(),
                description: None,
                quantity,
                unit_price: 1_250,
                customer_id: Some(17_850 + id as i64 % 5),
                country: Some(["UK", "France", "EIRE"][country as usize].into()),
            }
        }

        fn state_at(resume: &Resume, seen: HashSet<u128>) -> PartitionState {
            PartitionState {
                windows: PartitionWindows::new(specs(), Duration::minutes(5))
                    .with_max_event_time(resume.max_event_time),
                seen,
                replay_until: resume.next_offset,
                next_offset: resume.rebuild_offset,
                needed: VecDeque::new(),
                last_active: Instant::now(),
            }
        }

        /// What the warehouse holds at a commit: closed windows, the events written
        /// (offset, id) and the partition's resume point.
        #[derive(Clone)]
        struct Committed {
            windows: Vec<WindowMetrics>,
            events: Vec<(i64, String)>,
            resume: Resume,
        }

        /// Consumes `log` as the tail does, committing after the offsets in `commits`
        /// and crashing after those in `crashes` (each once): a crash loses what was not
        /// committed, and the restart resumes from the last commit's point, replaying
        /// up to it with the warehouse's events marked seen.
        fn consume(log: &[Event], commits: &[bool], crashes: &[bool]) -> Vec<WindowMetrics> {
            let start = Resume {
                rebuild_offset: 0,
                next_offset: 0,
                max_event_time: None,
            };
            let mut last = Committed {
                windows: Vec::new(),
                events: Vec::new(),
                resume: start,
            };
            let mut now = last.clone();
            let mut state = state_at(&start, HashSet::default());
            let mut crashed = vec![false; log.len()];
            let mut offset = 0i64;
            while let Some(event) = log.get(offset as usize) {
                let i = offset as usize;
                if offset < state.replay_until {
                    state.replay(offset, Some(event), &specs());
                } else {
                    if state.take(offset, event, &specs()).is_some() {
                        now.events.push((offset, event.event_id.clone()));
                    }
                    now.windows.extend(state.advance(offset));
                    if commits[i % commits.len()] {
                        now.resume = state.resume();
                        last = now.clone();
                    }
                }
                offset += 1;
                if crashes[i % crashes.len()] && !crashed[i] {
                    crashed[i] = true;
                    now = last.clone();
                    let seen = now
                        .events
                        .iter()
                        .filter(|(o, _)| *o < now.resume.rebuild_offset)
                        .map(|(_, id)| id_key(id))
                        .collect();
                    state = state_at(&now.resume, seen);
                    offset = now.resume.rebuild_offset;
                }
            }
            let mut windows = now.windows;
            windows.extend(state.windows.flush());
            windows.sort_by(|a, b| {
                (a.window_end, a.window_start, &a.country).cmp(&(
                    b.window_end,
                    b.window_start,
                    &b.country,
                ))
            });
            windows
        }

        proptest! {
            /// However the stream is cut into commits, however often the consumer
            /// crashes and restarts from its last commit, and however often an event is
            /// delivered again, the windows are those of one calm pass over the events
            /// counted once each.
            #[test]
            fn windows_survive_commits_crashes_and_redelivery(
                raw in proptest::collection::vec((0i64..10_800, 0u8..3, -20i64..20), 1..80),
                resend in proptest::collection::vec(proptest::option::of(0usize..80), 1..80),
                commits in proptest::collection::vec(any::<bool>(), 1..40),
                crashes in proptest::collection::vec(proptest::bool::weighted(0.1), 1..40),
            ) {
                let events: Vec<Event> = raw
                    .iter()
                    .enumerate()
                    .map(|(i, &(s, c, q))| event(i, s, c, q))
                    .collect();
                // The log: each event, now and then followed by a copy of an earlier one.
                let mut log = Vec::new();
                for (i, e) in events.iter().enumerate() {
                    log.push(e.clone());
                    if let Some(Some(j)) = resend.get(i) && *j <= i {
                        log.push(events[*j].clone());
                    }
                }
                let calm = consume(&events, &[false], &[false]);
                prop_assert_eq!(&calm, &consume(&log, &[false], &[false]));
                prop_assert_eq!(&calm, &consume(&log, &commits, &crashes));
            }
        }
    }
}
