//! What the workbench's Models screen lists: the project's nodes (tests apart) laid out
//! as the DAG's tree (each node under its deepest parent, see `tree`), each with its
//! materialization, lineage, tests and last run from `target/run_results.json`. Plain
//! data, loaded from the project directory; drawing it is the TUI's.

pub mod tree;

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

use super::{ModelError, Node, ResourceType};

/// A node of the model DAG as the Models screen lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRow {
    pub name: String,
    pub resource_type: String,
    pub materialized: String,
    pub schema: String,
    /// The box-drawing before the name: the node's place in the DAG's tree.
    pub tree: String,
    /// Names of its parents (sources as `source.table`) and of its children.
    pub parents: Vec<String>,
    pub children: Vec<String>,
    /// Status, rows, completion time (RFC 3339) and duration in seconds of the last
    /// run, from `target/run_results.json`.
    pub last_status: Option<String>,
    pub last_rows: Option<u64>,
    pub last_run_at: Option<String>,
    pub last_seconds: Option<f64>,
    /// The SQL the last run executed for it.
    pub compiled: Option<String>,
    /// Its tests: name, last status, failing rows, message.
    pub tests: Vec<TestRow>,
}

/// A data test of a node, with its last result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRow {
    pub name: String,
    pub status: Option<String>,
    pub failures: Option<u64>,
    pub message: Option<String>,
}

/// The project's nodes (tests apart) laid out as the DAG's tree, each with its tests
/// and its last run.
pub fn load(project: &Path) -> Result<Vec<ModelRow>, ModelError> {
    let project = super::Project::load(project, &Default::default())?;
    let graph = super::graph::parse(project)?;
    let last = super::artifacts::last_results(&graph);
    let in_order = || graph.order.iter().map(|id| &graph.project.nodes[id]);
    let is_test = |n: &&Node| n.resource_type == ResourceType::Test;
    let nodes: Vec<&Node> = in_order().filter(|n| !is_test(n)).collect();
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.unique_id.as_str(), i))
        .collect();
    let parents: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            n.depends_on
                .iter()
                .filter_map(|p| index.get(p.as_str()).copied())
                .collect()
        })
        .collect();
    let name_of = |id: &str| match graph.project.nodes.get(id) {
        Some(node) => node.name.clone(),
        // source.PROJECT.SOURCE.TABLE
        None => id.splitn(3, '.').nth(2).unwrap_or(id).to_string(),
    };
    let mut children: Vec<Vec<String>> = vec![Vec::new(); nodes.len()];
    for (child, ps) in parents.iter().enumerate() {
        for p in ps {
            children[*p].push(nodes[child].name.clone());
        }
    }
    let models: Vec<bool> = nodes
        .iter()
        .map(|n| n.resource_type != ResourceType::Seed)
        .collect();
    Ok(tree::layout(&parents, &models)
        .into_iter()
        .map(|place| {
            let n = nodes[place.node];
            let result = last.get(&n.unique_id);
            let tests = in_order()
                .filter(is_test)
                .filter(|t| t.depends_on.contains(&n.unique_id))
                .map(|t| {
                    let result = last.get(&t.unique_id);
                    TestRow {
                        name: t.name.clone(),
                        status: result.map(|r| r.status.clone()),
                        failures: result.and_then(|r| r.failures),
                        message: result.and_then(|r| r.message.clone()),
                    }
                })
                .collect();
            ModelRow {
                name: n.name.clone(),
                resource_type: n.resource_type.name().to_string(),
                materialized: n.config.materialized.clone(),
                schema: n.schema.clone(),
                tree: place.prefix,
                parents: n.depends_on.iter().map(|p| name_of(p)).collect(),
                children: std::mem::take(&mut children[place.node]),
                last_status: result.map(|r| r.status.clone()),
                last_rows: result.and_then(|r| r.rows),
                last_run_at: result.and_then(|r| r.completed_at.clone()),
                last_seconds: result.and_then(|r| r.execution_time),
                compiled: result.and_then(|r| r.compiled_code.clone()),
                tests,
            }
        })
        .collect())
}
