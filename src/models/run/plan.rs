//! What a run does before anything executes: the dbt command and its options, which
//! resource types it selects, and, for every selected node, the nodes it waits for.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::models::config::Severity;
use crate::models::graph::Graph;
use crate::models::node::{Node, ResourceType};

/// The dbt commands the runner implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunCommand {
    Run,
    Test,
    Build,
    Seed,
    Snapshot,
    Compile,
}

impl RunCommand {
    pub fn resource_types(self) -> &'static [ResourceType] {
        match self {
            Self::Run | Self::Compile => &[ResourceType::Model],
            Self::Test => &[ResourceType::Test],
            Self::Seed => &[ResourceType::Seed],
            Self::Snapshot => &[ResourceType::Snapshot],
            Self::Build => &[
                ResourceType::Seed,
                ResourceType::Model,
                ResourceType::Snapshot,
                ResourceType::Test,
            ],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Run => "run",
            Self::Test => "test",
            Self::Build => "build",
            Self::Seed => "seed",
            Self::Snapshot => "snapshot",
            Self::Compile => "compile",
        }
    }
}

/// What to run and how.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub command: RunCommand,
    pub select: Vec<String>,
    pub exclude: Vec<String>,
    pub threads: usize,
    pub full_refresh: bool,
}

/// For every selected node, the selected nodes it waits for. Under `build`, a node also
/// waits for the generic tests attached to its parents (dbt skips what sits downstream
/// of a failing test), except warnings and tests that read the node's own descendants.
pub fn dependencies(
    graph: &Graph,
    selected: &BTreeSet<String>,
    command: RunCommand,
) -> HashMap<String, Vec<String>> {
    let nodes = &graph.project.nodes;
    let mut tests_of: HashMap<&str, Vec<&Node>> = HashMap::new();
    if command == RunCommand::Build {
        for node in nodes
            .values()
            .filter(|n| selected.contains(&n.unique_id) && n.config.severity != Severity::Warn)
        {
            if let Some(test) = &node.generic_test {
                tests_of
                    .entry(test.attached_to.as_str())
                    .or_default()
                    .push(node);
            }
        }
    }
    let children = graph.children();
    selected
        .iter()
        .map(|id| {
            let node = &nodes[id];
            let mut parents: Vec<String> = node
                .depends_on
                .iter()
                .filter(|p| selected.contains(*p))
                .cloned()
                .collect();
            let parent_tests: Vec<&Node> = node
                .depends_on
                .iter()
                .filter_map(|p| tests_of.get(p.as_str()))
                .flatten()
                .copied()
                .collect();
            if node.resource_type != ResourceType::Test && !parent_tests.is_empty() {
                let below = descendants(id, &children);
                for test in parent_tests {
                    let reads_below = test
                        .depends_on
                        .iter()
                        .any(|d| d == id || below.contains(d.as_str()));
                    if !reads_below && !parents.contains(&test.unique_id) {
                        parents.push(test.unique_id.clone());
                    }
                }
            }
            (id.clone(), parents)
        })
        .collect()
}

fn descendants<'a>(id: &str, children: &HashMap<&'a str, Vec<&'a str>>) -> BTreeSet<&'a str> {
    let mut found = BTreeSet::new();
    let mut stack: Vec<&str> = children.get(id).cloned().unwrap_or_default();
    while let Some(next) = stack.pop() {
        if found.insert(next) {
            stack.extend(children.get(next).into_iter().flatten());
        }
    }
    found
}
