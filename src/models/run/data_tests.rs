//! Tests: generic tests (dbt's built-in ones, or a `{% test %}` macro) and unit tests
//! compiled to one query, and running a compiled test into pass, warn or fail.

use std::sync::Arc;

use duckdb::Connection;
use minijinja::value::{Kwargs, Value};

use super::error::NodeError;
use super::materialize::count;
use super::results::{NodeStatus, Outcome};
use super::sql::{inject_ctes, this};
use crate::models::config::Severity;
use crate::models::error::ModelError;
use crate::models::generic_tests::{builtin_sql, count_failures};
use crate::models::graph::{Graph, referenced_name};
use crate::models::jinja::{Relation, cte_name, render_context};
use crate::models::node::Node;
use crate::warehouse::quote_ident;

pub fn compile_generic_test(
    graph: &Graph,
    conn: &Connection,
    node: &Node,
) -> Result<String, ModelError> {
    let test = node.generic_test.as_ref().expect("generic test");
    let (schema, identifier) = tested_relation(graph, &test.attached_to).ok_or_else(|| {
        ModelError::project(
            &node.path,
            format!(
                "{} tests {}, which does not exist",
                node.name, test.attached_to
            ),
        )
    })?;
    let mut model_sql = format!("{}.{}", quote_ident(&schema), quote_ident(&identifier));
    if let Some(filter) = &node.config.where_clause {
        model_sql = format!("(select * from {model_sql} where {filter}) dbt_subquery");
    }
    let to = test
        .kwargs
        .get("to")
        .and_then(|v| v.as_str())
        .and_then(referenced_name)
        .and_then(|name| graph.project.find_relation_node(&name))
        .map(Node::relation);
    if test.namespace.is_none()
        && let Some(sql) = builtin_sql(test, &model_sql, to.as_deref())
    {
        return Ok(sql);
    }
    let Some((package, macro_name)) = graph.renderer.registry().test_macro(
        test.namespace.as_deref(),
        &format!("test_{}", test.test_name),
    ) else {
        let qualified = match &test.namespace {
            Some(namespace) => format!("{namespace}.{}", test.test_name),
            None => test.test_name.clone(),
        };
        return Err(ModelError::project(
            &node.path,
            format!(
                "unknown generic test `{qualified}` (no `{{% test {} %}}` in the project's or its packages' macros; `ecom models deps` installs packages)",
                test.test_name
            ),
        ));
    };
    // dbt's `get_where_subquery`: with a `where` config the test reads the filtered
    // subquery, rendered as it is (a Relation without a schema renders bare).
    let model = if node.config.where_clause.is_some() {
        Relation {
            schema: String::new(),
            identifier: model_sql.clone(),
        }
    } else {
        Relation { schema, identifier }
    };
    let mut kwargs: Vec<(String, Value)> = vec![("model".into(), Value::from_object(model))];
    if let Some(column) = &test.column {
        kwargs.push(("column_name".into(), Value::from(column.clone())));
    }
    for (key, value) in &test.kwargs {
        kwargs.push((
            key.clone(),
            Value::from(minijinja::value::Serde(value.clone())),
        ));
    }
    let ctx = render_context(
        Arc::clone(&graph.resolver),
        true,
        false,
        conn.try_clone().ok(),
    );
    let args = [Value::from(kwargs.into_iter().collect::<Kwargs>())];
    graph
        .renderer
        .call(&package, &macro_name, &args, ctx, &node.path)
}

/// A unit test as one query that returns a row when the model's output on the given
/// rows differs from the expected rows (see `unit_tests`).
pub fn compile_unit_test(
    graph: &Graph,
    conn: &Connection,
    node: &Node,
) -> Result<String, ModelError> {
    use crate::models::catalog::{query_columns, relation_columns};
    use crate::models::unit_tests::{
        Fixture, comparison_sql, expected_columns, fixture_sql, input_name, source_parts,
    };
    let spec = node.unit_test.as_ref().expect("unit test");
    let fail = |message: String| {
        ModelError::project(&node.path, format!("unit test {}: {message}", node.name))
    };
    let model = graph
        .project
        .find_relation_node(&spec.model)
        .ok_or_else(|| fail(format!("no model `{}`", spec.model)))?;
    let mut resolver = (*graph.resolver).clone();
    let mut ctes = Vec::new();
    for given in &spec.given {
        let (name, schema, identifier) = if given.input == "this" {
            (
                model.name.clone(),
                model.schema.clone(),
                model.alias().to_string(),
            )
        } else {
            let name = input_name(&given.input)
                .ok_or_else(|| fail(format!("cannot read the input `{}`", given.input)))?;
            let relation = match source_parts(&given.input) {
                Some(key) => resolver.sources.get(&key),
                None => resolver.relations.get(&name),
            };
            let relation = relation.ok_or_else(|| {
                fail(format!(
                    "the input `{}` is not a model, seed or source",
                    given.input
                ))
            })?;
            // A source's CTE is named after the table it reads, as dbt names it.
            let cte = if given.input.starts_with("source(") {
                relation.identifier.clone()
            } else {
                name.clone()
            };
            (cte, relation.schema.clone(), relation.identifier.clone())
        };
        let columns =
            relation_columns(conn, &schema, &identifier).map_err(|e| fail(e.to_string()))?;
        if columns.is_empty() && !matches!(given.rows, Fixture::Sql(_)) {
            return Err(fail(format!(
                "Not able to get columns for unit test '{name}' from relation {schema}.{identifier} because the relation doesn't exist"
            )));
        }
        let body =
            fixture_sql(&given.rows, &columns, None, &name).map_err(|e| fail(e.to_string()))?;
        ctes.push(format!("{} as (\n{body}\n)", cte_name(&name)));
    }
    // Every ref and source of the model reads its given rows.
    for (name, info) in resolver.relations.iter_mut() {
        info.identifier = name.clone();
        info.ephemeral = true;
    }
    for info in resolver.sources.values_mut() {
        info.ephemeral = true;
    }
    resolver.vars.extend(spec.vars.clone());
    resolver.env.extend(spec.env_vars.clone());
    let ctx = render_context(
        Arc::new(resolver),
        true,
        spec.incremental,
        conn.try_clone().ok(),
    );
    // `input: this` gives the model's own rows; `{{ this }}` then reads them.
    let this_cte = spec
        .given
        .iter()
        .any(|g| g.input == "this")
        .then(|| Value::from(cte_name(&model.name)));
    let rendered = graph.renderer.render_with(
        &model.path,
        &model.raw_sql,
        ctx,
        Some(this(model)),
        &this_cte.map(|v| vec![("this", v)]).unwrap_or_default(),
    )?;
    let sql = inject_ctes(rendered.trim().trim_end_matches(';'), &ctes);
    let output = query_columns(conn, &sql).map_err(|e| fail(e.to_string()))?;
    let only = expected_columns(&spec.expect).map_err(|e| fail(e.to_string()))?;
    let expected = fixture_sql(&spec.expect, &output, only.as_deref(), &model.name)
        .map_err(|e| fail(e.to_string()))?;
    let columns: Vec<String> = match &only {
        Some(names) => names.iter().map(|n| quote_ident(n)).collect(),
        None => output.iter().map(|(n, _)| quote_ident(n)).collect(),
    };
    let actual = format!(
        "select {} from (\n{sql}\n) as unit_test_actual",
        columns.join(", ")
    );
    Ok(comparison_sql(&actual, &expected))
}

/// `(schema, identifier)` of the model, seed or source a test is attached to.
fn tested_relation(graph: &Graph, id: &str) -> Option<(String, String)> {
    if let Some(node) = graph.project.nodes.get(id) {
        return Some((node.schema.clone(), node.alias().to_string()));
    }
    graph
        .resolver
        .sources
        .values()
        .find(|s| s.unique_id == id)
        .map(|s| (s.schema.clone(), s.identifier.clone()))
}

pub fn run_test(conn: &Connection, node: &Node, sql: &str) -> Result<Outcome, NodeError> {
    if node.unit_test.is_some() {
        // dbt counts a failing unit test as one failure and shows the difference.
        let differences =
            crate::models::unit_tests::differences(conn, sql.trim()).map_err(|source| {
                NodeError::UnitTest {
                    name: node.name.clone(),
                    source,
                }
            })?;
        return Ok(match differences {
            None => Outcome {
                status: NodeStatus::Pass,
                message: "PASS".into(),
                failures: Some(0),
                rows: None,
            },
            Some(message) => Outcome {
                status: NodeStatus::Fail,
                message,
                failures: Some(1),
                rows: None,
            },
        });
    }
    let query = count_failures(sql.trim().trim_end_matches(';'));
    let failures = count(conn, &query).map_err(|source| NodeError::Test {
        name: node.name.clone(),
        sql: sql.to_string(),
        source,
    })?;
    let status = match (failures, node.config.severity) {
        (0, _) => NodeStatus::Pass,
        (_, Severity::Warn) => NodeStatus::Warn,
        _ => NodeStatus::Fail,
    };
    let message = if failures == 0 {
        "PASS".to_string()
    } else {
        format!(
            "Got {failures} result{}, configured to {} if != 0",
            if failures == 1 { "" } else { "s" },
            if status == NodeStatus::Warn {
                "warn"
            } else {
                "fail"
            }
        )
    };
    Ok(Outcome {
        status,
        message,
        failures: Some(failures),
        rows: None,
    })
}
