//! `ecom export`: tables as Parquet, Hive-partitioned like a data lake
//! (`ROOT/SCHEMA/TABLE/date=YYYY-MM-DD/[event_type=…/]part-0.parquet`), with a
//! `_manifest.json` per table written last, so readers never see half an export.
//!
//! DuckDB writes the files (`COPY … (FORMAT parquet, PARTITION_BY …)`, zstd); for S3 they
//! are written to a local staging folder first and uploaded by `store`. A re-run writes
//! the same keys again, so nothing is ever duplicated: the old manifest goes first, stale
//! files are removed, the new manifest comes last.

use std::path::{Path, PathBuf};
use std::time::Instant;

use duckdb::Connection;
use serde::Serialize;

use super::error::ExportError;
use super::manifest::{MANIFEST, Manifest, ManifestFile};
use super::store::S3Target;
use crate::jobs::{CancelToken, Detail, Progress, ProgressSink, Unit};
use crate::warehouse::{quote_ident, quote_literal};

/// Where the lake goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    Dir(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl Destination {
    /// `DIR` or `s3://BUCKET/PREFIX`.
    pub fn parse(to: &str) -> Result<Self, ExportError> {
        if let Some(rest) = to.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(ExportError::NoBucket(to.to_string()));
            }
            return Ok(Self::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
            });
        }
        if to.contains("://") {
            return Err(ExportError::UnsupportedDestination(to.to_string()));
        }
        Ok(Self::Dir(PathBuf::from(to)))
    }

    pub fn display(&self) -> String {
        match self {
            Self::Dir(dir) => dir.display().to_string(),
            Self::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// `schema.table` patterns (`*` wildcard); default: raw lines, marts, stream, ml.
    pub tables: Vec<String>,
    /// Only rows on or after this day, for tables partitioned by date.
    pub since: Option<chrono::NaiveDate>,
    /// An S3-compatible endpoint (MinIO, moto, …).
    pub endpoint: Option<String>,
    /// Where S3 exports stage their files (the system's temporary folder when `None`):
    /// `ecom serve` gives its database access to this folder only.
    pub staging: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableSummary {
    pub table: String,
    pub files: usize,
    pub rows: u64,
    pub bytes: u64,
    pub partitioning: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    pub destination: String,
    pub tables: Vec<TableSummary>,
    pub elapsed_seconds: f64,
}

const DEFAULT_TABLES: &[&str] = &["raw.order_lines", "marts.*", "stream.*", "ml.*"];

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((head, tail)) => {
            name.starts_with(head) && name.ends_with(tail) && name.len() >= head.len() + tail.len()
        }
        None => pattern == name,
    }
}

/// A table to export: schema, name, and its columns as (name, type).
type TableColumns = (String, String, Vec<(String, String)>);

/// Tables (not views) matching the patterns, with their columns.
fn tables(conn: &Connection, patterns: &[String]) -> Result<Vec<TableColumns>, ExportError> {
    let explicit = !patterns.is_empty();
    let defaults: Vec<String> = DEFAULT_TABLES.iter().map(|s| s.to_string()).collect();
    let patterns = if explicit { patterns } else { &defaults };
    // Names and columns only: counting every table's rows (as the catalog does) is wasted here.
    let mut stmt = conn.prepare(
        "SELECT c.schema_name, c.table_name, c.column_name, c.data_type
         FROM duckdb_columns() c JOIN duckdb_tables() t
           ON c.database_name = t.database_name AND c.schema_name = t.schema_name AND c.table_name = t.table_name
         WHERE t.database_name = current_database() AND NOT t.internal AND NOT t.temporary
         ORDER BY 1, 2, c.column_index",
    )?;
    let mut relations: Vec<TableColumns> = Vec::new();
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (schema, table, column, data_type) = row?;
        match relations.last_mut() {
            Some((s, t, columns)) if *s == schema && *t == table => {
                columns.push((column, data_type))
            }
            _ => relations.push((schema, table, vec![(column, data_type)])),
        }
    }
    let mut found: Vec<TableColumns> = Vec::new();
    for pattern in patterns {
        let mut matched = false;
        for (schema, table, columns) in &relations {
            let name = format!("{schema}.{table}");
            if !matches(pattern, &name) {
                continue;
            }
            matched = true;
            if !found.iter().any(|(s, t, _)| s == schema && t == table) {
                found.push((schema.clone(), table.clone(), columns.clone()));
            }
        }
        if explicit && !matched {
            return Err(ExportError::NoTableMatches(pattern.clone()));
        }
    }
    Ok(found)
}

/// The partition columns of a table: `date` from its event time, and `event_type`.
fn partitioning(table: &str, columns: &[(String, String)]) -> (Vec<String>, Option<String>) {
    let has = |name: &str| columns.iter().find(|(c, _)| c == name);
    let mut keys = Vec::new();
    let mut date_expr = None;
    if !table.starts_with("dim_") {
        for candidate in ["invoice_ts", "event_time", "window_start"] {
            if let Some((name, ty)) = has(candidate)
                && ty.starts_with("TIMESTAMP")
            {
                date_expr = Some(format!("CAST({} AS DATE)", quote_ident(name)));
                break;
            }
        }
    }
    if date_expr.is_some() && has("date").is_none() {
        keys.push("date".to_string());
    } else {
        date_expr = None;
    }
    if has("event_type").is_some() {
        keys.push("event_type".to_string());
    }
    (keys, date_expr)
}

/// Exports the tables to `destination`.
pub fn export(
    conn: &Connection,
    destination: &Destination,
    options: &ExportOptions,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<ExportSummary, ExportError> {
    let started = Instant::now();
    let tables = tables(conn, &options.tables)?;
    let staging = match &options.staging {
        Some(root) => {
            std::fs::create_dir_all(root)?;
            tempfile::Builder::new()
                .prefix("ecom-export-")
                .tempdir_in(root)?
        }
        None => tempfile::Builder::new().prefix("ecom-export-").tempdir()?,
    };
    let (root, s3) = match destination {
        // Absolute, as DuckDB checks it against `ecom serve`'s allowed folders.
        Destination::Dir(dir) => (std::path::absolute(dir)?, None),
        Destination::S3 { bucket, prefix } => (
            staging.path().to_path_buf(),
            Some(S3Target::connect(
                bucket,
                prefix,
                options.endpoint.as_deref(),
            )?),
        ),
    };
    let mut summaries = Vec::new();
    let total = tables.len() as u64;
    for (index, (schema, table, columns)) in tables.iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(ExportError::Cancelled { done: index, total });
        }
        let name = format!("{schema}.{table}");
        progress.report(
            Progress::new("export", index as u64, Some(total), Unit::Steps)
                .with_message(format!("writing {name}")),
        );
        let dir = root.join(schema).join(table);
        // An incremental S3 export keeps the older partitions the bucket already has.
        let mut kept = Vec::new();
        if let Some(s3) = &s3 {
            if let (Some(since), Some(previous)) = (options.since, s3.read_manifest(schema, table)?)
            {
                let since = format!("date={since}");
                kept = previous
                    .files
                    .into_iter()
                    .filter(|f| f.path.starts_with("date=") && f.path.as_str() < since.as_str())
                    .collect();
            }
            s3.delete_manifest(schema, table)?;
        }
        let mut manifest = write_table(conn, &dir, schema, table, columns, options.since)?;
        if !kept.is_empty() && !manifest.partitioning.is_empty() {
            manifest.files.splice(0..0, kept);
            manifest.rows = manifest.files.iter().map(|f| f.rows).sum();
            manifest.bytes = manifest.files.iter().map(|f| f.bytes).sum();
        }
        match &s3 {
            Some(s3) => s3.publish(&dir, schema, table, &manifest, progress)?,
            None => std::fs::write(dir.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?,
        }
        progress.report(
            Progress::new("export", index as u64 + 1, Some(total), Unit::Steps)
                .with_message(format!(
                    "{name}: {} files, {} rows, {}",
                    manifest.files.len(),
                    crate::format::thousands(manifest.rows),
                    indicatif::HumanBytes(manifest.bytes)
                ))
                .with_detail(Detail::File {
                    path: format!("{}/{schema}/{table}", destination.display()),
                    rows: Some(manifest.rows),
                }),
        );
        summaries.push(TableSummary {
            table: name,
            files: manifest.files.len(),
            rows: manifest.rows,
            bytes: manifest.bytes,
            partitioning: manifest.partitioning.clone(),
        });
    }
    Ok(ExportSummary {
        destination: destination.display(),
        tables: summaries,
        elapsed_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Writes one table's Parquet files under `dir` and returns its manifest (not yet
/// written). The old manifest is removed first; a full export replaces the folder.
fn write_table(
    conn: &Connection,
    dir: &Path,
    schema: &str,
    table: &str,
    columns: &[(String, String)],
    since: Option<chrono::NaiveDate>,
) -> Result<Manifest, ExportError> {
    let manifest_path = dir.join(MANIFEST);
    if manifest_path.exists() {
        std::fs::remove_file(&manifest_path)?;
    }
    let (keys, date_expr) = partitioning(table, columns);
    let relation = format!("{}.{}", quote_ident(schema), quote_ident(table));
    let mut select = format!("SELECT * FROM {relation}");
    if let Some(expr) = &date_expr {
        select = format!("SELECT *, {expr} AS date FROM {relation}");
    }
    let since = since.filter(|_| date_expr.is_some());
    if let (Some(day), Some(expr)) = (since, &date_expr) {
        select += &format!(" WHERE {expr} >= DATE '{day}'");
        remove_partitions_from(dir, day)?;
    } else if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|source| ExportError::Clear {
            dir: dir.to_path_buf(),
            source,
        })?;
    }
    std::fs::create_dir_all(dir)?;
    let target = dir.to_string_lossy().to_string();
    let copy = if keys.is_empty() {
        format!(
            "COPY ({select}) TO {} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)",
            quote_literal(&format!("{target}/part-0.parquet"))
        )
    } else {
        format!(
            "COPY ({select}) TO {} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880, PARTITION_BY ({}), OVERWRITE_OR_IGNORE, FILENAME_PATTERN 'part-{{i}}')",
            quote_literal(&target),
            keys.join(", ")
        )
    };
    conn.execute_batch(&copy)
        .map_err(|source| ExportError::Copy {
            table: format!("{schema}.{table}"),
            source,
        })?;
    let files = list_files(conn, dir)?;
    Ok(Manifest {
        table: format!("{schema}.{table}"),
        rows: files.iter().map(|f| f.rows).sum(),
        bytes: files.iter().map(|f| f.bytes).sum(),
        partitioning: keys,
        schema: columns.to_vec(),
        files,
        exported_at: chrono::Utc::now().to_rfc3339(),
        since: since.map(|d| d.to_string()),
        ecom_version: crate::VERSION.to_string(),
    })
}

/// Removes `date=` partition folders on or after `day` (an incremental re-export
/// rewrites them whole, so a partition never holds old and new files).
fn remove_partitions_from(dir: &Path, day: chrono::NaiveDate) -> std::io::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(date) = name
            .strip_prefix("date=")
            .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
            && date >= day
        {
            std::fs::remove_dir_all(entry.path())?;
        }
    }
    Ok(())
}

/// Every Parquet file under `dir` with its rows (from the Parquet footers, one query),
/// size and hash.
fn list_files(conn: &Connection, dir: &Path) -> Result<Vec<ManifestFile>, ExportError> {
    let mut paths = Vec::new();
    collect_parquet(dir, &mut paths)?;
    paths.sort();
    // An empty partitioned table writes no file, and a glob matching nothing is an
    // error to DuckDB: its manifest lists its schema and no files.
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let glob = format!("{}/**/*.parquet", dir.display());
    let mut stmt = conn.prepare("SELECT file_name, num_rows FROM parquet_file_metadata(?)")?;
    let rows: std::collections::HashMap<String, i64> = stmt
        .query_map([glob.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut files = Vec::new();
    for path in paths {
        let mut hasher = blake3::Hasher::new();
        hasher.update_reader(std::fs::File::open(&path)?)?;
        let bytes = std::fs::metadata(&path)?.len();
        let rows = rows
            .get(path.to_string_lossy().as_ref())
            .copied()
            .unwrap_or(0);
        files.push(ManifestFile {
            path: path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/"),
            rows: rows as u64,
            bytes,
            blake3: hasher.finalize().to_hex().to_string(),
        });
    }
    Ok(files)
}

fn collect_parquet(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_parquet(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_and_patterns() {
        assert_eq!(
            Destination::parse("s3://lake/shop/v1").unwrap(),
            Destination::S3 {
                bucket: "lake".into(),
                prefix: "shop/v1".into()
            }
        );
        assert_eq!(
            Destination::parse("out").unwrap(),
            Destination::Dir("out".into())
        );
        assert!(Destination::parse("s3://").is_err());
        assert!(Destination::parse("gs://x").is_err());
        assert!(matches("marts.*", "marts.fact_sales"));
        assert!(!matches("marts.*", "raw.order_lines"));
        let cols = vec![("invoice_ts".to_string(), "TIMESTAMP".to_string())];
        assert_eq!(partitioning("order_lines", &cols).0, vec!["date"]);
        assert!(partitioning("dim_customer", &cols).0.is_empty());
    }
}
