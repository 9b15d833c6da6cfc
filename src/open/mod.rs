//! `ecom open PATH...`: files, folders, globs, Hive-partitioned lakes and `s3://`
//! prefixes as views in one schema (`opened`) of a database, so the workbench's catalog,
//! grid and SQL tabs work on them like on any table, and queries join them with the
//! warehouse. Nothing is copied: a view reads its files each time it is queried.
//! Two exceptions, both documented in docs/OPEN.md: workbooks (`.xlsx`) are
//! materialised as tables ([`workbook`]), and `s3://` objects are read from a local
//! cache ([`s3`]).
//!
//! Each PATH opens on its own: one that cannot be read is an [`OpenFailure`] naming it
//! and saying why, and the others still open.

mod error;
mod names;
mod reader;
mod resolve;
mod s3;
mod workbook;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use duckdb::Connection;
use serde::Serialize;

use crate::ingest::formats::Format;
use crate::warehouse::catalog::{Column, RelationKind};
use crate::warehouse::{quote_ident, quote_literal};
pub use error::OpenError;
use names::Namer;
use resolve::Group;

/// The schema opened files are views in.
pub const SCHEMA: &str = "opened";
/// The schema `import` copies views into.
pub const IMPORT_SCHEMA: &str = "imported";
/// The name the default warehouse is attached under beside a scratch database.
pub const WAREHOUSE_ALIAS: &str = "warehouse";
/// Text files up to this size (together) are counted when rows are asked for; Parquet
/// answers from its metadata whatever its size.
const CHEAP_COUNT_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub schema: String,
    /// An S3-compatible endpoint for `s3://` paths (else `AWS_ENDPOINT`, else AWS).
    pub endpoint: Option<String>,
    /// Where `s3://` objects are copied.
    pub cache_dir: PathBuf,
    /// Count each view's rows when that is cheap (Parquet, tables, small text files).
    pub count_rows: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            schema: SCHEMA.to_string(),
            endpoint: None,
            cache_dir: crate::paths::cache_dir().join("s3"),
            count_rows: false,
        }
    }
}

/// One relation `open` created.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OpenedView {
    pub schema: String,
    pub name: String,
    /// The PATH (or the part of a folder or lake) it reads.
    pub source: String,
    pub format: Format,
    pub files: usize,
    /// A view, or a table for a materialised workbook.
    pub kind: RelationKind,
    pub columns: Vec<Column>,
    /// `None` when not counted (not asked, or not cheap).
    pub rows: Option<u64>,
}

impl OpenedView {
    /// `"schema"."name"`, for SQL.
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
}

/// A PATH (or one group of files in it) that did not open, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OpenFailure {
    pub path: String,
    pub reason: String,
}

impl std::fmt::Display for OpenFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// What one `open` did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct OpenReport {
    pub views: Vec<OpenedView>,
    pub failures: Vec<OpenFailure>,
    /// Sentences for the user (what was attached, or why not).
    pub notes: Vec<String>,
}

/// Opens every PATH as views (or, for workbooks, tables) in `options.schema`; fails
/// only when the schema itself cannot be made or read.
pub fn open(
    conn: &Connection,
    paths: &[String],
    options: &OpenOptions,
) -> Result<OpenReport, OpenError> {
    conn.execute_batch(&format!(
        "CREATE SCHEMA IF NOT EXISTS {}",
        quote_ident(&options.schema)
    ))?;
    let mut namer = Namer::new(existing(conn, &options.schema)?);
    let mut report = OpenReport::default();
    for path in paths {
        let groups = match groups_of(path, options) {
            Ok(groups) => groups,
            Err(e) => {
                report.failures.push(OpenFailure {
                    path: path.clone(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        for group in groups {
            let name = namer.name(&group.hint, &group.source);
            match create(conn, &options.schema, &name, &group, options.count_rows) {
                Ok(view) => report.views.push(view),
                Err(e) => report.failures.push(OpenFailure {
                    path: group.source.clone(),
                    reason: e.to_string(),
                }),
            }
        }
    }
    Ok(report)
}

/// The groups of one PATH, fetching `s3://` objects first.
fn groups_of(path: &str, options: &OpenOptions) -> Result<Vec<Group>, OpenError> {
    if path.starts_with("s3://") {
        let local = s3::fetch(path, options.endpoint.as_deref(), &options.cache_dir)?;
        return resolve::resolve(&local.to_string_lossy(), path.trim_end_matches('/'));
    }
    resolve::resolve(path, path)
}

/// The relations already in `schema`, with the source their comment records.
fn existing(conn: &Connection, schema: &str) -> Result<HashMap<String, String>, OpenError> {
    let mut stmt = conn.prepare(
        "SELECT table_name, coalesce(comment, '') FROM duckdb_tables()
         WHERE database_name = current_database() AND schema_name = ?
         UNION ALL
         SELECT view_name, coalesce(comment, '') FROM duckdb_views()
         WHERE database_name = current_database() AND schema_name = ?",
    )?;
    let rows = stmt.query_map([schema, schema], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Creates the view (or workbook table) `schema.name` over `group`, checks that its
/// first row reads, and describes it.
fn create(
    conn: &Connection,
    schema: &str,
    name: &str,
    group: &Group,
    count_rows: bool,
) -> Result<OpenedView, OpenError> {
    let target = format!("{}.{}", quote_ident(schema), quote_ident(name));
    let kind = if group.format == Format::Xlsx {
        workbook::materialise(conn, &target, &group.files)?;
        RelationKind::Table
    } else {
        let reader = reader::table_function(group)?;
        conn.execute_batch(&format!(
            "CREATE OR REPLACE VIEW {target} AS SELECT * FROM {reader}"
        ))?;
        RelationKind::View
    };
    let kind_sql = match kind {
        RelationKind::Table => "TABLE",
        RelationKind::View => "VIEW",
    };
    let checked = conn
        .execute_batch(&format!(
            "COMMENT ON {kind_sql} {target} IS {}",
            quote_literal(&group.source)
        ))
        .and_then(|()| conn.execute_batch(&format!("SELECT * FROM {target} LIMIT 1")));
    if let Err(e) = checked {
        let _ = conn.execute_batch(&format!("DROP {kind_sql} IF EXISTS {target}"));
        return Err(e.into());
    }
    let cheap = kind == RelationKind::Table
        || group.format == Format::Parquet
        || group.files.iter().map(|f| file_size(f)).sum::<u64>() <= CHEAP_COUNT_BYTES;
    let rows = if count_rows && cheap {
        Some(count(conn, &target)?)
    } else {
        None
    };
    Ok(OpenedView {
        schema: schema.to_string(),
        name: name.to_string(),
        source: group.source.clone(),
        format: group.format,
        files: group.files.len(),
        kind,
        columns: columns(conn, schema, name)?,
        rows,
    })
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn count(conn: &Connection, target: &str) -> Result<u64, OpenError> {
    let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {target}"), [], |r| r.get(0))?;
    Ok(n as u64)
}

fn columns(conn: &Connection, schema: &str, name: &str) -> Result<Vec<Column>, OpenError> {
    let mut stmt = conn.prepare(
        "SELECT column_name, data_type FROM duckdb_columns()
         WHERE database_name = current_database() AND schema_name = ? AND table_name = ?
         ORDER BY column_index",
    )?;
    let rows = stmt.query_map([schema, name], |r| {
        Ok(Column {
            name: r.get(0)?,
            data_type: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Copies the opened view `name` into the table `imported.name` (replacing it), when the
/// user asks: the one way opened data is copied. Returns the table and its rows.
pub fn import(conn: &Connection, schema: &str, name: &str) -> Result<(String, u64), OpenError> {
    if !existing(conn, schema)?.contains_key(name) {
        return Err(OpenError::NoView(name.to_string()));
    }
    let table = format!("{}.{}", quote_ident(IMPORT_SCHEMA), quote_ident(name));
    conn.execute_batch(&format!(
        "CREATE SCHEMA IF NOT EXISTS {}; CREATE OR REPLACE TABLE {table} AS SELECT * FROM {}.{}",
        quote_ident(IMPORT_SCHEMA),
        quote_ident(schema),
        quote_ident(name)
    ))?;
    Ok((format!("{IMPORT_SCHEMA}.{name}"), count(conn, &table)?))
}

/// Attaches the warehouse file `path` read-only as [`WAREHOUSE_ALIAS`], so opened files
/// join with its marts (`warehouse.marts.fact_sales`); a sentence either way.
pub fn attach_warehouse(conn: &Connection, path: &Path) -> String {
    if !path.is_file() {
        return format!(
            "no warehouse at {} to join with (ecom ingest creates it)",
            path.display()
        );
    }
    let sql = format!(
        "ATTACH {} AS {} (READ_ONLY)",
        quote_literal(&path.to_string_lossy()),
        quote_ident(WAREHOUSE_ALIAS)
    );
    match conn.execute_batch(&sql) {
        Ok(()) => format!(
            "attached read-only as `{WAREHOUSE_ALIAS}`: the warehouse {} \
             (JOIN {WAREHOUSE_ALIAS}.marts.fact_sales …)",
            path.display()
        ),
        Err(e) => format!(
            "the warehouse {} is not attached ({}): the opened files are on their own",
            path.display(),
            e.to_string().lines().next().unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_opens_as_a_view_the_bad_ones_say_why_and_import_copies() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("Sales 2011.csv");
        std::fs::write(&good, "Quantity,UnitPrice\n2,1.5\n3,2\n").unwrap();
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "").unwrap();
        let conn = crate::warehouse::engine::open_in_memory().unwrap();
        let paths = [
            good.display().to_string(),
            empty.display().to_string(),
            "s3://".to_string(),
        ];
        let options = OpenOptions {
            count_rows: true,
            ..OpenOptions::default()
        };
        let report = open(&conn, &paths, &options).unwrap();
        assert_eq!(report.views.len(), 1);
        let view = &report.views[0];
        assert_eq!(
            (view.name.as_str(), view.rows, view.kind, view.columns.len()),
            ("sales_2011", Some(2), RelationKind::View, 2)
        );
        let reasons: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
        assert_eq!(
            reasons,
            vec![
                format!("{}: the file is empty", empty.display()),
                "s3://: `s3://` has no bucket: use s3://BUCKET/PREFIX".to_string(),
            ]
        );
        assert_eq!(
            import(&conn, SCHEMA, "sales_2011").unwrap(),
            ("imported.sales_2011".to_string(), 2)
        );
        assert!(matches!(
            import(&conn, SCHEMA, "nope"),
            Err(OpenError::NoView(_))
        ));
        let note = attach_warehouse(&conn, &dir.path().join("none.duckdb"));
        assert!(note.starts_with("no warehouse at"), "{note}");
    }
}
