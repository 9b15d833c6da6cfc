//! `ecom`: an e-commerce analytics workbench in one binary.
//!
//! The crate is a library with no terminal in it (warehouse, ingest, jobs, config)
//! plus two thin front ends: the headless CLI (`cli`) and the workbench (`tui`).
//! Arrows point one way: `cli` and `tui` use the core modules; the core never
//! imports them. See `docs/ARCHITECTURE.md` for how data and events flow.

pub mod alerts;
pub mod config;
pub mod dashboards;
pub mod export;
pub mod format;
pub mod ingest;
pub mod jobs;
pub mod logging;
pub mod ml;
pub mod models;
pub mod open;
pub mod paths;
pub mod pipeline;
pub mod refresh;
pub mod remote;
pub mod sample;
pub mod serve;
pub mod stream;
pub mod warehouse;

pub mod cli;
pub mod tui;

/// The version printed by `ecom --version` and recorded in the warehouse's migrations.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
