//! dbt's context functions: `ref`, `source`, `config`, `var`, `env_var`,
//! `is_incremental` and `log`. `var` and `env_var` also answer while
//! `dbt_project.yml`'s configs are rendered, through [`var_value`] and [`env_value`].

use minijinja::value::{Kwargs, Rest, Serde, Value};
use minijinja::{Error, ErrorKind, State};

use serde_json::Map;

use super::relation::Relation;
use super::render_state::context;

pub fn ref_fn(state: &State, args: Rest<String>) -> Result<Value, Error> {
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

pub fn source_fn(state: &State, source: String, table: String) -> Result<Value, Error> {
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

pub fn config_fn(state: &State, kwargs: Kwargs) -> Result<Value, Error> {
    let ctx = context(state)?;
    let mut captured = ctx.captured.lock().unwrap_or_else(|e| e.into_inner());
    for key in kwargs.args() {
        let value: Value = kwargs.get(key)?;
        let json = serde_json::to_value(&value).unwrap_or(serde_json::Value::Null);
        captured.config.insert(key.to_string(), json);
    }
    Ok(Value::from(""))
}

pub fn var_fn(state: &State, name: String, default: Option<Value>) -> Result<Value, Error> {
    var_value(&context(state)?.resolver.vars, &name, default)
}

/// `var(name, default)` over `vars`: the var, else the default, else an error.
pub fn var_value(
    vars: &Map<String, serde_json::Value>,
    name: &str,
    default: Option<Value>,
) -> Result<Value, Error> {
    match vars.get(name) {
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

pub fn env_var_fn(state: &State, name: String, default: Option<String>) -> Result<Value, Error> {
    let overridden = context(state)
        .ok()
        .and_then(|ctx| ctx.resolver.env.get(&name).cloned());
    env_value(overridden, &name, default)
}

/// `env_var(name, default)`: `overridden` (a unit test's `env_vars:`), else the
/// process's environment, else the default, else an error.
pub fn env_value(
    overridden: Option<String>,
    name: &str,
    default: Option<String>,
) -> Result<Value, Error> {
    match overridden.or_else(|| std::env::var(name).ok()).or(default) {
        Some(value) => Ok(Value::from(value)),
        None => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("env_var('{name}') is not set and has no default"),
        )),
    }
}

pub fn is_incremental_fn(state: &State) -> Result<bool, Error> {
    Ok(context(state)?.incremental)
}

pub fn log_fn(message: Value, _info: Option<bool>) -> Value {
    tracing::info!(target: "ecom::models::jinja", "{message}");
    Value::from("")
}
