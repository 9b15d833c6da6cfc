//! The workbench and the CLI as clients of a running `ecom serve` (`--remote URL
//! --token T`, or `[remote]` in the config): DuckDB lets one process write a warehouse
//! and nobody else open it, so a team keeps one ecom serving as the single writer and
//! everybody else reads through its API, under the same scopes and the same query
//! guard as any other API client.
//!
//! Everything here is async on reqwest; [`Blocking`] wraps a client with a runtime of
//! its own for the workbench's worker threads.

mod arrow_table;
mod blocking;
mod cancel;
mod client;
mod error;
mod jobs;
mod query;

pub use blocking::Blocking;
pub use cancel::{Cancel, Canceller};
pub use client::Client;
pub use error::RemoteError;
pub use jobs::{JobStart, RemoteJob, StartedJob};
pub use query::{Answered, QueryRequest};
