//! The rows one batch of messages produced (accepted events, late events, dead
//! letters, closed windows), written to the warehouse in one transaction.

use std::collections::HashSet;

use chrono::NaiveDateTime;

use crate::stream::event::Event;
use crate::stream::window::WindowMetrics;

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
