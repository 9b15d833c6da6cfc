//! A client for threads that are not async (the workbench's database worker, its panel
//! threads): each call runs on one small runtime of the process, which also keeps the
//! connections the client pooled alive between calls. The runtime is never dropped, so
//! no thread (async or not) ever has to shut it down.

use std::sync::OnceLock;

use super::Client;

/// A [`Client`] whose calls block the calling thread.
#[derive(Debug, Clone)]
pub struct Blocking {
    pub client: Client,
}

impl Blocking {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// Runs `work` (a call of [`Self::client`]) to its end. Not for async code: it
    /// blocks the thread.
    pub fn block_on<T>(&self, work: impl Future<Output = T>) -> T {
        runtime().block_on(work)
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("remote")
            .enable_all()
            .build()
            .expect("the OS refused the remote client's runtime thread")
    })
}
