//! Rendering model SQL with minijinja, with dbt's context: `ref`, `source`, `config`,
//! `this`, `is_incremental`, `var`, `env_var`, `target`, `log`, `execute`, the
//! `adapter`, `api` and `exceptions` objects and `statement`/`run_query` (`adapter`),
//! and the macros of the project and its packages (`macros`), with Python string,
//! list and dict methods (pycompat, `mutable`).
//!
//! Each package's macro files are one template; every macro is also a global
//! function and a member of its package's namespace object, so macros call each other
//! across files and packages and models use them without imports. Per-render state (captured refs and config, the node being
//! rendered, a connection for `run_query`) travels in the context as a [`RenderContext`]
//! object, so one environment serves every worker thread.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use duckdb::Connection;
use minijinja::value::{Kwargs, Object, Rest, Serde, Value};
use minijinja::{Environment, Error, ErrorKind, State};
use serde_json::Map;

use super::project::Project;
use super::{ModelError, ResourceType};

mod adapter;
pub mod macros;
mod mutable;

pub use macros::MacroFile;
use macros::Registry;

const CONTEXT_KEY: &str = "__ecom";

/// How `ref`, `source` and `this` resolve for one render.
#[derive(Debug, Clone)]
pub struct RelationInfo {
    pub unique_id: String,
    pub schema: String,
    pub identifier: String,
    pub ephemeral: bool,
}

impl RelationInfo {
    pub fn sql(&self) -> String {
        if self.ephemeral {
            cte_name(&self.identifier)
        } else {
            format!(
                "{}.{}",
                crate::warehouse::quote_ident(&self.schema),
                crate::warehouse::quote_ident(&self.identifier)
            )
        }
    }
}

/// The CTE an ephemeral model is inlined as.
pub fn cte_name(model: &str) -> String {
    format!("__dbt__cte__{model}")
}

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
    frames: Mutex<Vec<macros::Frame>>,
    /// Results of `statement` blocks, for `load_result`.
    statements: Mutex<HashMap<String, Value>>,
}

impl Object for RenderContext {}

impl RenderContext {
    /// The package whose macro is running (the root project outside any macro).
    fn current_package(&self) -> String {
        self.frames
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .last()
            .map(|f| f.package.clone())
            .unwrap_or_else(|| self.resolver.project_name.clone())
    }
}

fn context(state: &State) -> Result<Arc<RenderContext>, Error> {
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

/// `this`, `ref()`, `source()` and relations handed to macros: renders as
/// `"schema"."name"`, or as its bare CTE name for an ephemeral model (no schema). It
/// is a mapping with dbt's `metadata.type`, so packages that check for a Relation
/// (`dbt_utils._is_relation`) accept it.
#[derive(Debug)]
pub struct Relation {
    pub schema: String,
    pub identifier: String,
}

impl Relation {
    fn of(info: &RelationInfo) -> Self {
        if info.ephemeral {
            Self {
                schema: String::new(),
                identifier: info.sql(),
            }
        } else {
            Self {
                schema: info.schema.clone(),
                identifier: info.identifier.clone(),
            }
        }
    }

    fn text(&self) -> String {
        if self.schema.is_empty() {
            self.identifier.clone()
        } else {
            format!(
                "{}.{}",
                crate::warehouse::quote_ident(&self.schema),
                crate::warehouse::quote_ident(&self.identifier)
            )
        }
    }
}

impl Object for Relation {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "schema" => Some(Value::from(self.schema.clone())),
            "identifier" | "name" | "table" => Some(Value::from(self.identifier.clone())),
            "database" => Some(Value::from(crate::models::graph::TARGET_DATABASE)),
            "is_cte" => Some(Value::from(self.schema.is_empty())),
            "metadata" => Some(Value::from(Serde(
                serde_json::json!({"type": "DuckDBRelation"}),
            ))),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Str(&["database", "schema", "identifier", "metadata"])
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "render" => Ok(Value::from(self.text())),
            // Quoting and include policies: ecom always renders schema.name, quoted.
            "include" | "quote" | "incorporate" => Ok(Value::from_dyn_object(Arc::clone(self))),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

fn ref_fn(state: &State, args: Rest<String>) -> Result<Value, Error> {
    let ctx = context(state)?;
    let name = match args.0.as_slice() {
        [name] | [_, name] => name.clone(),
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "ref() takes a model name (and optionally its package)",
            ));
        }
    };
    let mut captured = ctx.captured.lock().unwrap_or_else(|e| e.into_inner());
    match ctx.resolver.relations.get(&name) {
        Some(info) => {
            if !captured.refs.contains(&info.unique_id) {
                captured.refs.push(info.unique_id.clone());
            }
            if info.ephemeral && !captured.ephemerals.contains(&info.unique_id) {
                captured.ephemerals.push(info.unique_id.clone());
            }
            Ok(Value::from_object(Relation::of(info)))
        }
        None => {
            captured.unknown_refs.push(name.clone());
            Ok(Value::from(crate::warehouse::quote_ident(&name)))
        }
    }
}

fn source_fn(state: &State, source: String, table: String) -> Result<Value, Error> {
    let ctx = context(state)?;
    let info = ctx
        .resolver
        .sources
        .get(&(source.clone(), table.clone()))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("source('{source}', '{table}') is not declared in any property file"),
            )
        })?;
    Ok(Value::from_object(Relation::of(info)))
}

fn config_fn(state: &State, kwargs: Kwargs) -> Result<Value, Error> {
    let ctx = context(state)?;
    let mut captured = ctx.captured.lock().unwrap_or_else(|e| e.into_inner());
    for key in kwargs.args() {
        let value: Value = kwargs.get(key)?;
        let json = serde_json::to_value(&value).unwrap_or(serde_json::Value::Null);
        captured.config.insert(key.to_string(), json);
    }
    Ok(Value::from(""))
}

fn var_fn(state: &State, name: String, default: Option<Value>) -> Result<Value, Error> {
    let ctx = context(state)?;
    match ctx.resolver.vars.get(&name) {
        Some(value) => Ok(Value::from(Serde(value.clone()))),
        None => default.ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "required var '{name}' is not set: give it in dbt_project.yml `vars:` or --vars"
                ),
            )
        }),
    }
}

fn env_var_fn(state: &State, name: String, default: Option<String>) -> Result<Value, Error> {
    let overridden = context(state)
        .ok()
        .and_then(|ctx| ctx.resolver.env.get(&name).cloned());
    match overridden.or_else(|| std::env::var(&name).ok()).or(default) {
        Some(value) => Ok(Value::from(value)),
        None => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("env_var('{name}') is not set and has no default"),
        )),
    }
}

fn is_incremental_fn(state: &State) -> Result<bool, Error> {
    Ok(context(state)?.incremental)
}

fn log_fn(message: Value, _info: Option<bool>) -> Value {
    tracing::info!(target: "ecom::models::jinja", "{message}");
    Value::from("")
}

/// Where each macro file starts in its package's template, for error lines.
#[derive(Debug, Clone, Default)]
struct MacroLines {
    starts: HashMap<String, Vec<(usize, PathBuf)>>,
}

impl MacroLines {
    fn locate(&self, template: &str, line: usize) -> Option<(PathBuf, usize)> {
        let (start, path) = self
            .starts
            .get(template)?
            .iter()
            .rev()
            .find(|(start, _)| *start <= line)
            .cloned()?;
        Some((path, line + 1 - start))
    }
}

/// The Jinja environment of one project.
pub struct Renderer {
    env: Environment<'static>,
    macro_lines: MacroLines,
    target: Value,
    registry: Arc<Registry>,
}

impl Renderer {
    pub fn new(project: &Project) -> Result<Self, ModelError> {
        let mut env = Environment::new();
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        // SQL is never escaped (minijinja would JSON-escape templates named *.yml).
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        let mut files = project.macros.clone();
        files.extend(macros::builtin_files());
        let mut templates: BTreeMap<String, String> = BTreeMap::new();
        let mut macro_lines = MacroLines::default();
        for file in &files {
            let name = macros::template_name(&file.package);
            let combined = templates.entry(name.clone()).or_default();
            let line = combined.matches('\n').count() + 1;
            macro_lines
                .starts
                .entry(name)
                .or_default()
                .push((line, file.path.clone()));
            combined.push_str(&macros::hide_definitions(&mutable::rewrite(&file.source)));
            combined.push('\n');
        }
        for (name, source) in templates {
            let located = macro_lines.clone();
            env.add_template_owned(name.clone(), source).map_err(|e| {
                let (path, line) = located
                    .locate(&name, e.line().unwrap_or(1))
                    .unwrap_or_else(|| (PathBuf::from(&name), e.line().unwrap_or(1)));
                ModelError::Jinja {
                    path,
                    line,
                    message: describe(&e),
                }
            })?;
        }
        let registry = Arc::new(Registry::new(
            &project.name,
            &files,
            project.dispatch.clone(),
        ));
        macros::install(&mut env, &registry);
        mutable::install(&mut env);
        // A project may override `ref`, `source` or `config` with a macro of that name
        // (calling dbt's own through `builtins`): the macro then answers the bare name.
        let builtins = [
            ("ref", Value::from_function(ref_fn)),
            ("source", Value::from_function(source_fn)),
            ("config", Value::from_function(config_fn)),
        ];
        for (name, function) in &builtins {
            if !registry.root_defines(name) {
                env.add_global(name.to_string(), function.clone());
            }
        }
        env.add_global(
            "builtins",
            Value::from(builtins.into_iter().collect::<BTreeMap<_, _>>()),
        );
        env.add_function("var", var_fn);
        env.add_function("env_var", env_var_fn);
        env.add_function("is_incremental", is_incremental_fn);
        env.add_function("log", log_fn);
        env.add_function("run_query", adapter::run_query_fn);
        env.add_function("statement", adapter::statement_fn);
        env.add_function("load_result", adapter::load_result_fn);
        env.add_function("load_relation", adapter::load_relation_fn);
        env.add_global("api", Value::from_object(adapter::Api));
        env.add_function("return", macros::return_fn);
        env.add_global("exceptions", Value::from_object(adapter::Exceptions));
        env.add_global(
            "adapter",
            Value::from_object(adapter::Adapter {
                registry: Arc::clone(&registry),
            }),
        );
        let target = Value::from(Serde(serde_json::json!({
            "name": "dev",
            "target_name": "dev",
            "schema": project.target_schema,
            "type": "duckdb",
            "database": crate::models::graph::TARGET_DATABASE,
            "profile_name": project.name,
            "threads": 1,
        })));
        env.add_global("target", target.clone());
        env.add_global("project_name", Value::from(project.name.clone()));
        Ok(Self {
            env,
            macro_lines,
            target,
            registry,
        })
    }

    fn context(
        &self,
        render: Arc<RenderContext>,
        this: Option<Relation>,
        extra: &[(&str, Value)],
    ) -> Value {
        let mut map: HashMap<String, Value> = HashMap::new();
        map.insert("execute".into(), Value::from(render.execute));
        map.insert(CONTEXT_KEY.into(), Value::from_dyn_object(render));
        map.insert("target".into(), self.target.clone());
        if let Some(this) = this {
            map.insert("this".into(), Value::from_object(this));
        }
        for (k, v) in extra {
            map.insert(k.to_string(), v.clone());
        }
        Value::from(map)
    }

    /// Renders `source` (the file at `path`) and returns the SQL.
    pub fn render(
        &self,
        path: &Path,
        source: &str,
        render: Arc<RenderContext>,
        this: Option<Relation>,
    ) -> Result<String, ModelError> {
        self.render_with(path, source, render, this, &[])
    }

    /// [`Renderer::render`] with more context values (a unit test's `this`).
    pub fn render_with(
        &self,
        path: &Path,
        source: &str,
        render: Arc<RenderContext>,
        this: Option<Relation>,
        extra: &[(&str, Value)],
    ) -> Result<String, ModelError> {
        let ctx = self.context(render, this, extra);
        let name = path.to_string_lossy();
        self.env
            .render_named_str(&name, &mutable::rewrite(source), ctx)
            .map_err(|e| self.error(path, &e))
    }

    /// Calls the macro `name` of `package` from Rust (a generic test, a naming macro).
    pub fn call(
        &self,
        package: &str,
        name: &str,
        args: &[Value],
        render: Arc<RenderContext>,
        path: &Path,
    ) -> Result<String, ModelError> {
        let ctx = self.context(Arc::clone(&render), None, &[]);
        let value = macros::invoke(&self.env, ctx, &render, package, name, args)
            .map_err(|e| self.error(path, &e))?;
        Ok(match value.as_str() {
            Some(text) => text.to_string(),
            None => value.to_string(),
        })
    }

    /// Every package's macros.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    fn error(&self, path: &Path, error: &Error) -> ModelError {
        let line = error.line().unwrap_or(1);
        let located = error
            .name()
            .and_then(|template| self.macro_lines.locate(template, line));
        let (path, line) = located.unwrap_or_else(|| (path.to_path_buf(), line));
        ModelError::Jinja {
            path,
            line,
            message: describe(error),
        }
    }
}

/// Copies `source`, giving each `{% … %}` tag to `rewrite`, which returns its
/// replacement or `None` to keep it (the pre-processing passes share this walk).
pub fn rewrite_tags(source: &str, rewrite: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("%}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let tag = &rest[start..start + end + 2];
        out.push_str(&rewrite(tag).unwrap_or_else(|| tag.to_string()));
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// A minijinja error as one sentence, with the causes of nested macro calls.
fn describe(error: &Error) -> String {
    let mut text = match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    };
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        if let Some(inner) = inner.downcast_ref::<Error>() {
            text += &format!(" ({})", inner.detail().unwrap_or_default());
        }
        source = inner.source();
    }
    text
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

/// The default `generate_schema_name`: the target schema, or `target_custom` (dbt's).
pub fn default_schema_name(target: &str, custom: Option<&str>) -> String {
    match custom {
        Some(custom) => format!("{target}_{}", custom.trim()),
        None => target.to_string(),
    }
}
