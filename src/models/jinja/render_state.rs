//! The state of one render, reachable from every template function through the
//! context: what `ref` and `source` resolve to (the `Resolver`), what the render
//! found out (`Captured`), the connection `run_query` reads, and the macro calls and
//! `statement` results in progress. One Jinja environment thus serves every worker.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use duckdb::Connection;
use minijinja::value::{Object, Value};
use minijinja::{Error, ErrorKind, State};
use serde_json::Map;

use super::relation::RelationInfo;
use crate::models::node::ResourceType;
use crate::models::project::Project;

pub const CONTEXT_KEY: &str = "__ecom";

/// What every render of a project may resolve: models and seeds by name, sources.
#[derive(Debug, Default, Clone)]
pub struct Resolver {
    pub project_name: String,
    pub relations: HashMap<String, RelationInfo>,
    pub sources: HashMap<(String, String), RelationInfo>,
    pub vars: Map<String, serde_json::Value>,
    pub target_schema: String,
    /// Environment variables that `env_var` sees before the process's own (a unit
    /// test's `overrides: env_vars:`).
    pub env: HashMap<String, String>,
}

impl Resolver {
    pub fn from_project(project: &Project) -> Self {
        let relations = project
            .nodes
            .values()
            .filter(|n| n.resource_type != ResourceType::Test)
            .map(|n| {
                (
                    n.name.clone(),
                    RelationInfo {
                        unique_id: n.unique_id.clone(),
                        schema: if n.schema.is_empty() {
                            project.target_schema.clone()
                        } else {
                            n.schema.clone()
                        },
                        identifier: n.alias().to_string(),
                        ephemeral: n.config.materialized == "ephemeral",
                    },
                )
            })
            .collect();
        let sources = project
            .sources
            .iter()
            .map(|s| {
                (
                    (s.source.clone(), s.name.clone()),
                    RelationInfo {
                        unique_id: format!("source.{}.{}.{}", project.name, s.source, s.name),
                        schema: s.schema.clone(),
                        identifier: s.identifier.clone(),
                        ephemeral: false,
                    },
                )
            })
            .collect();
        Self {
            project_name: project.name.clone(),
            relations,
            sources,
            vars: project.vars.clone(),
            target_schema: project.target_schema.clone(),
            env: HashMap::new(),
        }
    }
}

/// What a render found out: dependencies and in-file configuration.
#[derive(Debug, Default, Clone)]
pub struct Captured {
    pub refs: Vec<String>,
    pub ephemerals: Vec<String>,
    pub config: Map<String, serde_json::Value>,
    pub unknown_refs: Vec<String>,
}

/// The per-render state, reachable from every function through the context.
#[derive(Debug)]
pub struct RenderContext {
    pub resolver: Arc<Resolver>,
    /// False while parsing (dbt's `execute`): `run_query` then returns nothing.
    pub execute: bool,
    pub incremental: bool,
    pub captured: Mutex<Captured>,
    pub connection: Option<Mutex<Connection>>,
    /// The macro calls in progress, innermost last.
    pub(super) frames: Mutex<Vec<Frame>>,
    /// Results of `statement` blocks, for `load_result`.
    pub(super) statements: Mutex<HashMap<String, Value>>,
}

impl Object for RenderContext {}

impl RenderContext {
    /// The package whose macro is running (the root project outside any macro).
    pub fn current_package(&self) -> String {
        self.frames
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .last()
            .map(|f| f.package.clone())
            .unwrap_or_else(|| self.resolver.project_name.clone())
    }
}

pub fn context(state: &State) -> Result<Arc<RenderContext>, Error> {
    state
        .lookup(CONTEXT_KEY)
        .and_then(|v| v.downcast_object::<RenderContext>())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                "called outside of a model render",
            )
        })
}

/// The frame of a macro call in progress: its package (for bare names) and what
/// `return()` gave.
#[derive(Debug)]
pub struct Frame {
    pub package: String,
    pub returned: Option<Value>,
}

/// A render context for a node.
pub fn render_context(
    resolver: Arc<Resolver>,
    execute: bool,
    incremental: bool,
    connection: Option<Connection>,
) -> Arc<RenderContext> {
    Arc::new(RenderContext {
        resolver,
        execute,
        incremental,
        captured: Mutex::new(Captured::default()),
        connection: connection.map(Mutex::new),
        frames: Mutex::new(Vec::new()),
        statements: Mutex::new(HashMap::new()),
    })
}
