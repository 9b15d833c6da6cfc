//! From a loaded project to a DAG: each model and singular test is rendered once in
//! parse mode (dbt's `execute = false`) to learn its refs, sources and in-file config;
//! disabled nodes drop out; schemas come from `generate_schema_name`; unknown refs and
//! cycles are errors that name the nodes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use minijinja::value::Value;

use super::catalog::TARGET_DATABASE;
use super::error::ModelError;
use super::jinja::{Relation, Renderer, Resolver, default_schema_name, render_context};
use super::names::close_names;
use super::node::ResourceType;
use super::project::Project;

/// A parsed project: nodes with dependencies, schemas and final configs.
pub struct Graph {
    pub project: Project,
    pub renderer: Renderer,
    pub resolver: Arc<Resolver>,
    /// Node ids in an order where every node comes after what it depends on.
    pub order: Vec<String>,
}

impl Graph {
    pub fn children(&self) -> HashMap<&str, Vec<&str>> {
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for node in self.project.nodes.values() {
            for parent in &node.depends_on {
                children
                    .entry(parent.as_str())
                    .or_default()
                    .push(node.unique_id.as_str());
            }
        }
        children
    }
}

/// Parses every node of `project`.
pub fn parse(mut project: Project) -> Result<Graph, ModelError> {
    let renderer = Renderer::new(&project)?;
    let placeholder = Arc::new(Resolver::from_project(&project));
    let ids: Vec<String> = project.nodes.keys().cloned().collect();
    for id in &ids {
        let node = &project.nodes[id];
        if node.resource_type == ResourceType::Seed
            || node.generic_test.is_some()
            || node.unit_test.is_some()
        {
            continue;
        }
        let ctx = render_context(Arc::clone(&placeholder), false, false, None);
        let this = Relation {
            schema: node
                .config
                .schema
                .clone()
                .unwrap_or_else(|| project.target_schema.clone()),
            identifier: node.alias().to_string(),
        };
        renderer.render(&node.path, &node.raw_sql, Arc::clone(&ctx), Some(this))?;
        let captured = ctx
            .captured
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(name) = captured.unknown_refs.first() {
            let names = project
                .nodes
                .values()
                .filter(|n| n.resource_type != ResourceType::Test)
                .map(|n| n.name.as_str());
            let close = close_names(name, names);
            let hint = if close.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", close.join(", "))
            };
            return Err(ModelError::project(
                &node.path,
                format!(
                    "{} `{}` refers to `{name}`, which is not a model or seed of this project{hint}",
                    node.resource_type.name(),
                    node.name
                ),
            ));
        }
        let node = project.nodes.get_mut(id).expect("id from keys");
        node.config.apply(&captured.config);
        node.depends_on.extend(captured.refs);
    }
    add_relationship_dependencies(&mut project);
    let disabled = drop_disabled(&mut project);
    link_unit_tests(&mut project, &disabled)?;
    assign_schemas(&mut project, &renderer)?;
    let resolver = Arc::new(Resolver::from_project(&project));
    let order = topological_order(&project)?;
    Ok(Graph {
        project,
        renderer,
        resolver,
        order,
    })
}

/// A relationships test also depends on the model it points `to`.
fn add_relationship_dependencies(project: &mut Project) {
    let names: HashMap<String, String> = project
        .nodes
        .values()
        .filter(|n| n.resource_type != ResourceType::Test)
        .map(|n| (n.name.clone(), n.unique_id.clone()))
        .collect();
    for node in project.nodes.values_mut() {
        let Some(test) = &node.generic_test else {
            continue;
        };
        let target = test
            .kwargs
            .get("to")
            .and_then(|v| v.as_str())
            .and_then(referenced_name)
            .and_then(|name| names.get(&name));
        if let Some(target) = target
            && !node.depends_on.contains(target)
        {
            node.depends_on.push(target.clone());
        }
    }
}

/// `ref('x')` → `x` (also `ref("pkg", "x")`).
pub fn referenced_name(expression: &str) -> Option<String> {
    let inner = expression.trim().strip_prefix("ref(")?.strip_suffix(')')?;
    inner
        .split(',')
        .next_back()
        .map(|s| s.trim().trim_matches(['\'', '"']).to_string())
}

/// A unit test runs once its model's inputs exist (dbt reads their column types), and
/// its model waits for it: under `build`, a failing unit test skips the model and what
/// sits downstream. Unit tests of disabled models go with them.
fn link_unit_tests(project: &mut Project, disabled: &BTreeSet<String>) -> Result<(), ModelError> {
    let tests: Vec<(String, String, std::path::PathBuf)> = project
        .nodes
        .values()
        .filter_map(|n| {
            let spec = n.unit_test.as_ref()?;
            Some((n.unique_id.clone(), spec.model.clone(), n.path.clone()))
        })
        .collect();
    for (id, model, path) in tests {
        let model_id = format!("model.{}.{model}", project.name);
        let Some(parents) = project.nodes.get(&model_id).map(|m| m.depends_on.clone()) else {
            if disabled.contains(&model_id) {
                project.nodes.remove(&id);
                continue;
            }
            return Err(ModelError::project(
                &path,
                format!("unit test {id} tests `{model}`, which is not a model of this project"),
            ));
        };
        project.nodes.get_mut(&id).expect("id").depends_on = parents
            .into_iter()
            .filter(|p| !p.starts_with("unit_test."))
            .collect();
        project
            .nodes
            .get_mut(&model_id)
            .expect("model")
            .depends_on
            .push(id);
    }
    Ok(())
}

/// Removes disabled nodes, and tests of disabled nodes; returns the disabled ids.
fn drop_disabled(project: &mut Project) -> BTreeSet<String> {
    let disabled: BTreeSet<String> = project
        .nodes
        .values()
        .filter(|n| !n.config.enabled)
        .map(|n| n.unique_id.clone())
        .collect();
    project.nodes.retain(|id, node| {
        let tests_disabled = node.resource_type == ResourceType::Test
            && node.depends_on.iter().any(|d| disabled.contains(d));
        !disabled.contains(id) && !tests_disabled
    });
    disabled
}

/// Each node's schema and name: a project's `generate_schema_name(custom_schema_name,
/// node)` and `generate_alias_name(custom_alias_name, node)` with the real node
/// (projects branch on `node.resource_type`, `node.fqn`), else dbt's defaults (the
/// target schema or `target_custom`; the alias or the node's name).
fn assign_schemas(project: &mut Project, renderer: &Renderer) -> Result<(), ModelError> {
    let schema_macro = renderer.registry().root_defines("generate_schema_name");
    let alias_macro = renderer.registry().root_defines("generate_alias_name");
    let database_macro = renderer.registry().root_defines("generate_database_name");
    let resolver = Arc::new(Resolver::from_project(project));
    let ids: Vec<String> = project.nodes.keys().cloned().collect();
    for id in ids {
        let node = &project.nodes[&id];
        if node.resource_type == ResourceType::Test {
            continue;
        }
        let call = |name: &str, custom: Option<String>| -> Result<String, ModelError> {
            let ctx = render_context(Arc::clone(&resolver), false, false, None);
            let args = [
                custom.map(Value::from).unwrap_or(Value::from(())),
                Value::from(minijinja::value::Serde(node_context(&project.name, node))),
            ];
            Ok(renderer
                .call(&project.name, name, &args, ctx, &node.path)?
                .trim()
                .to_string())
        };
        let schema = if schema_macro {
            call("generate_schema_name", node.config.schema.clone())?
        } else {
            default_schema_name(&project.target_schema, node.config.schema.as_deref())
        };
        let alias = if alias_macro {
            Some(call("generate_alias_name", node.config.alias.clone())?)
        } else {
            node.config.alias.clone()
        };
        // One warehouse holds every relation: a project's `generate_database_name` is
        // called with the real node, and anything but the target database is refused.
        let custom_database = node
            .config
            .extra
            .get("database")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let database = if database_macro {
            call("generate_database_name", custom_database)?
        } else {
            custom_database.unwrap_or_else(|| TARGET_DATABASE.to_string())
        };
        if !database.is_empty() && database != TARGET_DATABASE {
            return Err(ModelError::project(
                &node.path,
                format!(
                    "{} `{}` goes to database `{database}`: ecom builds every relation into its one warehouse (target.database `{TARGET_DATABASE}`); drop the `database` config or return target.database",
                    node.resource_type.name(),
                    node.name
                ),
            ));
        }
        let node = project.nodes.get_mut(&id).expect("id");
        // A snapshot's `target_schema` is used as written (dbt 1.9).
        let schema = match node
            .config
            .extra
            .get("target_schema")
            .and_then(|v| v.as_str())
        {
            Some(target) if node.resource_type == ResourceType::Snapshot => target.to_string(),
            _ => schema,
        };
        node.schema = schema;
        node.config.alias = alias.filter(|a| *a != node.name);
    }
    Ok(())
}

/// The `node` a project macro receives: the fields of dbt's manifest node that
/// naming macros read.
fn node_context(package: &str, node: &super::node::Node) -> serde_json::Value {
    serde_json::json!({
        "name": node.name,
        "unique_id": node.unique_id,
        "resource_type": node.resource_type.name(),
        "package_name": package,
        "fqn": node.fqn,
        "original_file_path": node.path.to_string_lossy(),
        "path": node.path.components().skip(1).collect::<std::path::PathBuf>().to_string_lossy(),
        "tags": node.config.tags,
        "config": node.config,
    })
}

/// Kahn's algorithm; a cycle is reported with the nodes on it.
pub fn topological_order(project: &Project) -> Result<Vec<String>, ModelError> {
    let mut indegree: BTreeMap<&str, usize> =
        project.nodes.keys().map(|k| (k.as_str(), 0)).collect();
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for node in project.nodes.values() {
        for parent in node
            .depends_on
            .iter()
            .filter(|p| project.nodes.contains_key(*p))
        {
            *indegree.get_mut(node.unique_id.as_str()).expect("node") += 1;
            children
                .entry(parent.as_str())
                .or_default()
                .push(&node.unique_id);
        }
    }
    let mut ready: Vec<&str> = indegree
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(k, _)| *k)
        .collect();
    ready.reverse();
    let mut order = Vec::new();
    while let Some(id) = ready.pop() {
        order.push(id.to_string());
        for child in children.get(id).into_iter().flatten() {
            let d = indegree.get_mut(child).expect("child");
            *d -= 1;
            if *d == 0 {
                ready.push(child);
            }
        }
    }
    if order.len() < project.nodes.len() {
        let stuck: Vec<&str> = indegree
            .iter()
            .filter(|(id, d)| **d > 0 && !order.iter().any(|o| o == *id))
            .map(|(id, _)| *id)
            .collect();
        return Err(ModelError::Graph(format!(
            "found a cycle: {} depend on each other",
            stuck.join(", ")
        )));
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_expressions() {
        assert_eq!(
            referenced_name("ref('dim_customer')").as_deref(),
            Some("dim_customer")
        );
        assert_eq!(referenced_name("ref(\"pkg\", \"x\")").as_deref(), Some("x"));
        assert_eq!(referenced_name("source('a','b')"), None);
    }
}
