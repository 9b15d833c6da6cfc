//! `ecom query` and `ecom status` against a running `ecom serve` (`--remote URL
//! --token T`): the same output as against a warehouse file, read through the API.

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::Outcome;
use super::args::{OutputFormat, QueryArgs};
use super::output::{thousands, write_table};
use crate::remote::{Blocking, Cancel, Client, QueryRequest};
use crate::warehouse::quote_literal;

/// `ecom query --remote`: the server runs the SQL (under its query guard) and answers
/// Arrow IPC, written in `format` as it arrives. Parquet is written by DuckDB from the
/// rows kept in memory.
pub fn query(
    client: &Client,
    sql: &str,
    args: &QueryArgs,
    format: OutputFormat,
    quiet: bool,
) -> anyhow::Result<Outcome> {
    let remote = Blocking::new(client.clone());
    let request = QueryRequest {
        sql: sql.to_string(),
        limit: Some(args.limit),
    };
    let mut cancel = Cancel::never();
    let answered = if format == OutputFormat::Parquet {
        let Some(path) = &args.output else {
            anyhow::bail!("--format parquet needs --output FILE");
        };
        let conn = duckdb::Connection::open_in_memory()?;
        let answered =
            remote.block_on(client.query_into(&conn, "answer", &request, &mut cancel))?;
        conn.execute_batch(&format!(
            "COPY temp.answer TO {} (FORMAT parquet, COMPRESSION zstd)",
            quote_literal(&path.display().to_string())
        ))
        .with_context(|| format!("writing {}", path.display()))?;
        answered
    } else {
        let mut sink = super::query::sink_for(args, format)?;
        let answered = remote
            .block_on(client.query(&request, &mut cancel, |batch| sink.write_batch(batch)))?;
        sink.finish(&answered.schema)?;
        answered
    };
    if answered.truncated && !quiet {
        eprintln!(
            "warning: the server answered the first {} rows only (--limit {}, or its --max-rows / --max-answer-bytes)",
            thousands(answered.rows),
            thousands(args.limit as u64)
        );
    }
    Ok(Outcome::SUCCESS)
}

/// A table or view the server's query route reads (`GET /api/v1/tables`).
#[derive(Debug, Serialize, Deserialize)]
struct Table {
    schema: String,
    name: String,
    kind: String,
    rows: Option<i64>,
}

/// `ecom status --remote`: what the server is and holds.
#[derive(Debug, Serialize)]
struct RemoteStatus {
    server: String,
    health: serde_json::Value,
    /// Whether the token may start jobs (then `jobs` lists the server's).
    admin: bool,
    relations: Vec<Table>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jobs: Option<serde_json::Value>,
}

pub fn status(client: &Client, json: bool) -> anyhow::Result<Outcome> {
    let remote = Blocking::new(client.clone());
    let status = remote.block_on(async {
        let health = client.health().await?;
        let admin = Client::health_says_admin(&health);
        let relations: Vec<Table> = client.get("api/v1/tables").await?;
        let jobs = if admin {
            Some(client.get("api/v1/jobs").await?)
        } else {
            None
        };
        Ok::<_, crate::remote::RemoteError>(RemoteStatus {
            server: client.url().to_string(),
            health,
            admin,
            relations,
            jobs,
        })
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
        return Ok(Outcome::SUCCESS);
    }
    let field = |name: &str| {
        status
            .health
            .get(name)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .unwrap_or_default()
    };
    println!("server     {} ({})", status.server, field("status"));
    println!(
        "version    ecom {} (schema version {}, data generation {})",
        field("version"),
        field("schema_version"),
        field("data_generation")
    );
    if status.admin {
        println!("warehouse  {} (this token is admin)", field("warehouse"));
    }
    println!();
    let rows: Vec<Vec<String>> = status
        .relations
        .iter()
        .map(|t| {
            vec![
                format!("{}.{}", t.schema, t.name),
                t.kind.clone(),
                t.rows
                    .map(|r| thousands(r.max(0) as u64))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let mut out = std::io::stdout().lock();
    write_table(
        &mut out,
        &["relation", "kind", "rows"],
        &[false, false, true],
        &rows,
    )?;
    if let Some(serde_json::Value::Array(jobs)) = &status.jobs {
        println!();
        let rows: Vec<Vec<String>> = jobs
            .iter()
            .map(|j| {
                let text = |k: &str| j.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                let running = j.get("running").and_then(serde_json::Value::as_bool);
                vec![
                    text("name"),
                    if running == Some(true) {
                        "running"
                    } else {
                        "stopped"
                    }
                    .to_string(),
                    text("last_progress"),
                    text("last_error"),
                ]
            })
            .collect();
        write_table(
            &mut out,
            &["job", "state", "last progress", "last error"],
            &[false; 4],
            &rows,
        )?;
    }
    Ok(Outcome::SUCCESS)
}
