//! The dbt-compatible model runner: a dbt project directory runs as it is against the
//! ecom warehouse.
//!
//! Loading (`project`) reads `dbt_project.yml`, models, property files, seeds, macros and
//! singular tests; `jinja` renders SQL with minijinja (ref, source, config, this,
//! is_incremental, var, env_var, target, macros, run_query); `graph` orders the nodes
//! and evaluates selectors; `run` materialises them on worker threads, one DuckDB
//! connection each; `artifacts` writes `run_results.json` and `manifest.json` in dbt's
//! shapes. `node` and `error` hold the types every part shares, `catalog` what the
//! warehouse says about a relation.

pub mod artifacts;
pub mod bundled;
pub mod catalog;
pub mod config;
mod error;
pub mod freshness;
pub mod generic_tests;
pub mod graph;
pub mod jinja;
mod names;
mod node;
pub mod outcome;
pub mod overview;
pub mod packages;
pub mod project;
pub mod run;
pub mod seeds;
pub mod select;
pub mod snapshots;
pub mod unit_tests;

pub use config::NodeConfig;
pub use error::ModelError;
pub use names::close_names;
pub use node::{GenericTest, Node, ResourceType};
pub use project::Project;
pub use run::{Invocation, NodeResult, NodeStatus, RunCommand, RunSummary, run};

/// `build` of the project in `dir` (all of it, or `select`) on `conn`, with its artifacts
/// written: what the pipeline's models job, the workbench and `--demo` run.
pub fn build_project(
    conn: &duckdb::Connection,
    dir: &std::path::Path,
    select: Vec<String>,
    threads: usize,
    progress: &dyn crate::jobs::ProgressSink,
    cancel: &crate::jobs::CancelToken,
) -> Result<RunSummary, ModelError> {
    let graph = graph::parse(Project::load(dir, &project::LoadOptions::default())?)?;
    let invocation = Invocation {
        command: RunCommand::Build,
        select,
        exclude: Vec::new(),
        threads: threads.max(1),
        full_refresh: false,
    };
    let summary = run(&graph, conn, &invocation, progress, cancel)?;
    artifacts::write(&graph, Some(&summary))?;
    Ok(summary)
}
