//! Reading a dbt project from disk: `dbt_project.yml`, models, property files, seeds,
//! macros and singular tests. Configs from the project file and the property files are
//! applied here; the models' own `config()` calls are applied when they are parsed.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::config::{NodeConfig, project_layers};
use super::jinja::MacroFile;
use super::jinja::functions::{env_value, var_value};
use super::jinja::tags::{macro_names, preprocess_macros};
use super::{GenericTest, ModelError, Node, ResourceType, packages};

/// A table declared under `sources:`.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceTable {
    pub source: String,
    pub name: String,
    pub schema: String,
    pub identifier: String,
    /// What `ecom models source freshness` checks, if anything.
    pub freshness: Option<super::freshness::Freshness>,
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

fn read_yaml(path: &Path) -> Result<Value, ModelError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ModelError::project(path, format!("cannot read it: {e}")))?;
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_norway::from_str(&text).map_err(|e| ModelError::project(path, e.to_string()))
}

fn string_list(value: Option<&Value>, default: &str) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![default.to_string()],
    }
}

/// Files under `dir` with one of `extensions`, sorted, as paths relative to `root`.
fn files_under(root: &Path, dir: &str, extensions: &[&str]) -> Vec<PathBuf> {
    fn walk(path: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for entry in entries {
            if entry.is_dir() {
                walk(&entry, extensions, out);
            } else if entry
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
            {
                out.push(entry);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root.join(dir), extensions, &mut out);
    out.into_iter()
        .filter_map(|p| p.strip_prefix(root).ok().map(Path::to_path_buf))
        .collect()
}

/// The `{% snapshot name %}…{% endsnapshot %}` blocks of a file: name and body.
fn snapshot_blocks(source: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        let Some(end) = rest[start..].find("%}") else {
            break;
        };
        let tag = rest[start + 2..start + end].trim_matches('-').trim();
        rest = &rest[start + end + 2..];
        let Some(name) = tag.strip_prefix("snapshot ") else {
            continue;
        };
        let mut body_end = rest.len();
        let mut after = "";
        let mut search = rest;
        let mut offset = 0;
        while let Some(open) = search.find("{%") {
            let Some(close) = search[open..].find("%}") else {
                break;
            };
            let inner = search[open + 2..open + close].trim_matches('-').trim();
            if inner == "endsnapshot" {
                body_end = offset + open;
                after = &search[open + close + 2..];
                break;
            }
            offset += open + close + 2;
            search = &search[open + close + 2..];
        }
        blocks.push((name.trim().to_string(), rest[..body_end].to_string()));
        rest = after;
    }
    blocks
}

impl Project {
    /// Loads the project in `root`.
    pub fn load(root: &Path, options: &LoadOptions) -> Result<Self, ModelError> {
        let project_file = root.join("dbt_project.yml");
        if !project_file.is_file() {
            return Err(ModelError::project(
                &project_file,
                "no dbt_project.yml here: pass --project DIR with a dbt project, or `ecom models init DIR` to start one",
            ));
        }
        let file = read_yaml(&project_file)?;
        let name = text_of(&file, "name")
            .ok_or_else(|| ModelError::project(&project_file, "the project has no `name`"))?
            .to_string();
        let installed = packages::installed(&packages::install_dir(root, &file))?;
        let vars = merge_vars(&name, &file, &options.vars);
        let hooks = |key: &str| -> Vec<String> {
            match file.get(key) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                Some(Value::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            }
        };
        let target_dir = root.join(text_of(&file, "target-path").unwrap_or("target"));
        let mut project = Project {
            root: root.to_path_buf(),
            name,
            vars,
            on_run_start: hooks("on-run-start"),
            on_run_end: hooks("on-run-end"),
            macros: Vec::new(),
            dispatch: dispatch_orders(&file),
            nodes: BTreeMap::new(),
            sources: Vec::new(),
            semantic: Vec::new(),
            target_schema: options
                .target_schema
                .clone()
                .unwrap_or_else(|| "main".into()),
            target_dir,
            fixture_dirs: Vec::new(),
        };
        let model_paths = string_list(
            file.get("model-paths").or(file.get("source-paths")),
            "models",
        );
        let seed_paths = string_list(file.get("seed-paths").or(file.get("data-paths")), "seeds");
        let test_paths = string_list(file.get("test-paths"), "tests");
        project.fixture_dirs = test_paths
            .iter()
            .map(|t| root.join(t).join("fixtures"))
            .collect();
        let macro_paths = string_list(file.get("macro-paths"), "macros");
        let snapshot_paths = string_list(file.get("snapshot-paths"), "snapshots");
        let configs = render_configs(&file, &project.vars, &project.target_schema)?;
        let empty = Value::Null;
        let model_tree = configs.get("models").unwrap_or(&empty);
        let seed_tree = configs.get("seeds").unwrap_or(&empty);
        let test_tree = configs
            .get("data_tests")
            .or(configs.get("tests"))
            .unwrap_or(&empty);
        let snapshot_tree = configs.get("snapshots").unwrap_or(&empty);

        project.read_macros(root, &project.name.clone(), &macro_paths)?;
        for package in &installed {
            let paths = string_list(package.project_file.get("macro-paths"), "macros");
            project.read_macros(&package.root, &package.name, &paths)?;
        }
        for dir in &model_paths {
            for path in files_under(root, dir, &["sql"]) {
                let node =
                    project.file_node(&path, dir, ResourceType::Model, "view", model_tree)?;
                project.insert(node)?;
            }
        }
        for dir in &seed_paths {
            for path in files_under(root, dir, &["csv"]) {
                let node = project.file_node(&path, dir, ResourceType::Seed, "seed", seed_tree)?;
                project.insert(node)?;
            }
        }
        for dir in &test_paths {
            // `<test-path>/fixtures/` holds unit-test fixtures, not singular tests.
            let fixtures = Path::new(dir).join("fixtures");
            for path in files_under(root, dir, &["sql"])
                .into_iter()
                .filter(|p| !p.starts_with(&fixtures))
            {
                let node = project.file_node(&path, dir, ResourceType::Test, "test", test_tree)?;
                project.insert(node)?;
            }
        }
        for dir in &snapshot_paths {
            for path in files_under(root, dir, &["sql"]) {
                let source = std::fs::read_to_string(root.join(&path))?;
                for (name, body) in snapshot_blocks(&source) {
                    let mut fqn = vec![project.name.clone()];
                    fqn.extend(
                        path.strip_prefix(dir)
                            .unwrap_or(&path)
                            .with_extension("")
                            .iter()
                            .map(|s| s.to_string_lossy().to_string()),
                    );
                    fqn.push(name.clone());
                    let node = project.snapshot_node(&path, name, fqn, body, snapshot_tree);
                    project.insert(node)?;
                }
            }
        }
        for dir in model_paths.iter().chain(&seed_paths).chain(&snapshot_paths) {
            for path in files_under(root, dir, &["yml", "yaml"]) {
                let doc = read_yaml(&root.join(&path))?;
                project.apply_properties(&path, &doc, test_tree)?;
                for entry in list(&doc, "snapshots") {
                    let (Some(name), Some(relation)) =
                        (text_of(entry, "name"), text_of(entry, "relation"))
                    else {
                        continue;
                    };
                    let mut fqn = vec![project.name.clone()];
                    fqn.extend(
                        path.strip_prefix(dir)
                            .unwrap_or(&path)
                            .parent()
                            .into_iter()
                            .flat_map(|p| p.iter().map(|s| s.to_string_lossy().to_string())),
                    );
                    fqn.push(name.to_string());
                    let body = format!("select * from {{{{ {relation} }}}}");
                    let mut node =
                        project.snapshot_node(&path, name.to_string(), fqn, body, snapshot_tree);
                    if let Some(config) = entry.get("config").and_then(Value::as_object) {
                        node.config.apply(config);
                    }
                    project.insert(node)?;
                }
            }
        }
        Ok(project)
    }

    /// The macro files under `dirs` of the package `package` rooted at `root`.
    fn read_macros(
        &mut self,
        root: &Path,
        package: &str,
        dirs: &[String],
    ) -> Result<(), ModelError> {
        for dir in dirs {
            for path in files_under(root, dir, &["sql"]) {
                let full = root.join(&path);
                let text = std::fs::read_to_string(&full)
                    .map_err(|e| ModelError::project(&full, format!("cannot read it: {e}")))?;
                let source = preprocess_macros(&text);
                let names = macro_names(&source);
                self.macros.push(MacroFile {
                    package: package.to_string(),
                    path: if package == self.name { path } else { full },
                    source,
                    names,
                });
            }
        }
        Ok(())
    }

    fn insert(&mut self, node: Node) -> Result<(), ModelError> {
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

    /// A model, seed or singular test read from its file.
    fn file_node(
        &self,
        path: &Path,
        base: &str,
        resource_type: ResourceType,
        default_materialized: &str,
        tree: &Value,
    ) -> Result<Node, ModelError> {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let folders: Vec<String> = path
            .strip_prefix(base)
            .unwrap_or(path)
            .parent()
            .map(|p| p.iter().map(|s| s.to_string_lossy().to_string()).collect())
            .unwrap_or_default();
        let mut fqn = vec![self.name.clone()];
        fqn.extend(folders);
        fqn.push(name.clone());
        let mut config = NodeConfig::new(default_materialized);
        for layer in project_layers(tree, &fqn) {
            config.apply(&layer);
        }
        let raw_sql = if resource_type == ResourceType::Seed {
            String::new()
        } else {
            std::fs::read_to_string(self.root.join(path))?
        };
        let unique_id = format!("{}.{}.{}", resource_type.name(), self.name, name);
        Ok(Node::new(
            unique_id,
            name,
            resource_type,
            path,
            fqn,
            raw_sql,
            config,
        ))
    }

    /// Applies one property file: configs, descriptions, sources and generic tests.
    fn apply_properties(
        &mut self,
        path: &Path,
        doc: &Value,
        test_tree: &Value,
    ) -> Result<(), ModelError> {
        for source in list(doc, "sources") {
            let source_name = text_of(source, "name").unwrap_or_default();
            let schema = text_of(source, "schema").unwrap_or(source_name);
            for table in list(source, "tables") {
                let name = text_of(table, "name").unwrap_or_default();
                self.sources.push(SourceTable {
                    source: source_name.to_string(),
                    name: name.to_string(),
                    schema: schema.to_string(),
                    identifier: text_of(table, "identifier").unwrap_or(name).to_string(),
                    freshness: super::freshness::rule(source, table),
                });
                let source_id = format!("source.{}.{source_name}.{name}", self.name);
                let label = format!("source_{{}}_{source_name}_{name}");
                for (column, spec) in entry_tests(table) {
                    let node =
                        self.generic_test_node(path, &source_id, &label, column, &spec, test_tree)?;
                    self.insert(node)?;
                }
            }
        }
        for entry in list(doc, "unit_tests") {
            let (name, spec) = super::unit_tests::read(entry, &self.fixture_dirs, path)?;
            let unique_id = format!("unit_test.{}.{}.{name}", self.name, spec.model);
            let mut config = NodeConfig::new("unit");
            if let Some(layer) = entry.get("config").and_then(Value::as_object) {
                config.apply(layer);
            }
            let fqn = vec![self.name.clone(), spec.model.clone(), name.clone()];
            let mut node = Node::new(
                unique_id,
                name,
                ResourceType::Test,
                path,
                fqn,
                String::new(),
                config,
            );
            node.unit_test = Some(spec);
            self.insert(node)?;
        }
        for (key, kind) in [
            ("semantic_models", "semantic_model"),
            ("metrics", "metric"),
            ("saved_queries", "saved_query"),
        ] {
            for entry in list(doc, key) {
                if let Some(name) = text_of(entry, "name") {
                    self.semantic.push(SemanticEntry {
                        resource_type: kind,
                        name: name.to_string(),
                        unique_id: format!("{kind}.{}.{name}", self.name),
                        path: path.to_path_buf(),
                    });
                }
            }
        }
        for (key, resource) in [
            ("models", ResourceType::Model),
            ("seeds", ResourceType::Seed),
        ] {
            for entry in doc.get(key).and_then(Value::as_array).into_iter().flatten() {
                let Some(name) = text_of(entry, "name") else {
                    continue;
                };
                let unique_id = format!("{}.{}.{name}", resource.name(), self.name);
                let Some(node) = self.nodes.get_mut(&unique_id) else {
                    tracing::warn!(file = %path.display(), name, "properties for an unknown {key} entry");
                    continue;
                };
                if let Some(config) = entry.get("config").and_then(Value::as_object) {
                    node.config.apply(config);
                }
                if let Some(text) = text_of(entry, "description") {
                    node.description = text.to_string();
                }
                let label = format!("{{}}_{name}");
                for (column, spec) in entry_tests(entry) {
                    let node =
                        self.generic_test_node(path, &unique_id, &label, column, &spec, test_tree)?;
                    self.insert(node)?;
                }
            }
        }
        Ok(())
    }

    /// A generic test node; `label` is its name with `{}` where the test's name goes
    /// (`{}_orders`, `source_{}_raw_lines`), as dbt names them.
    fn generic_test_node(
        &self,
        path: &Path,
        attached_to: &str,
        label: &str,
        column: Option<String>,
        spec: &Value,
        test_tree: &Value,
    ) -> Result<Node, ModelError> {
        let (test_name, mut kwargs) = match spec {
            Value::String(name) => (name.clone(), Map::new()),
            Value::Object(map) if map.len() == 1 => {
                let (name, args) = map.iter().next().expect("one entry");
                (name.clone(), args.as_object().cloned().unwrap_or_default())
            }
            other => {
                return Err(ModelError::project(
                    path,
                    format!("cannot read the test {other} of {attached_to}"),
                ));
            }
        };
        // `dbt_utils.expression_is_true`: the package's test, named with its prefix.
        let (namespace, test_name) = match test_name.split_once('.') {
            Some((namespace, name)) => (Some(namespace.to_string()), name.to_string()),
            None => (None, test_name),
        };
        let prefixed = match &namespace {
            Some(namespace) => format!("{namespace}_{test_name}"),
            None => test_name.clone(),
        };
        if let Some(Value::Object(arguments)) = kwargs.remove("arguments") {
            kwargs.extend(arguments);
        }
        let mut config = NodeConfig::new("test");
        for layer in project_layers(test_tree, std::slice::from_ref(&self.name)) {
            config.apply(&layer);
        }
        if let Some(Value::Object(layer)) = kwargs.remove("config") {
            config.apply(&layer);
        }
        for key in ["severity", "where", "tags"] {
            if let Some(value) = kwargs.remove(key) {
                let mut layer = Map::new();
                layer.insert(key.into(), value);
                config.apply(&layer);
            }
        }
        // dbt's name: test, model, then every argument (column_name included) in key order.
        let mut naming: BTreeMap<&str, &Value> =
            kwargs.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let column_value = column.clone().map(Value::String);
        if let Some(column) = &column_value {
            naming.insert("column_name", column);
        }
        let args: Vec<String> = naming
            .values()
            .map(|v| match v {
                Value::Array(items) => items
                    .iter()
                    .map(|i| sanitize(&python_text(i)))
                    .collect::<Vec<_>>()
                    .join("__"),
                other => sanitize(&python_text(other)),
            })
            .collect();
        let mut name = label.replace("{}", &prefixed);
        if !args.is_empty() {
            name += &format!("_{}", args.join("__"));
        }
        let hash = blake3::hash(format!("{attached_to}{column:?}{spec}").as_bytes()).to_hex();
        let unique_id = format!("test.{}.{name}.{}", self.name, &hash[..10]);
        let fqn = vec![self.name.clone(), test_name.clone(), name.clone()];
        let mut node = Node::new(
            unique_id,
            name,
            ResourceType::Test,
            path,
            fqn,
            String::new(),
            config,
        );
        node.depends_on = vec![attached_to.to_string()];
        node.generic_test = Some(GenericTest {
            namespace,
            test_name,
            attached_to: attached_to.to_string(),
            column,
            kwargs,
        });
        Ok(node)
    }

    /// A snapshot node (its query is `body`).
    fn snapshot_node(
        &self,
        path: &Path,
        name: String,
        fqn: Vec<String>,
        body: String,
        tree: &Value,
    ) -> Node {
        let mut config = NodeConfig::new("snapshot");
        for layer in project_layers(tree, &fqn) {
            config.apply(&layer);
        }
        let unique_id = format!("snapshot.{}.{name}", self.name);
        Node::new(
            unique_id,
            name,
            ResourceType::Snapshot,
            path,
            fqn,
            body,
            config,
        )
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

/// The vars a render of the project's nodes sees, as dbt gives them: the root
/// project's `vars:` (a map under a package's name stays one var, as in dbt), those
/// scoped to the project itself, then `--vars`. Package macros run in the calling
/// node's context, so a package's own `vars:` apply only to its own nodes, which
/// ecom does not build.
fn merge_vars(name: &str, file: &Value, cli: &Map<String, Value>) -> Map<String, Value> {
    let mut vars = file
        .get("vars")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(Value::Object(scoped)) = vars.remove(name) {
        vars.extend(scoped);
    }
    vars.extend(cli.clone());
    vars
}

/// The root project's `dispatch:` list as namespace → search order.
fn dispatch_orders(file: &Value) -> HashMap<String, Vec<String>> {
    list(file, "dispatch")
        .filter_map(|entry| {
            let namespace = text_of(entry, "macro_namespace")?;
            let order = string_list(entry.get("search_order"), namespace);
            Some((namespace.to_string(), order))
        })
        .collect()
}

/// The config trees of `dbt_project.yml` with their Jinja rendered (`+enabled: "{{
/// var('load_source_data', false) }}"`), as dbt renders them: `var`, `env_var` and
/// `target` are known, and a rendered `True`/`False`/number becomes that value.
fn render_configs(
    file: &Value,
    vars: &Map<String, Value>,
    schema: &str,
) -> Result<Value, ModelError> {
    let mut env = minijinja::Environment::new();
    let vars = vars.clone();
    env.add_function(
        "var",
        move |name: String, default: Option<minijinja::Value>| var_value(&vars, &name, default),
    );
    env.add_function("env_var", |name: String, default: Option<String>| {
        env_value(None, &name, default)
    });
    env.add_global(
        "target",
        minijinja::Value::from(minijinja::value::Serde(
            serde_json::json!({"name": "dev", "schema": schema, "type": "duckdb"}),
        )),
    );
    let mut configs = Map::new();
    for key in ["models", "seeds", "data_tests", "tests", "snapshots"] {
        if let Some(tree) = file.get(key) {
            configs.insert(key.to_string(), render_value(&env, tree)?);
        }
    }
    Ok(Value::Object(configs))
}

fn render_value(env: &minijinja::Environment, value: &Value) -> Result<Value, ModelError> {
    Ok(match value {
        Value::String(text) if text.contains("{{") || text.contains("{%") => {
            let rendered = env.render_str(text, ()).map_err(|e| {
                ModelError::project(
                    Path::new("dbt_project.yml"),
                    format!("cannot render `{text}`: {e}"),
                )
            })?;
            match rendered.trim() {
                "True" | "true" => Value::Bool(true),
                "False" | "false" => Value::Bool(false),
                other => other
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::String(rendered.clone())),
            }
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_value(env, v)?)))
                .collect::<Result<_, ModelError>>()?,
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_value(env, v))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

/// The items of a list under `key` (none when absent or not a list).
fn list<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The text under `key`, when it is text.
fn text_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// `(column, spec)` for the tests of an entry and of its columns.
fn entry_tests(entry: &Value) -> Vec<(Option<String>, Value)> {
    let mut tests: Vec<(Option<String>, Value)> =
        test_specs(entry).into_iter().map(|s| (None, s)).collect();
    for column in list(entry, "columns") {
        let name = text_of(column, "name").unwrap_or_default();
        tests.extend(
            test_specs(column)
                .into_iter()
                .map(|s| (Some(name.to_string()), s)),
        );
    }
    tests
}

/// A test argument as dbt spells it in test names (Python's `str()`).
fn python_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

/// `tests:` and `data_tests:` entries of a model or column.
fn test_specs(entry: &Value) -> Vec<Value> {
    ["tests", "data_tests"]
        .iter()
        .filter_map(|k| entry.get(*k).and_then(Value::as_array))
        .flatten()
        .cloned()
        .collect()
}

/// Runs of anything but letters and digits become one `_`, as in dbt's test names.
fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}
