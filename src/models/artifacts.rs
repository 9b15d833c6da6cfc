//! dbt's public artifacts: `target/run_results.json` and `target/manifest.json`, in the
//! shapes dbt writes (run results v6, manifest v12), so tools that read dbt's output
//! read ecom's.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::error::ModelError;
use super::graph::Graph;
use super::node::ResourceType;
use super::run::RunSummary;

fn metadata(kind: &str, version: u32) -> Value {
    json!({
        "dbt_schema_version": format!("https://schemas.getdbt.com/dbt/{kind}/v{version}.json"),
        "dbt_version": format!("ecom-{}", crate::VERSION),
        "generated_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "invocation_id": format!("{:x}", rand_id()),
        "env": {},
    })
}

fn rand_id() -> u128 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    u128::from_le_bytes(
        blake3::hash(&nanos.to_le_bytes()).as_bytes()[..16]
            .try_into()
            .expect("16 bytes"),
    )
}

/// The run results document.
pub fn run_results(summary: &RunSummary) -> Value {
    let results: Vec<Value> = summary
        .results
        .iter()
        .map(|r| {
            json!({
                "status": r.status,
                "timing": [
                    {"name": "compile", "started_at": r.started_at, "completed_at": r.started_at},
                    {"name": "execute", "started_at": r.started_at, "completed_at": r.completed_at},
                ],
                "thread_id": r.thread_id,
                "execution_time": r.execution_time,
                "adapter_response": match r.rows_affected {
                    Some(rows) => json!({"_message": "OK", "rows_affected": rows}),
                    None => json!({}),
                },
                "message": r.message,
                "failures": r.failures,
                "unique_id": r.unique_id,
                "compiled": r.compiled_code.is_some(),
                "compiled_code": r.compiled_code,
                "relation_name": r.relation_name,
                "batch_results": null,
            })
        })
        .collect();
    json!({
        "metadata": metadata("run-results", 6),
        "results": results,
        "elapsed_time": summary.elapsed_time,
        "args": {"which": summary.command.name()},
    })
}

/// The manifest document: every node with its config and dependencies.
pub fn manifest(graph: &Graph) -> Value {
    let project = &graph.project;
    let mut nodes = serde_json::Map::new();
    let mut parent_map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut child_map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for node in project.nodes.values() {
        parent_map.insert(node.unique_id.clone(), node.depends_on.clone());
        child_map.entry(node.unique_id.clone()).or_default();
        for parent in &node.depends_on {
            child_map
                .entry(parent.clone())
                .or_default()
                .push(node.unique_id.clone());
        }
        let mut entry = json!({
            "name": node.name,
            "resource_type": node.resource_type,
            "package_name": project.name,
            "path": node.path,
            "original_file_path": node.path,
            "unique_id": node.unique_id,
            "fqn": node.fqn,
            "alias": node.alias(),
            "schema": node.schema,
            "database": "main",
            "description": node.description,
            "config": node.config,
            "tags": node.config.tags,
            "depends_on": {"macros": [], "nodes": node.depends_on},
            "raw_code": node.raw_sql,
            "language": "sql",
        });
        if let Some(test) = &node.generic_test {
            entry["test_metadata"] = json!({"name": test.test_name, "kwargs": test.kwargs});
            entry["column_name"] = json!(test.column);
            entry["attached_node"] = json!(test.attached_to);
        }
        if node.resource_type == ResourceType::Seed {
            entry["root_path"] = json!(project.root);
        }
        nodes.insert(node.unique_id.clone(), entry);
    }
    let sources: serde_json::Map<String, Value> = project
        .sources
        .iter()
        .map(|s| {
            let id = format!("source.{}.{}.{}", project.name, s.source, s.name);
            (id.clone(), json!({"unique_id": id, "source_name": s.source, "name": s.name, "schema": s.schema, "identifier": s.identifier, "resource_type": "source"}))
        })
        .collect();
    let macros: serde_json::Map<String, Value> = project
        .macros
        .iter()
        .flat_map(|m| m.names.iter().map(move |n| (m, n)))
        .map(|(m, n)| {
            let id = format!("macro.{}.{n}", m.package);
            (
                id.clone(),
                json!({"unique_id": id, "name": n, "path": m.path, "resource_type": "macro"}),
            )
        })
        .collect();
    json!({
        "metadata": metadata("manifest", 12),
        "nodes": nodes,
        "sources": sources,
        "macros": macros,
        "parent_map": parent_map,
        "child_map": child_map,
    })
}

/// Writes both documents into the project's target folder.
pub fn write(graph: &Graph, summary: Option<&RunSummary>) -> Result<(), ModelError> {
    let dir = &graph.project.target_dir;
    std::fs::create_dir_all(dir)?;
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    std::fs::write(dir.join("manifest.json"), pretty(&manifest(graph)))?;
    if let Some(summary) = summary {
        std::fs::write(dir.join("run_results.json"), pretty(&run_results(summary)))?;
    }
    Ok(())
}

/// One node's last result, as `run_results.json` keeps it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LastResult {
    pub status: String,
    pub rows: Option<u64>,
    /// Failing rows, for tests.
    pub failures: Option<u64>,
    pub message: Option<String>,
    pub compiled_code: Option<String>,
    /// When the node's run completed (RFC 3339) and how long it took, in seconds.
    pub completed_at: Option<String>,
    pub execution_time: Option<f64>,
}

/// Each node's last result by unique id, from the last `run_results.json`, if any.
pub fn last_results(graph: &Graph) -> std::collections::HashMap<String, LastResult> {
    let path = graph.project.target_dir.join("run_results.json");
    let Ok(text) = std::fs::read_to_string(path) else {
        return Default::default();
    };
    let Ok(doc) = serde_json::from_str::<Value>(&text) else {
        return Default::default();
    };
    doc["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let id = r["unique_id"].as_str()?.to_string();
            Some((
                id,
                LastResult {
                    status: r["status"].as_str()?.to_string(),
                    rows: r["adapter_response"]["rows_affected"].as_u64(),
                    failures: r["failures"].as_u64(),
                    message: r["message"].as_str().map(str::to_string),
                    compiled_code: r["compiled_code"].as_str().map(str::to_string),
                    completed_at: r["timing"]
                        .as_array()
                        .and_then(|steps| steps.last())
                        .and_then(|step| step["completed_at"].as_str())
                        .map(str::to_string),
                    execution_time: r["execution_time"].as_f64(),
                },
            ))
        })
        .collect()
}
