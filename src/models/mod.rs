//! The dbt-compatible model runner: a dbt project directory runs as it is against the
//! ecom warehouse.
//!
//! Loading (`project`) reads `dbt_project.yml`, models, property files, seeds, macros and
//! singular tests; `jinja` renders SQL with minijinja (ref, source, config, this,
//! is_incremental, var, env_var, target, macros, run_query); `graph` orders the nodes
//! and evaluates selectors; `execute` materialises them on worker threads, one DuckDB
//! connection each; `artifacts` writes `run_results.json` and `manifest.json` in dbt's
//! shapes.

pub mod artifacts;
pub mod bundled;
pub mod catalog;
pub mod config;
pub mod freshness;
pub mod generic_tests;
pub mod graph;
pub mod jinja;
pub mod outcome;
pub mod overview;
pub mod packages;
pub mod project;
pub mod run;
pub mod seeds;
pub mod select;
pub mod snapshots;
pub mod unit_tests;

use std::path::PathBuf;

use serde::Serialize;

pub use config::NodeConfig;
pub use project::Project;
pub use run::{Invocation, NodeResult, NodeStatus, RunCommand, RunSummary, run};

/// What a node is, in dbt's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ResourceType {
    Seed,
    Model,
    Snapshot,
    Test,
}

impl ResourceType {
    pub fn name(self) -> &'static str {
        match self {
            Self::Seed => "seed",
            Self::Model => "model",
            Self::Snapshot => "snapshot",
            Self::Test => "test",
        }
    }
}

/// A generic test attached to a model (or seed) column, from a property file.
#[derive(Debug, Clone, PartialEq)]
pub struct GenericTest {
    /// The package of a namespaced test (`dbt_utils` of `dbt_utils.expression_is_true`).
    pub namespace: Option<String>,
    /// `unique`, `not_null`, `accepted_values`, `relationships`, or a custom test name.
    pub test_name: String,
    /// The unique id of the node under test.
    pub attached_to: String,
    pub column: Option<String>,
    /// Arguments from the property file (`values`, `to`, `field`, …).
    pub kwargs: serde_json::Map<String, serde_json::Value>,
}

/// One model, seed or test of a project.
#[derive(Debug, Clone)]
pub struct Node {
    pub unique_id: String,
    pub name: String,
    pub resource_type: ResourceType,
    /// Path relative to the project root (`models/marts/fact_sales.sql`).
    pub path: PathBuf,
    /// dbt's fully qualified name: project, folders, name.
    pub fqn: Vec<String>,
    /// The SQL (Jinja) as written; empty for generic tests and seeds.
    pub raw_sql: String,
    pub config: NodeConfig,
    /// Unique ids this node depends on (filled when the project is parsed).
    pub depends_on: Vec<String>,
    pub generic_test: Option<GenericTest>,
    /// A dbt unit test (`unit_tests:`), run as a test of its model.
    pub unit_test: Option<unit_tests::UnitTest>,
    /// The schema the relation lands in (after `generate_schema_name`).
    pub schema: String,
    pub description: String,
}

impl Node {
    /// A node as read from its file, before parsing finds its dependencies and schema.
    pub fn new(
        unique_id: String,
        name: String,
        resource_type: ResourceType,
        path: &std::path::Path,
        fqn: Vec<String>,
        raw_sql: String,
        config: NodeConfig,
    ) -> Self {
        Self {
            unique_id,
            name,
            resource_type,
            path: path.to_path_buf(),
            fqn,
            raw_sql,
            config,
            depends_on: Vec::new(),
            generic_test: None,
            unit_test: None,
            schema: String::new(),
            description: String::new(),
        }
    }
}

impl Node {
    /// The relation as SQL, `"schema"."name"`.
    pub fn relation(&self) -> String {
        format!(
            "{}.{}",
            crate::warehouse::quote_ident(&self.schema),
            crate::warehouse::quote_ident(self.config.alias.as_deref().unwrap_or(&self.name))
        )
    }

    pub fn alias(&self) -> &str {
        self.config.alias.as_deref().unwrap_or(&self.name)
    }
}

/// A problem with a project or a run, phrased for the user with its file and line.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: {message}")]
    Project { path: PathBuf, message: String },
    #[error("{path}:{line}: {message}")]
    Jinja {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Graph(String),
    #[error("{0}")]
    Selector(String),
    #[error("{0}")]
    Warehouse(#[from] crate::warehouse::WarehouseError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl ModelError {
    pub fn project(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Project {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Names close to `wanted`, for "did you mean" hints.
pub fn close_names<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = names
        .map(|n| (edit_distance(wanted, n), n))
        .filter(|(d, n)| *d <= 3.max(wanted.len() / 3) || n.contains(wanted))
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_string())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_suggest_typos() {
        let names = ["customers", "orders", "dim_customer"];
        assert_eq!(
            close_names("customrs", names.iter().copied())[0],
            "customers"
        );
        assert!(close_names("zzzzzzzzzz", names.iter().copied()).is_empty());
    }
}
