//! Cancelling a request in flight from another thread: the workbench's Esc reaches a
//! worker blocked on the network. Dropping the request closes its connection, which is
//! what tells the server to interrupt the query.

use tokio::sync::watch;

/// The cancelling side, kept by whoever may cancel (the workbench's worker handle).
#[derive(Debug, Clone)]
pub struct Canceller(watch::Sender<u64>);

/// The cancelled side, taken by one request when it starts: only cancels made after
/// that count, so a cancel meant for an earlier request never stops a later one.
#[derive(Debug)]
pub struct Cancel {
    epoch: watch::Receiver<u64>,
    at: u64,
}

impl Default for Canceller {
    fn default() -> Self {
        Self(watch::channel(0).0)
    }
}

impl Canceller {
    /// Cancels the requests that hold a [`Cancel`] taken before now.
    pub fn cancel(&self) {
        self.0.send_modify(|epoch| *epoch += 1);
    }

    /// A token for a request starting now.
    pub fn token(&self) -> Cancel {
        let epoch = self.0.subscribe();
        let at = *epoch.borrow();
        Cancel { epoch, at }
    }
}

impl Cancel {
    /// A token nobody cancels (the CLI's requests stop with the process).
    pub fn never() -> Self {
        Canceller::default().token()
    }

    /// Resolves once the request is cancelled (never, if the canceller is gone).
    pub async fn cancelled(&mut self) {
        loop {
            if *self.epoch.borrow_and_update() != self.at {
                return;
            }
            if self.epoch.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Runs `work` unless the request is cancelled first (then `work` is dropped).
    pub async fn run<T, E: From<super::RemoteError>>(
        &mut self,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        tokio::select! {
            done = work => done,
            () = self.cancelled() => Err(super::RemoteError::Cancelled.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cancel_counts_only_for_tokens_taken_before_it() {
        let canceller = Canceller::default();
        let mut early = canceller.token();
        canceller.cancel();
        let mut late = canceller.token();
        early.cancelled().await;
        let waited = tokio::time::timeout(std::time::Duration::from_millis(50), late.cancelled());
        assert!(waited.await.is_err(), "the later token is not cancelled");
    }
}
