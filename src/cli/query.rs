//! `ecom query SQL`

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use anyhow::{Context, bail};

use super::args::{OutputFormat, QueryArgs};
use super::output::{CsvSink, JsonSink, ResultSink, TableSink};
use super::{Outcome, Settings};
use crate::warehouse::query::stream_batches;
use crate::warehouse::quote_literal;

pub fn run(args: &QueryArgs, settings: &Settings) -> anyhow::Result<Outcome> {
    let sql = if args.sql == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        text
    } else {
        args.sql.clone()
    };
    let sql = sql.trim().trim_end_matches(';').trim();
    if sql.is_empty() {
        bail!("the SQL is empty");
    }
    let format = choose_format(args, settings.json);
    if let Some(every) = args.auto_refresh {
        return super::live::run(sql, args, settings, format, every);
    }
    if let Some(client) = settings.remote_client()? {
        return super::remote::query(&client, sql, args, format, settings.quiet);
    }
    let warehouse = settings.open_warehouse()?;
    let conn = warehouse.conn();
    if format == OutputFormat::Parquet {
        let Some(path) = &args.output else {
            bail!("--format parquet needs --output FILE");
        };
        let copy = format!(
            "COPY ({sql}) TO {} (FORMAT parquet, COMPRESSION zstd)",
            quote_literal(&path.display().to_string())
        );
        conn.execute_batch(&copy)
            .map_err(crate::warehouse::WarehouseError::from)?;
        return Ok(Outcome::SUCCESS);
    }
    let mut sink = sink_for(args, format)?;
    let schema = stream_batches(conn, sql, |batch| sink.write_batch(batch))?;
    sink.finish(&schema)?;
    Ok(Outcome::SUCCESS)
}

/// Where the answer goes: `--output FILE`, else stdout.
pub(super) fn output(args: &QueryArgs) -> anyhow::Result<Box<dyn Write>> {
    Ok(match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    })
}

/// Where rows go in `format` (not Parquet): `--output FILE`, else stdout.
pub(super) fn sink_for(
    args: &QueryArgs,
    format: OutputFormat,
) -> anyhow::Result<Box<dyn ResultSink>> {
    let out = output(args)?;
    Ok(match format {
        OutputFormat::Csv => Box::new(CsvSink::new(out)),
        OutputFormat::Json => Box::new(JsonSink::new(out)),
        _ => Box::new(TableSink::new(out, args.max_rows)),
    })
}

/// `--format`, else `--json`, else the output file's extension, else a table.
fn choose_format(args: &QueryArgs, json: bool) -> OutputFormat {
    if let Some(format) = args.format {
        return format;
    }
    if json {
        return OutputFormat::Json;
    }
    let extension = args
        .output
        .as_deref()
        .and_then(Path::extension)
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("csv") => OutputFormat::Csv,
        Some("json") => OutputFormat::Json,
        Some("parquet") => OutputFormat::Parquet,
        _ => OutputFormat::Table,
    }
}
