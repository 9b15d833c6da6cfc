//! Executing one node: its SQL compiled (and written under `target/compiled`), then
//! the seed loaded, the model materialised, the snapshot brought up to date or the
//! test run, as one result. A failure or a panic fails the node, never the run.

use std::time::Instant;

use duckdb::Connection;

use super::data_tests::{compile_generic_test, compile_unit_test, run_test};
use super::error::NodeError;
use super::materialize::{load_seed, materialize};
use super::plan::{Invocation, RunCommand};
use super::results::{NodeResult, NodeStatus, Outcome, now};
use super::sql::render_sql;
use crate::models::catalog::{RelationKind, relation_kind};
use crate::models::error::ModelError;
use crate::models::graph::Graph;
use crate::models::node::{Node, ResourceType};

pub fn execute_node(
    graph: &Graph,
    conn: &Connection,
    node: &Node,
    invocation: &Invocation,
    thread_id: &str,
) -> NodeResult {
    let started_at = now();
    let clock = Instant::now();
    let mut compiled = None;
    // A panic fails this node with a sentence, never the worker and the build.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || -> Result<Outcome, NodeError> {
            // Looked up once: it decides `is_incremental()` and how the model is replaced.
            let existing = match node.resource_type {
                ResourceType::Model => relation_kind(conn, &node.schema, node.alias()),
                _ => None,
            };
            let sql = compile(graph, conn, node, invocation.full_refresh, existing)?;
            compiled = sql.clone();
            if let Some(sql) = &sql {
                write_compiled(graph, node, sql);
            }
            if invocation.command == RunCommand::Compile {
                return Ok(Outcome {
                    status: NodeStatus::Success,
                    message: "compiled".into(),
                    failures: None,
                    rows: None,
                });
            }
            match node.resource_type {
                ResourceType::Seed => load_seed(graph, conn, node),
                ResourceType::Model => materialize(
                    graph,
                    conn,
                    node,
                    sql.as_deref().unwrap_or_default(),
                    invocation.full_refresh,
                    existing,
                ),
                ResourceType::Snapshot => {
                    let snapshot = crate::models::snapshots::Snapshot::from_config(&node.config)?;
                    crate::models::snapshots::run(
                        conn,
                        &snapshot,
                        &node.schema,
                        node.alias(),
                        sql.as_deref().unwrap_or_default(),
                    )?;
                    Ok(Outcome {
                        status: NodeStatus::Success,
                        message: "OK".into(),
                        failures: None,
                        rows: None,
                    })
                }
                ResourceType::Test => run_test(conn, node, sql.as_deref().unwrap_or_default()),
            }
        },
    ))
    .unwrap_or_else(|payload| {
        let _ = conn.execute_batch("ROLLBACK");
        Err(NodeError::Panic(crate::jobs::panic_text(payload.as_ref())))
    });
    let (status, message, failures, rows) = match outcome {
        Ok(o) => (o.status, o.message, o.failures, o.rows),
        Err(error) => (NodeStatus::Error, error.to_string(), None, None),
    };
    NodeResult {
        unique_id: node.unique_id.clone(),
        name: node.name.clone(),
        resource_type: node.resource_type,
        status,
        message,
        failures,
        rows_affected: rows,
        execution_time: clock.elapsed().as_secs_f64(),
        started_at,
        completed_at: now(),
        thread_id: thread_id.to_string(),
        compiled_code: compiled,
        relation_name: (node.resource_type != ResourceType::Test).then(|| node.relation()),
    }
}

/// The SQL of a model or test after Jinja, with ephemeral models inlined as CTEs.
/// Seeds have none. `existing` is the model's relation kind, if it exists.
fn compile(
    graph: &Graph,
    conn: &Connection,
    node: &Node,
    full_refresh: bool,
    existing: Option<RelationKind>,
) -> Result<Option<String>, ModelError> {
    match node.resource_type {
        ResourceType::Seed => Ok(None),
        ResourceType::Test if node.generic_test.is_some() => {
            compile_generic_test(graph, conn, node).map(Some)
        }
        ResourceType::Test if node.unit_test.is_some() => {
            compile_unit_test(graph, conn, node).map(Some)
        }
        _ => {
            let incremental = node.config.materialized == "incremental"
                && !node.config.rebuilds(full_refresh)
                && existing == Some(RelationKind::Table);
            render_sql(graph, conn, node, &node.raw_sql, incremental).map(Some)
        }
    }
}

fn write_compiled(graph: &Graph, node: &Node, sql: &str) {
    let path = graph
        .project
        .target_dir
        .join("compiled")
        .join(&graph.project.name)
        .join(&node.path);
    let path = if node.generic_test.is_some() {
        path.with_file_name(format!("{}.sql", node.name))
    } else {
        path
    };
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let _ = std::fs::write(path, sql);
}
