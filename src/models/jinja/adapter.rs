//! What dbt's Jinja context offers beyond rendering: the `adapter` object (dispatch,
//! quoting, relations and their columns), `statement` blocks with `load_result`,
//! `run_query`, and `exceptions`. Each reads the warehouse through the render's own
//! connection, and only when executing (dbt's `execute`): while parsing they give
//! what dbt gives then (nothing, `None`).

use std::collections::HashMap;
use std::sync::Arc;

use duckdb::Connection;

use crate::warehouse::WarehouseError;
use minijinja::value::{Kwargs, Object, Serde, Value, from_args};
use minijinja::{Error, ErrorKind, State};

use super::macros::{self, Registry};
use super::relation::{Relation, cte_name};
use super::render_state::context;
use crate::models::catalog::relation_columns;

/// `read` on the render's connection; `None` while parsing.
fn with_connection<T>(
    state: &State,
    read: impl FnOnce(&Connection) -> Result<T, Error>,
) -> Result<Option<T>, Error> {
    let ctx = context(state)?;
    let Some(conn) = ctx.connection.as_ref().filter(|_| ctx.execute) else {
        return Ok(None);
    };
    let conn = conn.lock().unwrap_or_else(|e| e.into_inner());
    read(&conn).map(Some)
}

/// Runs `sql` on the render's connection; `None` while parsing.
fn query(state: &State, sql: &str) -> Result<Option<QueryTable>, Error> {
    with_connection(state, |conn| table(conn, sql))
}

fn table(conn: &Connection, sql: &str) -> Result<QueryTable, Error> {
    let mut rows: Vec<Vec<serde_json::Value>> = Vec::new();
    let schema = crate::warehouse::query::stream_batches::<WarehouseError>(conn, sql, |batch| {
        rows.extend(crate::warehouse::query::batch_to_json_rows(batch));
        Ok(())
    })
    .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("query failed: {e:#}")))?;
    let names = schema.fields().iter().map(|f| f.name().clone()).collect();
    Ok(QueryTable { names, rows })
}

/// `run_query(sql)`: rows and columns of a query, for macros that read the warehouse.
pub fn run_query_fn(state: &State, sql: String) -> Result<Value, Error> {
    Ok(query(state, &sql)?
        .map(Value::from_object)
        .unwrap_or(Value::from(())))
}

/// `{% call statement(name, fetch_result=True) %}SQL{% endcall %}`: runs the block's
/// SQL when executing and keeps the result for `load_result(name)`.
pub fn statement_fn(
    state: &mut State,
    name: Option<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let caller: Value = kwargs.get("caller")?;
    let fetch: Option<bool> = kwargs.get("fetch_result")?;
    for key in ["auto_begin", "language"] {
        let _: Option<Value> = kwargs.get(key)?;
    }
    kwargs.assert_all_used()?;
    let sql = caller.call(state, &[])?;
    let Some(result) = query(state, &sql.to_string())? else {
        return Ok(Value::from(""));
    };
    let ctx = context(state)?;
    let data: Vec<Value> = if fetch.unwrap_or(false) {
        result
            .rows
            .iter()
            .map(|row| {
                Value::from(
                    row.iter()
                        .map(|v| Value::from(Serde(v.clone())))
                        .collect::<Vec<_>>(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let loaded = Value::from(HashMap::from([
        ("data".to_string(), Value::from(data)),
        ("table".to_string(), Value::from_object(result)),
        ("response".to_string(), Value::from("OK")),
    ]));
    ctx.statements
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.unwrap_or_else(|| "main".into()), loaded);
    Ok(Value::from(""))
}

/// `load_result(name)`: what the statement of that name returned (`None` while
/// parsing, as in dbt).
pub fn load_result_fn(state: &State, name: String) -> Result<Value, Error> {
    let ctx = context(state)?;
    let statements = ctx.statements.lock().unwrap_or_else(|e| e.into_inner());
    Ok(statements.get(&name).cloned().unwrap_or(Value::from(())))
}

/// Whether `schema.identifier` exists (false while parsing).
fn exists(state: &State, schema: &str, identifier: &str) -> Result<bool, Error> {
    let sql = format!(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = {} AND table_name = {}",
        crate::warehouse::quote_literal(schema),
        crate::warehouse::quote_literal(identifier)
    );
    Ok(query(state, &sql)?.is_some_and(|found| !found.rows.is_empty()))
}

/// `load_relation(relation)`: the relation when it exists in the warehouse, else none.
pub fn load_relation_fn(state: &State, relation: Value) -> Result<Value, Error> {
    let field = |key: &str| {
        relation
            .get_attr(key)
            .ok()
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    Ok(if exists(state, &field("schema"), &field("identifier"))? {
        relation
    } else {
        Value::from(())
    })
}

/// dbt's `api`: `api.Relation.create(...)`, `api.Relation.add_ephemeral_prefix(name)`
/// and `api.Column.translate_type(type)`, as packages call them.
#[derive(Debug)]
pub struct Api;

impl Object for Api {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "Relation" => Some(Value::from_object(ApiRelation)),
            "Column" => Some(Value::from_object(ApiColumn)),
            _ => None,
        }
    }
}

#[derive(Debug)]
struct ApiRelation;

impl Object for ApiRelation {
    fn call_method(
        self: &Arc<Self>,
        _state: &mut State,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "create" => {
                let (kwargs,): (Kwargs,) = from_args(args)?;
                let _: Option<Value> = kwargs.get("database")?;
                let _: Option<Value> = kwargs.get("type")?;
                Ok(Value::from_object(Relation {
                    schema: kwargs.get::<Option<String>>("schema")?.unwrap_or_default(),
                    identifier: kwargs
                        .get::<Option<String>>("identifier")?
                        .unwrap_or_default(),
                }))
            }
            "add_ephemeral_prefix" => {
                let (name,): (String,) = from_args(args)?;
                Ok(Value::from(cte_name(&name)))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

#[derive(Debug)]
struct ApiColumn;

impl Object for ApiColumn {
    fn call_method(
        self: &Arc<Self>,
        _state: &mut State,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            // dbt's base Column: only `string` is renamed (to TEXT).
            "translate_type" => {
                let (dtype,): (String,) = from_args(args)?;
                Ok(Value::from(if dtype.eq_ignore_ascii_case("string") {
                    "TEXT".to_string()
                } else {
                    dtype
                }))
            }
            "numeric_type" => {
                let (dtype, precision, scale): (String, Option<i64>, Option<i64>) =
                    from_args(args)?;
                Ok(Value::from(match (precision, scale) {
                    (Some(p), Some(s)) => format!("{dtype}({p},{s})"),
                    _ => dtype,
                }))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// `exceptions.raise_compiler_error(message)` and `exceptions.warn(message)`.
#[derive(Debug)]
pub struct Exceptions;

impl Object for Exceptions {
    fn call_method(
        self: &Arc<Self>,
        _state: &mut State,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (message,): (String,) = from_args(args)?;
        match method {
            "raise_compiler_error" | "raise_not_implemented" => {
                Err(Error::new(ErrorKind::InvalidOperation, message))
            }
            "warn" => {
                tracing::warn!(target: "ecom::models::jinja", "{message}");
                Ok(Value::from(""))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// dbt's `adapter`, for DuckDB.
#[derive(Debug)]
pub struct Adapter {
    pub registry: Arc<Registry>,
}

impl Object for Adapter {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        (key.as_str()? == "type").then(|| Value::from_function(|| "duckdb"))
    }

    fn call_method(
        self: &Arc<Self>,
        state: &mut State,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "dispatch" => {
                let (name, namespace, kwargs): (String, Option<String>, Kwargs) = from_args(args)?;
                let namespace = match namespace {
                    Some(ns) => Some(ns),
                    None => kwargs.get("macro_namespace")?,
                };
                macros::dispatch(state, &self.registry, &name, namespace.as_deref())
            }
            "quote" => {
                let (name,): (String,) = from_args(args)?;
                Ok(Value::from(crate::warehouse::quote_ident(&name)))
            }
            "get_columns_in_relation" => {
                let (relation,): (Value,) = from_args(args)?;
                columns_in_relation(state, &relation)
            }
            "get_relation" => {
                let (_database, schema, identifier, kwargs): (
                    Option<Value>,
                    Option<String>,
                    Option<String>,
                    Kwargs,
                ) = from_args(args)?;
                let schema = schema.or(kwargs.get("schema")?).unwrap_or_default();
                let identifier = identifier.or(kwargs.get("identifier")?).unwrap_or_default();
                Ok(if exists(state, &schema, &identifier)? {
                    Value::from_object(Relation { schema, identifier })
                } else {
                    Value::from(())
                })
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// `adapter.get_columns_in_relation(relation)`: name and type of each column, as
/// dbt's `Column` (`name`, `column`, `data_type`, `dtype`); none while parsing.
fn columns_in_relation(state: &State, relation: &Value) -> Result<Value, Error> {
    let field = |key: &str| {
        relation
            .get_attr(key)
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_none())
            .map(|v| v.to_string())
    };
    let (Some(schema), Some(identifier)) = (field("schema"), field("identifier")) else {
        return Ok(Value::from(Vec::<Value>::new()));
    };
    let columns = with_connection(state, |conn| {
        relation_columns(conn, &schema, &identifier)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("query failed: {e}")))
    })?
    .unwrap_or_default();
    Ok(Value::from(
        columns
            .into_iter()
            .map(|(name, data_type)| {
                Value::from(HashMap::from([
                    ("name", Value::from(name.clone())),
                    ("column", Value::from(name.clone())),
                    ("quoted", Value::from(crate::warehouse::quote_ident(&name))),
                    ("data_type", Value::from(data_type.clone())),
                    ("dtype", Value::from(data_type)),
                ]))
            })
            .collect::<Vec<_>>(),
    ))
}

/// dbt's Agate table, as far as macros use it: `.rows`, `.columns[i].values()`,
/// `.column_names`, `.columns['name']`.
#[derive(Debug)]
struct QueryTable {
    names: Vec<String>,
    rows: Vec<Vec<serde_json::Value>>,
}

#[derive(Debug)]
struct QueryColumn {
    name: String,
    values: Vec<serde_json::Value>,
}

impl Object for QueryColumn {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "name" => Some(Value::from(self.name.clone())),
            _ => None,
        }
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "values" => Ok(Value::from(Serde(self.values.clone()))),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

impl QueryTable {
    fn column(&self, index: usize) -> Value {
        Value::from_object(QueryColumn {
            name: self.names[index].clone(),
            values: self.rows.iter().map(|r| r[index].clone()).collect(),
        })
    }
}

impl Object for QueryTable {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "rows" => Some(Value::from(Serde(self.rows.clone()))),
            "column_names" => Some(Value::from(Serde(self.names.clone()))),
            "columns" => {
                let columns: Vec<Value> = (0..self.names.len()).map(|i| self.column(i)).collect();
                Some(Value::from(columns))
            }
            _ => None,
        }
    }
}
