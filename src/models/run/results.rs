//! What a run reports: each node's status and result in dbt's terms, the run's
//! summary, and the log line a finished node prints.

use serde::Serialize;

use super::plan::RunCommand;

use crate::models::node::{Node, ResourceType};

/// dbt's node statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeStatus {
    Success,
    Error,
    Skipped,
    Pass,
    Fail,
    Warn,
}

impl NodeStatus {
    /// dbt's word for the status (its serde name).
    pub fn name(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Error => "error",
            Self::Skipped => "skipped",
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Warn => "warn",
        }
    }

    /// Whether nodes downstream must be skipped.
    pub fn blocks(self) -> bool {
        matches!(self, Self::Error | Self::Fail | Self::Skipped)
    }
}

/// The outcome of one node.
#[derive(Debug, Clone, Serialize)]
pub struct NodeResult {
    pub unique_id: String,
    pub name: String,
    pub resource_type: ResourceType,
    pub status: NodeStatus,
    pub message: String,
    pub failures: Option<u64>,
    pub rows_affected: Option<u64>,
    pub execution_time: f64,
    pub started_at: String,
    pub completed_at: String,
    pub thread_id: String,
    pub compiled_code: Option<String>,
    pub relation_name: Option<String>,
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub command: RunCommand,
    pub results: Vec<NodeResult>,
    pub elapsed_time: f64,
}

impl RunSummary {
    pub fn count(&self, status: NodeStatus) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }

    /// Errors or failing tests: exit code 1 for errors, 3 when only tests failed.
    pub fn has_errors(&self) -> bool {
        self.count(NodeStatus::Error) > 0
    }

    pub fn has_test_failures(&self) -> bool {
        self.count(NodeStatus::Fail) > 0
    }
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// `3 of 16 OK created table marts.fact_sales (536,641 rows in 0.52 s)`, dbt's log line.
pub fn describe_result(node: &Node, r: &NodeResult, done: usize, total: u64) -> String {
    let what = match node.resource_type {
        ResourceType::Test => format!("test {}", node.name),
        ResourceType::Seed => format!("seed {}.{}", node.schema, node.alias()),
        ResourceType::Snapshot => format!("snapshot {}.{}", node.schema, node.alias()),
        ResourceType::Model => format!(
            "{} model {}.{}",
            node.config.materialized,
            node.schema,
            node.alias()
        ),
    };
    let status = match r.status {
        NodeStatus::Success => "OK",
        NodeStatus::Pass => "PASS",
        NodeStatus::Error => "ERROR",
        NodeStatus::Fail => "FAIL",
        NodeStatus::Warn => "WARN",
        NodeStatus::Skipped => "SKIP",
    };
    let detail = match (r.status, r.failures, r.rows_affected) {
        (NodeStatus::Fail | NodeStatus::Warn, Some(n), _) => format!(" ({n} failing rows)"),
        (_, _, Some(rows)) => format!(" ({} rows)", crate::format::thousands(rows)),
        _ => String::new(),
    };
    let mut line = format!(
        "{done} of {total} {status} {what}{detail} in {:.2}s",
        r.execution_time
    );
    // A failing unit test shows its differing rows, as dbt shows its diff.
    let unit_failure = r.status == NodeStatus::Fail && node.unit_test.is_some();
    if matches!(r.status, NodeStatus::Error | NodeStatus::Skipped) || unit_failure {
        line += &format!("\n    {}", r.message.replace('\n', "\n    "));
    }
    line
}

pub fn skipped(node: &Node, message: &str, thread_id: &str) -> NodeResult {
    let now = now();
    NodeResult {
        unique_id: node.unique_id.clone(),
        name: node.name.clone(),
        resource_type: node.resource_type,
        status: NodeStatus::Skipped,
        message: message.to_string(),
        failures: None,
        rows_affected: None,
        execution_time: 0.0,
        started_at: now.clone(),
        completed_at: now,
        thread_id: thread_id.to_string(),
        compiled_code: None,
        relation_name: None,
    }
}

/// What executing a node produced.
pub struct Outcome {
    pub status: NodeStatus,
    pub message: String,
    pub failures: Option<u64>,
    pub rows: Option<u64>,
}
