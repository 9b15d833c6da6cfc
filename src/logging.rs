//! Structured logs: JSON lines to a daily rotating file in the state dir, never to the
//! screen (the TUI owns the terminal; the CLI's stdout carries only results).

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::EnvFilter;

/// Starts file logging at `level` (a level name or a tracing filter directive).
///
/// Keep the returned guard alive for the life of the process: dropping it flushes the
/// log. Returns `None` when the log folder cannot be created; ecom then runs without logs
/// rather than refusing to start.
pub fn init(dir: &Path, level: &str, keep_files: usize) -> Option<WorkerGuard> {
    std::fs::create_dir_all(dir).ok()?;
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix("ecom")
        .filename_suffix("log")
        .max_log_files(keep_files.max(1))
        .build(dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_writer(writer)
        .with_env_filter(filter)
        .with_current_span(false)
        .try_init()
        .ok()?;
    Some(guard)
}
