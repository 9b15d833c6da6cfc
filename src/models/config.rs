//! Node configuration and dbt's precedence: `dbt_project.yml` (by folder, deepest
//! wins) < property files (`config:`) < the model's own `config(...)`. Tags and hooks
//! accumulate across the layers, as in dbt; every other key is overridden.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A test's `severity`: a failing test fails the build, or only warns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Error,
    Warn,
}

/// The configuration of one node after every layer is applied.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NodeConfig {
    pub enabled: bool,
    pub materialized: String,
    pub schema: Option<String>,
    pub alias: Option<String>,
    pub tags: Vec<String>,
    pub unique_key: Vec<String>,
    pub incremental_strategy: Option<String>,
    pub pre_hook: Vec<String>,
    pub post_hook: Vec<String>,
    /// Tests: `error` or `warn`.
    pub severity: Severity,
    /// Seeds: column name → SQL type.
    pub column_types: Map<String, Value>,
    /// Seeds: the CSV delimiter (`,` by default).
    pub delimiter: Option<String>,
    /// Seeds: quote column names in the created table (dbt's `quote_columns`).
    pub quote_columns: Option<bool>,
    /// Seeds: `duckdb` types them with DuckDB's CSV sniffer instead of as dbt does.
    pub infer: Option<String>,
    /// Tests: an extra filter on the tested relation.
    #[serde(rename = "where")]
    pub where_clause: Option<String>,
    pub full_refresh: Option<bool>,
    /// Every other key, as written (a snapshot's `strategy`, `updated_at`, …).
    #[serde(skip)]
    pub extra: Map<String, Value>,
}

impl NodeConfig {
    pub fn new(materialized: &str) -> Self {
        Self {
            enabled: true,
            materialized: materialized.into(),
            schema: None,
            alias: None,
            tags: Vec::new(),
            unique_key: Vec::new(),
            incremental_strategy: None,
            pre_hook: Vec::new(),
            post_hook: Vec::new(),
            severity: Severity::Error,
            column_types: Map::new(),
            delimiter: None,
            quote_columns: None,
            infer: None,
            where_clause: None,
            full_refresh: None,
            extra: Map::new(),
        }
    }

    /// Whether an incremental model is rebuilt from scratch: the model's own
    /// `full_refresh` config wins over the `--full-refresh` flag, as in dbt.
    pub fn rebuilds(&self, full_refresh_flag: bool) -> bool {
        self.full_refresh.unwrap_or(full_refresh_flag)
    }

    /// Whether an incremental run deletes the rows it replaces (`unique_key` with the
    /// `delete+insert` strategy, dbt-duckdb's default; `append` never deletes).
    pub fn deletes_replaced_rows(&self) -> bool {
        !self.unique_key.is_empty() && self.incremental_strategy.as_deref() != Some("append")
    }

    /// Applies one layer of keys (with or without dbt's `+` prefix; `-` or `_`).
    pub fn apply(&mut self, layer: &Map<String, Value>) {
        for (key, value) in layer {
            let key = key.trim_start_matches('+').replace('-', "_");
            match key.as_str() {
                "enabled" => self.enabled = truthy(value),
                "materialized" => {
                    if let Some(s) = value.as_str() {
                        self.materialized = s.to_string();
                    }
                }
                "schema" => self.schema = text(value),
                "alias" => self.alias = text(value),
                "tags" => {
                    for tag in strings(value) {
                        if !self.tags.contains(&tag) {
                            self.tags.push(tag);
                        }
                    }
                }
                "unique_key" => self.unique_key = strings(value),
                "incremental_strategy" => self.incremental_strategy = text(value),
                "pre_hook" => self.pre_hook.extend(hooks(value)),
                "post_hook" => self.post_hook.extend(hooks(value)),
                "severity" => {
                    if let Some(s) = value.as_str() {
                        self.severity = serde_json::from_value(Value::from(s.to_ascii_lowercase()))
                            .unwrap_or_default();
                    }
                }
                "column_types" => {
                    if let Some(map) = value.as_object() {
                        self.column_types.extend(map.clone());
                    }
                }
                "delimiter" => self.delimiter = text(value),
                "quote_columns" => self.quote_columns = Some(truthy(value)),
                "infer" => self.infer = text(value),
                "where" => self.where_clause = text(value),
                "full_refresh" => self.full_refresh = value.as_bool(),
                _ => {
                    self.extra.insert(key, value.clone());
                }
            }
        }
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => !matches!(s.to_ascii_lowercase().as_str(), "false" | "no" | "0" | ""),
        Value::Null => false,
        _ => true,
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(text).collect(),
        Value::Null => Vec::new(),
        other => text(other).into_iter().collect(),
    }
}

fn hooks(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().flat_map(hooks).collect(),
        Value::Object(map) => map.get("sql").and_then(text).into_iter().collect(),
        other => text(other).into_iter().collect(),
    }
}

/// The layers that `dbt_project.yml` gives a node at `fqn` (`[project, folder…, name]`):
/// from the top of `models:` (or `seeds:`) down the folders, keys with `+` or plain
/// config keys at each level.
pub fn project_layers<'a>(tree: &'a Value, fqn: &[String]) -> Vec<Map<String, Value>> {
    let mut layers = Vec::new();
    let mut level = Some(tree);
    let mut push_configs = |node: &'a Value| {
        if let Some(map) = node.as_object() {
            let layer: Map<String, Value> = map
                .iter()
                .filter(|(k, v)| k.starts_with('+') || !v.is_object())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            layers.push(layer);
        }
    };
    for segment in fqn {
        let Some(node) = level else { break };
        push_configs(node);
        level = node.get(segment).filter(|v| v.is_object());
    }
    if let Some(node) = level {
        push_configs(node);
    }
    layers
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn full_refresh_and_strategy_follow_dbt() {
        let mut config = NodeConfig::new("incremental");
        assert!(config.rebuilds(true) && !config.rebuilds(false));
        config.full_refresh = Some(false);
        assert!(
            !config.rebuilds(true),
            "full_refresh: false protects the model"
        );
        assert!(!config.deletes_replaced_rows());
        config.unique_key = vec!["id".into()];
        assert!(config.deletes_replaced_rows());
        config.incremental_strategy = Some("append".into());
        assert!(!config.deletes_replaced_rows());
    }

    #[test]
    fn deepest_folder_wins_and_tags_accumulate() {
        let tree = json!({
            "+materialized": "view",
            "shop": {
                "+tags": ["a"],
                "marts": {"+materialized": "table", "+tags": "b", "+schema": "marts"}
            }
        });
        let fqn: Vec<String> = ["shop", "marts", "fact"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut config = NodeConfig::new("view");
        for layer in project_layers(&tree, &fqn) {
            config.apply(&layer);
        }
        assert_eq!(config.materialized, "table");
        assert_eq!(config.schema.as_deref(), Some("marts"));
        assert_eq!(config.tags, vec!["a", "b"]);
        let mut file_layer = Map::new();
        file_layer.insert("materialized".into(), json!("incremental"));
        file_layer.insert("unique_key".into(), json!("id"));
        file_layer.insert("post-hook".into(), json!(["select 1"]));
        config.apply(&file_layer);
        assert_eq!(config.materialized, "incremental");
        assert_eq!(config.unique_key, vec!["id"]);
        assert_eq!(config.post_hook, vec!["select 1"]);
    }
}
