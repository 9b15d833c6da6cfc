//! ecom's integration tests: one binary, real data, the real `ecom` executable.

mod common;
mod config;
mod edge_states;
mod export;
mod faults;
mod ingest_full;
mod ingest_kill;
mod ingest_quarantine;
mod ingest_shapes;
mod ml;
mod models_bundled;
mod models_conformance;
mod models_database;
mod models_packages;
mod pipeline;
mod query;
mod serve;
mod serve_contract;
mod serve_hostile;
mod stream;
mod tmux;
mod tui_grid;
mod tui_snapshots;
mod tui_support;
mod tui_tmux;
