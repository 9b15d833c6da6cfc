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

//!
//! `render_state` is that per-render state, `relation` what `ref`, `source` and
//! `this` give, `functions` dbt's context functions, `tags` the pre-processing of
//! sources; this file builds the environment and renders with it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::{Serde, Value};
use minijinja::{Environment, Error};

use super::error::ModelError;
use super::project::Project;

mod adapter;
pub mod functions;
pub mod macros;
mod mutable;
mod relation;
mod render_state;
pub mod tags;

use functions::{config_fn, env_var_fn, is_incremental_fn, log_fn, ref_fn, source_fn, var_fn};
pub use macros::MacroFile;
use macros::Registry;
pub use relation::{Relation, RelationInfo, cte_name};
use render_state::CONTEXT_KEY;
pub use render_state::{Captured, RenderContext, Resolver, render_context};

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
            "database": crate::models::catalog::TARGET_DATABASE,
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

/// The default `generate_schema_name`: the target schema, or `target_custom` (dbt's).
pub fn default_schema_name(target: &str, custom: Option<&str>) -> String {
    match custom {
        Some(custom) => format!("{target}_{}", custom.trim()),
        None => target.to_string(),
    }
}
