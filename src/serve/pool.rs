//! A fixed set of connections to the one open warehouse, handed to blocking tasks.
//!
//! Every connection is a clone of the serve process's own (the same DuckDB instance), so
//! the scheduler and the tail running in this process write while these read, and each
//! read sees the last committed data. The number of connections bounds how many
//! database calls run at once; a caller past that waits its turn.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use duckdb::{Connection, InterruptHandle};
use tokio::sync::Semaphore;

use super::error::ServeError;

pub struct Pool {
    base: Mutex<Connection>,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    /// Calls interrupted because their caller went away (a client that closed its
    /// connection mid-query), for `/metrics`.
    pub abandoned: AtomicU64,
}

/// What a pooled call returned, and whether it was stopped for its time or memory (the
/// database was interrupted, so the result is an error).
pub struct Ran<T> {
    pub value: T,
    pub timed_out: bool,
    pub over_memory: bool,
}

/// What a call may use before DuckDB is interrupted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    pub time: Option<Duration>,
    /// Growth of the process's resident memory while the call runs, in bytes.
    pub memory: Option<u64>,
}

/// How often a running call's limits are looked at.
const WATCH: Duration = Duration::from_millis(20);

impl Pool {
    pub fn new(base: &Connection, size: usize) -> Result<Self, duckdb::Error> {
        let idle = (0..size.max(1))
            .map(|_| base.try_clone())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            base: Mutex::new(base.try_clone()?),
            permits: Semaphore::new(idle.len()),
            idle: Mutex::new(idle),
            abandoned: AtomicU64::new(0),
        })
    }

    /// Runs `work` on a pooled connection on the blocking thread pool. DuckDB is
    /// interrupted when the call passes its time, or when the process has grown by
    /// more than its memory since it began: DuckDB has no memory bound per query, and
    /// its own limit is the whole server's. The growth is the process's, so queries
    /// running together share one another's; where the process's size cannot be read
    /// (no `/proc`), the memory limit is not watched.
    pub async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        limits: Limits,
        work: impl FnOnce(&Connection) -> T + Send + 'static,
    ) -> Result<Ran<T>, ServeError> {
        let _permit = self.permits.acquire().await?;
        let conn = self.take()?;
        let interrupt = conn.interrupt_handle();
        // Dropped with this future when the caller goes away (hyper drops a handler
        // whose client closed the connection): DuckDB stops at once instead of
        // running on for nobody.
        let mut abandon = Abandon {
            interrupt: Some(Arc::clone(&interrupt)),
            pool: Arc::clone(self),
        };
        let timed_out = Arc::new(AtomicBool::new(false));
        let over_memory = Arc::new(AtomicBool::new(false));
        let watcher = (limits.time.is_some() || limits.memory.is_some()).then(|| {
            let (timed_out, over_memory) = (Arc::clone(&timed_out), Arc::clone(&over_memory));
            let deadline = limits.time.map(|t| tokio::time::Instant::now() + t);
            let ceiling = limits
                .memory
                .and_then(|budget| resident_bytes().map(|base| base + budget));
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(WATCH).await;
                    if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                        timed_out.store(true, Ordering::Release);
                        interrupt.interrupt();
                        return;
                    }
                    if let (Some(ceiling), Some(now)) = (ceiling, resident_bytes())
                        && now > ceiling
                    {
                        over_memory.store(true, Ordering::Release);
                        interrupt.interrupt();
                        return;
                    }
                }
            })
        });
        let joined = tokio::task::spawn_blocking(move || {
            let value = work(&conn);
            (conn, value)
        })
        .await;
        abandon.interrupt = None;
        if let Some(watcher) = watcher {
            watcher.abort();
        }
        // A panicked task loses its connection: the next call opens a fresh one.
        let (conn, value) = joined?;
        self.idle.lock().expect("pool lock").push(conn);
        Ok(Ran {
            value,
            timed_out: timed_out.load(Ordering::Acquire),
            over_memory: over_memory.load(Ordering::Acquire),
        })
    }

    fn take(&self) -> Result<Connection, ServeError> {
        if let Some(conn) = self.idle.lock().expect("pool lock").pop() {
            return Ok(conn);
        }
        self.connection()
    }

    /// A new connection of the database, outside the pool (a job's own).
    pub fn connection(&self) -> Result<Connection, ServeError> {
        Ok(self.base.lock().expect("pool lock").try_clone()?)
    }
}

/// Interrupts a pooled call whose caller stopped waiting for it, and counts it.
struct Abandon {
    interrupt: Option<Arc<InterruptHandle>>,
    pool: Arc<Pool>,
}

impl Drop for Abandon {
    fn drop(&mut self) {
        if let Some(interrupt) = self.interrupt.take() {
            interrupt.interrupt();
            self.pool.abandoned.fetch_add(1, Ordering::Relaxed);
            tracing::info!("the caller went away: its database call was interrupted");
        }
    }
}

/// The process's resident memory in bytes (`VmRSS` of `/proc/self/status`), where the
/// system shows it.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_process_size_is_read() {
        assert!(super::resident_bytes().is_some_and(|b| b > 1 << 20));
    }
}
