//! The project's `on-run-start` and `on-run-end` hooks, each reported as an operation
//! node, as dbt reports them.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use duckdb::Connection;

use super::results::{NodeResult, NodeStatus, now};
use crate::models::error::ModelError;
use crate::models::graph::Graph;
use crate::models::jinja::render_context;
use crate::models::node::ResourceType;

/// Runs one `on-run-start`/`on-run-end` hook; dbt reports it as an operation node.
pub fn run_hook(
    graph: &Graph,
    conn: &Connection,
    hook: &str,
    kind: &str,
    index: usize,
) -> Result<NodeResult, ModelError> {
    let path = Path::new("dbt_project.yml");
    let started_at = now();
    let clock = Instant::now();
    let ctx = render_context(
        Arc::clone(&graph.resolver),
        true,
        false,
        conn.try_clone().ok(),
    );
    let sql = graph.renderer.render(path, hook, ctx, None)?;
    if !sql.trim().is_empty() {
        conn.execute_batch(&sql).map_err(|e| {
            ModelError::project(
                path,
                format!(
                    "{kind} hook {index} failed: {}\n{}",
                    first_line(&e.to_string()),
                    sql.trim()
                ),
            )
        })?;
    }
    let project = &graph.project.name;
    Ok(NodeResult {
        unique_id: format!("operation.{project}.{project}-{kind}-{index}"),
        name: format!("{project}-{kind}-{index}"),
        resource_type: ResourceType::Model,
        status: NodeStatus::Success,
        message: "OK".into(),
        failures: None,
        rows_affected: None,
        execution_time: clock.elapsed().as_secs_f64(),
        started_at,
        completed_at: now(),
        thread_id: "main".into(),
        compiled_code: Some(sql),
        relation_name: None,
    })
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).to_string()
}
