//! Property files (`models/*.yml`): sources, configs and descriptions of models and
//! seeds, their generic tests (named and hashed as dbt names them), unit tests and the
//! semantic layer's entries.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::types::{Project, SemanticEntry, SourceTable};
use super::yaml::{list, text_of};
use crate::models::config::{NodeConfig, project_layers};
use crate::models::error::ModelError;
use crate::models::node::{GenericTest, Node, ResourceType};

impl Project {
    /// Applies one property file: configs, descriptions, sources and generic tests.
    pub(super) fn apply_properties(
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
                    freshness: crate::models::freshness::rules::rule(source, table),
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
            let (name, spec) = crate::models::unit_tests::read(entry, &self.fixture_dirs, path)?;
            let unique_id = format!("unit_test.{}.{}.{name}", self.name, spec.model);
            let mut config = NodeConfig::new("unit");
            if let Some(layer) = entry.get("config").and_then(Value::as_object) {
                config.apply(layer);
            }
            let fqn = vec![self.name.clone(), spec.model.clone(), name.clone()];
            let mut node = Node::test(unique_id, name, path, fqn, config);
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
        let mut node = Node::test(unique_id, name, path, fqn, config);
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
