//! A fixed set of connections to the one open warehouse, handed to blocking tasks.
//!
//! Every connection is a clone of the serve process's own (the same DuckDB instance), so
//! the scheduler and the tail running in this process write while these read, and each
//! read sees the last committed data. The number of connections bounds how many
//! database calls run at once; a caller past that waits its turn.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use duckdb::Connection;
use tokio::sync::Semaphore;

pub struct Pool {
    base: Mutex<Connection>,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

/// What a pooled call returned, and whether its time ran out (the database was
/// interrupted, so the result is an error).
pub struct Ran<T> {
    pub value: T,
    pub timed_out: bool,
}

impl Pool {
    pub fn new(base: &Connection, size: usize) -> Result<Self, duckdb::Error> {
        let idle = (0..size.max(1))
            .map(|_| base.try_clone())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            base: Mutex::new(base.try_clone()?),
            permits: Semaphore::new(idle.len()),
            idle: Mutex::new(idle),
        })
    }

    /// Runs `work` on a pooled connection on the blocking thread pool. With a `timeout`,
    /// DuckDB is interrupted when it passes.
    pub async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        timeout: Option<Duration>,
        work: impl FnOnce(&Connection) -> T + Send + 'static,
    ) -> anyhow::Result<Ran<T>> {
        let _permit = self.permits.acquire().await?;
        let conn = self.take()?;
        let interrupt = conn.interrupt_handle();
        let timed_out = Arc::new(AtomicBool::new(false));
        let timer = timeout.map(|after| {
            let timed_out = Arc::clone(&timed_out);
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                timed_out.store(true, Ordering::Release);
                interrupt.interrupt();
            })
        });
        let joined = tokio::task::spawn_blocking(move || {
            let value = work(&conn);
            (conn, value)
        })
        .await;
        if let Some(timer) = timer {
            timer.abort();
        }
        // A panicked task loses its connection: the next call opens a fresh one.
        let (conn, value) = joined?;
        self.idle.lock().expect("pool lock").push(conn);
        Ok(Ran {
            value,
            timed_out: timed_out.load(Ordering::Acquire),
        })
    }

    fn take(&self) -> anyhow::Result<Connection> {
        if let Some(conn) = self.idle.lock().expect("pool lock").pop() {
            return Ok(conn);
        }
        Ok(self.base.lock().expect("pool lock").try_clone()?)
    }
}
