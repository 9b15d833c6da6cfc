//! A node's SQL after Jinja: rendered with `this`, and with the ephemeral models it
//! refers to inlined as CTEs in front of it.

use std::sync::Arc;

use duckdb::Connection;

use crate::models::error::ModelError;
use crate::models::graph::Graph;
use crate::models::jinja::{Relation, cte_name, render_context};
use crate::models::node::Node;

pub fn this(node: &Node) -> Relation {
    Relation {
        schema: node.schema.clone(),
        identifier: node.alias().to_string(),
    }
}

pub fn render_sql(
    graph: &Graph,
    conn: &Connection,
    node: &Node,
    source: &str,
    incremental: bool,
) -> Result<String, ModelError> {
    let ctx = render_context(
        Arc::clone(&graph.resolver),
        true,
        incremental,
        conn.try_clone().ok(),
    );
    let sql = graph
        .renderer
        .render(&node.path, source, Arc::clone(&ctx), Some(this(node)))?;
    let ephemerals = ctx
        .captured
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .ephemerals
        .clone();
    let mut ctes = Vec::new();
    for id in ephemerals {
        let ephemeral = &graph.project.nodes[&id];
        let body = render_sql(graph, conn, ephemeral, &ephemeral.raw_sql, false)?;
        ctes.push(format!(
            "{} as (\n{}\n)",
            cte_name(&ephemeral.name),
            body.trim().trim_end_matches(';')
        ));
    }
    Ok(inject_ctes(&sql, &ctes))
}

/// Puts CTEs in front of a query, merging with its own `WITH` if it has one.
pub fn inject_ctes(sql: &str, ctes: &[String]) -> String {
    if ctes.is_empty() {
        return sql.to_string();
    }
    let joined = ctes.join(",\n");
    let trimmed = sql.trim_start();
    if crate::warehouse::query::leading_keyword(trimmed) == "WITH"
        && !trimmed.starts_with(['(', '-', '/'])
    {
        let rest = &trimmed[4..];
        let recursive = rest
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("RECURSIVE");
        if !recursive {
            return format!("with {joined},\n{}", rest.trim_start());
        }
    }
    format!("with {joined}\n{sql}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctes_merge_with_an_existing_with() {
        let ctes = vec!["__dbt__cte__a as (\nselect 1\n)".to_string()];
        assert_eq!(
            inject_ctes("select * from __dbt__cte__a", &ctes),
            "with __dbt__cte__a as (\nselect 1\n)\nselect * from __dbt__cte__a"
        );
        assert_eq!(
            inject_ctes("WITH b AS (select 2) select * from b, __dbt__cte__a", &ctes),
            "with __dbt__cte__a as (\nselect 1\n),\nb AS (select 2) select * from b, __dbt__cte__a"
        );
    }
}
