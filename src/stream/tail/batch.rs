//! The rows one batch of messages produced (accepted events, late events, dead
//! letters, closed windows), written to the warehouse in one transaction.

use std::collections::HashSet;

use chrono::NaiveDateTime;

use super::event_rows::EventRows;
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

/// Rows of one batch, written in one transaction.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) events: EventRows,
    pub(super) late: Vec<LateEvent>,
    pub(super) dead: Vec<DeadLetter>,
    pub(super) windows: Vec<(i32, WindowMetrics)>,
    pub(super) touched: HashSet<i32>,
}

impl Batch {
    /// Messages in the batch (`--batch-messages` counts these).
    pub(super) fn len(&self) -> usize {
        self.events.len() + self.dead.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.touched.is_empty()
    }
}
