//! Building a node's relation: models as views, tables, incremental tables or inlined
//! ephemerals (with their pre- and post-hooks, in one transaction), and seeds loaded
//! from their CSV files.

use duckdb::Connection;

use super::error::NodeError;
use super::results::{NodeStatus, Outcome};
use super::sql::render_sql;
use crate::models::catalog::RelationKind;
use crate::models::error::ModelError;
use crate::models::graph::Graph;
use crate::models::node::Node;
use crate::warehouse::quote_ident;

/// Builds a model in one transaction: hooks, then the relation. The rows reported are
/// the ones DuckDB says the `CREATE TABLE … AS` or the incremental `INSERT` wrote.
pub fn materialize(
    graph: &Graph,
    conn: &Connection,
    node: &Node,
    sql: &str,
    full_refresh: bool,
    existing: Option<RelationKind>,
) -> Result<Outcome, NodeError> {
    let relation = node.relation();
    let body = sql.trim().trim_end_matches(';');
    let mut statements: Vec<String> = Vec::new();
    let pre_hooks = render_hooks(graph, conn, node, &node.config.pre_hook)?;
    match node.config.materialized.as_str() {
        "view" => {
            if existing == Some(RelationKind::Table) {
                statements.push(format!("DROP TABLE {relation}"));
            }
            statements.push(format!("CREATE OR REPLACE VIEW {relation} AS (\n{body}\n)"));
        }
        "table" => {
            if existing == Some(RelationKind::View) {
                statements.push(format!("DROP VIEW {relation}"));
            }
            statements.push(format!(
                "CREATE OR REPLACE TABLE {relation} AS (\n{body}\n)"
            ));
        }
        "incremental" => {
            let append =
                existing == Some(RelationKind::Table) && !node.config.rebuilds(full_refresh);
            if existing == Some(RelationKind::View) {
                statements.push(format!("DROP VIEW {relation}"));
            }
            if append {
                let temp = quote_ident(&format!("{}__dbt_tmp", node.alias()));
                statements.push(format!(
                    "CREATE OR REPLACE TEMP TABLE {temp} AS (\n{body}\n)"
                ));
                if node.config.deletes_replaced_rows() {
                    let keys = node
                        .config
                        .unique_key
                        .iter()
                        .map(|k| quote_ident(k))
                        .collect::<Vec<_>>()
                        .join(", ");
                    statements.push(format!(
                        "DELETE FROM {relation} WHERE ({keys}) IN (SELECT {keys} FROM {temp})"
                    ));
                }
                statements.push(format!(
                    "INSERT INTO {relation} BY NAME SELECT * FROM {temp}"
                ));
            } else {
                statements.push(format!(
                    "CREATE OR REPLACE TABLE {relation} AS (\n{body}\n)"
                ));
            }
        }
        "ephemeral" => {
            return Ok(Outcome {
                status: NodeStatus::Success,
                message: "ephemeral: inlined where used".into(),
                failures: None,
                rows: None,
            });
        }
        other => {
            return Err(NodeError::UnknownMaterialization(other.to_string()));
        }
    }
    let post_hooks = render_hooks(graph, conn, node, &node.config.post_hook)?;
    let rows = crate::warehouse::commit::in_transaction(conn, |conn| -> Result<_, NodeError> {
        let mut rows = None;
        for hook in &pre_hooks {
            conn.execute_batch(hook)
                .map_err(|e| NodeError::statement("pre-hook failed", hook, e))?;
        }
        for statement in &statements {
            let written = conn
                .execute(statement, [])
                .map_err(|e| NodeError::statement(format!("{} failed", node.name), statement, e))?;
            if statement.starts_with("CREATE OR REPLACE TABLE") || statement.starts_with("INSERT") {
                rows = Some(written as u64);
            }
        }
        for hook in &post_hooks {
            conn.execute_batch(hook)
                .map_err(|e| NodeError::statement("post-hook failed", hook, e))?;
        }
        Ok(rows)
    })?;
    Ok(Outcome {
        status: NodeStatus::Success,
        message: "OK".into(),
        failures: None,
        rows,
    })
}

/// A model's pre- or post-hooks, rendered.
fn render_hooks(
    graph: &Graph,
    conn: &Connection,
    node: &Node,
    hooks: &[String],
) -> Result<Vec<String>, ModelError> {
    hooks
        .iter()
        .map(|hook| render_sql(graph, conn, node, hook, false))
        .collect()
}

/// The number a `SELECT count(*) …` returns.
pub fn count(conn: &Connection, sql: &str) -> duckdb::Result<u64> {
    conn.query_row(sql, [], |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
}

pub fn load_seed(graph: &Graph, conn: &Connection, node: &Node) -> Result<Outcome, NodeError> {
    let path = graph.project.root.join(&node.path);
    let relation = node.relation();
    // Absolute: `ecom serve` lets its database reach the project's folder only, and
    // DuckDB checks the path it is given against that folder.
    let path = std::path::absolute(&path).unwrap_or_else(|_| path.to_path_buf());
    let sql = crate::models::seeds::load_sql(&relation, &path, &node.config).map_err(|source| {
        NodeError::Seed {
            name: node.name.clone(),
            source,
        }
    })?;
    crate::warehouse::commit::commit_batch(conn, &sql)
        .map_err(|e| NodeError::statement(format!("seed {} failed", node.name), &sql, e))?;
    let rows = count(conn, &format!("SELECT count(*) FROM {relation}"))?;
    Ok(Outcome {
        status: NodeStatus::Success,
        message: "INSERT".into(),
        failures: None,
        rows: Some(rows),
    })
}
