//! `ecom status`: what the warehouse holds.

use serde::Serialize;

use super::output::{thousands, write_table};
use super::{Outcome, Settings};
use crate::warehouse::catalog::{self, IngestRun, Relation};

#[derive(Serialize)]
struct Status {
    warehouse: String,
    size_bytes: u64,
    schema_version: i32,
    ecom_version: &'static str,
    relations: Vec<Relation>,
    quarantined_rows: u64,
    last_ingests: Vec<IngestRun>,
}

pub fn run(settings: &Settings) -> anyhow::Result<Outcome> {
    if let Some(client) = settings.remote_client()? {
        return super::remote::status(&client, settings.json);
    }
    let warehouse = settings.open_warehouse()?;
    let conn = warehouse.conn();
    let status = Status {
        warehouse: warehouse.path().display().to_string(),
        size_bytes: warehouse.file_size(),
        schema_version: crate::warehouse::latest_version(),
        ecom_version: crate::VERSION,
        relations: catalog::relations(conn)?,
        quarantined_rows: catalog::count_rows(conn, "raw", "quarantine")?,
        last_ingests: catalog::recent_ingests(conn, 5)?,
    };
    if settings.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
        return Ok(Outcome::SUCCESS);
    }
    println!("warehouse  {}", status.warehouse);
    println!(
        "size       {} (schema version {}, ecom {})",
        indicatif::HumanBytes(status.size_bytes),
        status.schema_version,
        status.ecom_version
    );
    println!();
    let rows: Vec<Vec<String>> = status
        .relations
        .iter()
        .map(|r| {
            vec![
                format!("{}.{}", r.schema, r.name),
                format!("{:?}", r.kind).to_lowercase(),
                r.rows.map(thousands).unwrap_or_default(),
                r.columns.len().to_string(),
            ]
        })
        .collect();
    let mut out = std::io::stdout().lock();
    write_table(
        &mut out,
        &["relation", "kind", "rows", "columns"],
        &[false, false, true, true],
        &rows,
    )?;
    println!();
    if status.last_ingests.is_empty() {
        println!("no ingest yet: load data with `ecom ingest PATH...`");
    } else {
        let rows: Vec<Vec<String>> = status
            .last_ingests
            .iter()
            .map(|i| {
                vec![
                    i.ingest_id.to_string(),
                    i.started_at.clone(),
                    i.status.clone(),
                    thousands(i.files_loaded as u64),
                    thousands(i.files_skipped as u64),
                    thousands(i.files_rejected as u64),
                    thousands(i.rows_loaded as u64),
                    thousands(i.rows_quarantined as u64),
                ]
            })
            .collect();
        write_table(
            &mut out,
            &[
                "ingest",
                "started",
                "status",
                "files",
                "skipped",
                "rejected",
                "rows",
                "quarantined",
            ],
            &[true, false, false, true, true, true, true, true],
            &rows,
        )?;
    }
    Ok(Outcome::SUCCESS)
}
