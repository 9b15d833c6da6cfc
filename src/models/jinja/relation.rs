//! Relations as templates see them: how `ref`, `source` and `this` resolve, and the
//! `Relation` object they render as (`"schema"."name"`, or an ephemeral model's CTE).

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Object, Serde, Value};
use minijinja::{Error, ErrorKind, State};

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
    pub fn of(info: &RelationInfo) -> Self {
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
            "database" => Some(Value::from(crate::models::catalog::TARGET_DATABASE)),
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
