//! Streaming: `ecom simulate` replays the shop into Kafka, `ecom tail` consumes it with
//! event-time windows and commits each batch's effects to the warehouse exactly once.
//! See `docs/EVENTS.md` for the event schema and `docs/ARCHITECTURE.md` for how the
//! members of a consumer group share the work.

pub mod browse;
pub mod checkpoint;
mod error;
pub mod event;
pub mod kafka;
pub mod recent;
pub mod schedule;
pub mod simulate;
pub mod tail;
pub mod window;

pub use error::{Result, StreamError};

/// Parses `1m`, `30s`, `1h 30m` into a chrono duration.
pub fn parse_duration(text: &str) -> Result<chrono::Duration> {
    let std = humantime::parse_duration(text).map_err(|error| StreamError::Duration {
        text: text.to_string(),
        error,
    })?;
    Ok(chrono::Duration::from_std(std)?)
}
