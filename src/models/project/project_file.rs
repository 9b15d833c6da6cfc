//! `dbt_project.yml`'s settings that need more than reading: the vars a render sees,
//! the `dispatch:` orders, and the config trees with their Jinja rendered.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::yaml::{list, string_list, text_of};
use crate::models::error::ModelError;
use crate::models::jinja::functions::{env_value, var_value};

/// The vars a render of the project's nodes sees, as dbt gives them: the root
/// project's `vars:` (a map under a package's name stays one var, as in dbt), those
/// scoped to the project itself, then `--vars`. Package macros run in the calling
/// node's context, so a package's own `vars:` apply only to its own nodes, which
/// ecom does not build.
pub fn merge_vars(name: &str, file: &Value, cli: &Map<String, Value>) -> Map<String, Value> {
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
pub fn dispatch_orders(file: &Value) -> HashMap<String, Vec<String>> {
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
pub fn render_configs(
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
