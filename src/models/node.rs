//! The nodes of a project: models, seeds, snapshots and tests, with their config,
//! dependencies and the relation they build.

use std::path::PathBuf;

use serde::Serialize;

use super::config::NodeConfig;
use super::unit_tests::UnitTest;

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
    pub unit_test: Option<UnitTest>,
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
    /// A generic or unit test, which has no SQL of its own.
    pub fn test(
        unique_id: String,
        name: String,
        path: &std::path::Path,
        fqn: Vec<String>,
        config: NodeConfig,
    ) -> Self {
        Self::new(
            unique_id,
            name,
            ResourceType::Test,
            path,
            fqn,
            String::new(),
            config,
        )
    }

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
