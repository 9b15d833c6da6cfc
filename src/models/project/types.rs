//! What a loaded project holds: its settings, macro files, nodes, sources and
//! semantic entries, with the look-ups the rest of the runner makes on it.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::models::error::ModelError;
use crate::models::jinja::macros::MacroFile;
use crate::models::node::{Node, ResourceType};

/// A table declared under `sources:`.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceTable {
    pub source: String,
    pub name: String,
    pub schema: String,
    pub identifier: String,
    /// What `ecom models source freshness` checks, if anything.
    pub freshness: Option<crate::models::freshness::rules::Freshness>,
}

impl SourceTable {
    pub fn relation(&self) -> String {
        format!(
            "{}.{}",
            crate::warehouse::quote_ident(&self.schema),
            crate::warehouse::quote_ident(&self.identifier)
        )
    }
}

/// A loaded project (nodes not yet parsed: see `graph::parse`).
#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
    pub name: String,
    pub vars: Map<String, Value>,
    pub on_run_start: Vec<String>,
    pub on_run_end: Vec<String>,
    /// The macro files of the project and of its installed packages.
    pub macros: Vec<MacroFile>,
    /// `dispatch:` of `dbt_project.yml`: a macro namespace's package search order.
    pub dispatch: HashMap<String, Vec<String>>,
    pub nodes: BTreeMap<String, Node>,
    pub sources: Vec<SourceTable>,
    /// Semantic models, metrics and saved queries: parsed and listed, never built.
    pub semantic: Vec<SemanticEntry>,
    /// The default schema (dbt's `target.schema`).
    pub target_schema: String,
    /// Where compiled SQL and run artifacts go.
    pub target_dir: PathBuf,
    /// Where unit tests' `fixture:` files are (`<test-path>/fixtures`).
    pub fixture_dirs: Vec<PathBuf>,
}

/// An entry of dbt's semantic layer (`semantic_models:`, `metrics:`,
/// `saved_queries:` in a property file). ecom has no semantic layer: these are read so
/// that a project using them loads, and listed by `models ls` as dbt lists them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SemanticEntry {
    /// `semantic_model`, `metric` or `saved_query`.
    pub resource_type: &'static str,
    pub name: String,
    pub unique_id: String,
    /// The property file it is declared in.
    pub path: PathBuf,
}

/// Options that come from the command line.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub target_schema: Option<String>,
    /// `--vars`, over the project's `vars:`.
    pub vars: Map<String, Value>,
}

impl Project {
    pub(super) fn insert(&mut self, node: Node) -> Result<(), ModelError> {
        if let Some(other) = self.nodes.get(&node.unique_id) {
            return Err(ModelError::project(
                &node.path,
                format!(
                    "two nodes are named `{}` (the other is {})",
                    node.name,
                    other.path.display()
                ),
            ));
        }
        self.nodes.insert(node.unique_id.clone(), node);
        Ok(())
    }

    /// The unique id of the model or seed called `name`, if any.
    pub fn find_relation_node(&self, name: &str) -> Option<&Node> {
        [ResourceType::Model, ResourceType::Seed]
            .iter()
            .find_map(|t| {
                self.nodes
                    .get(&format!("{}.{}.{name}", t.name(), self.name))
            })
    }
}
