//! Running a parsed project: seeds, models and tests in dependency order on worker
//! threads (one DuckDB connection each), every node in its own transaction so a failed
//! build leaves the previous relation in place. Downstream of a failure is skipped, as
//! in dbt; `build` also waits for the tests of a node's parents.
//!
//! `plan` decides what runs and in which order, `schedule` hands nodes to the
//! workers, `node` executes one (`sql`, `materialize`, `data_tests`), `hooks` runs the
//! project's hooks, and `results` is what comes back.

mod data_tests;
mod error;
mod hooks;
mod materialize;
mod node;
mod plan;
mod results;
mod schedule;
mod sql;

use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use duckdb::Connection;

pub use plan::{Invocation, RunCommand};
pub use results::{NodeResult, NodeStatus, RunSummary};

use crate::jobs::{CancelToken, ProgressSink};
use crate::models::error::ModelError;
use crate::models::graph::Graph;
use crate::models::node::ResourceType;
use crate::models::select::select;
use crate::warehouse::quote_ident;
use hooks::run_hook;
use plan::dependencies;
use schedule::{Schedule, worker};

/// Runs `invocation` on the warehouse behind `conn`.
pub fn run(
    graph: &Graph,
    conn: &Connection,
    invocation: &Invocation,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<RunSummary, ModelError> {
    let started = Instant::now();
    let selected = select(
        graph,
        &invocation.select,
        &invocation.exclude,
        invocation.command.resource_types(),
    )?;
    let position: HashMap<&str, usize> = graph
        .order
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let deps = dependencies(graph, &selected, invocation.command);
    let executing = invocation.command != RunCommand::Compile;
    let mut hook_results = Vec::new();
    if executing {
        prepare_schemas(graph, conn, &selected)?;
        for (i, hook) in graph.project.on_run_start.iter().enumerate() {
            hook_results.push(run_hook(graph, conn, hook, "on-run-start", i)?);
        }
    }
    let mut schedule = Schedule {
        ready: BinaryHeap::new(),
        waiting_on: HashMap::new(),
        dependents: HashMap::new(),
        blocked_by: HashMap::new(),
        results: Vec::new(),
        remaining: selected.len(),
        running: 0,
        done: 0,
    };
    for id in &selected {
        let parents = &deps[id];
        schedule.waiting_on.insert(id.clone(), parents.len());
        for parent in parents {
            schedule
                .dependents
                .entry(parent.clone())
                .or_default()
                .push(id.clone());
        }
        if parents.is_empty() {
            schedule
                .ready
                .push(std::cmp::Reverse((position[id.as_str()], id.clone())));
        }
    }
    let total = selected.len() as u64;
    let shared = (Mutex::new(schedule), Condvar::new());
    let threads = invocation.threads.max(1).min(selected.len().max(1));
    std::thread::scope(|scope| -> Result<(), ModelError> {
        let mut handles = Vec::new();
        for t in 0..threads {
            let worker_conn = conn
                .try_clone()
                .map_err(crate::warehouse::WarehouseError::from)?;
            let shared = &shared;
            let position = &position;
            handles.push(scope.spawn(move || {
                worker(
                    graph,
                    worker_conn,
                    invocation,
                    shared,
                    position,
                    progress,
                    cancel,
                    total,
                    t + 1,
                )
            }));
        }
        for handle in handles {
            handle.join().expect("model worker panicked");
        }
        Ok(())
    })?;
    let (schedule, _) = shared;
    let mut results = schedule
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .results;
    results.sort_by_key(|r| {
        position
            .get(r.unique_id.as_str())
            .copied()
            .unwrap_or(usize::MAX)
    });
    hook_results.append(&mut results);
    let mut results = hook_results;
    if executing {
        for (i, hook) in graph.project.on_run_end.iter().enumerate() {
            results.push(run_hook(graph, conn, hook, "on-run-end", i)?);
        }
        // The dimensions the tail's events are enriched with may have just been built.
        if let Err(e) = crate::warehouse::events_enriched::define(conn) {
            tracing::warn!(error = %e, "redefining stream.events_enriched");
        }
    }
    Ok(RunSummary {
        command: invocation.command,
        results,
        elapsed_time: started.elapsed().as_secs_f64(),
    })
}

fn prepare_schemas(
    graph: &Graph,
    conn: &Connection,
    selected: &BTreeSet<String>,
) -> Result<(), ModelError> {
    let schemas: BTreeSet<&str> = selected
        .iter()
        .map(|id| &graph.project.nodes[id])
        .filter(|n| n.resource_type != ResourceType::Test)
        .map(|n| n.schema.as_str())
        .collect();
    for schema in schemas {
        conn.execute_batch(&format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            quote_ident(schema)
        ))
        .map_err(crate::warehouse::WarehouseError::from)?;
    }
    Ok(())
}
