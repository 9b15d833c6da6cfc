//! Counting the batches handed to the writer and not yet committed, so a rebalance
//! can wait for them before it reads the resume points.

use std::sync::{Arc, Condvar, Mutex};

/// Batches handed over and not yet committed. The rebalance callback waits for none to
/// be left before it reads the resume points, so a partition never resumes from a
/// point older than what the warehouse holds.
#[derive(Default)]
pub(super) struct InFlight {
    count: Mutex<usize>,
    idle: Condvar,
}

impl InFlight {
    fn end(&self) {
        let mut count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        *count = count.saturating_sub(1);
        self.idle.notify_all();
    }

    pub(super) fn wait_idle(&self) {
        let count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        let _idle = self
            .idle
            .wait_while(count, |c| *c > 0)
            .unwrap_or_else(|e| e.into_inner());
    }
}

/// One batch in flight: counted from its seal until it is dropped, whether committed,
/// left in the queue of a writer that stopped, or refused by it.
pub(super) struct Ticket(Arc<InFlight>);

impl Ticket {
    pub(super) fn new(in_flight: &Arc<InFlight>) -> Self {
        *in_flight.count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        Self(Arc::clone(in_flight))
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.end();
    }
}
