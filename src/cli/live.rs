//! `ecom query --auto-refresh N [--times K]`: the headless twin of a workbench tab's
//! auto-refresh. The SQL runs again every N (each run starting once the one before has
//! finished, [`Schedule`]), on the warehouse or through `--remote`, and every answer is
//! printed as `--help` says (see `QueryArgs::auto_refresh`).

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::bail;
use chrono::{DateTime, Local, SecondsFormat};
use duckdb::arrow::datatypes::SchemaRef;
use duckdb::arrow::record_batch::RecordBatch;

use super::args::{OutputFormat, QueryArgs};
use super::output::{ResultSink, TableSink};
use super::{Outcome, Settings};
use crate::jobs::CancelToken;
use crate::refresh::{self, Schedule};
use crate::remote::{Blocking, Cancel, QueryRequest};
use crate::warehouse::Warehouse;
use crate::warehouse::query::{batch_to_json_objects, batch_to_text, stream_batches};

/// How often the wait between runs looks at Ctrl+C.
const POLL: Duration = Duration::from_millis(100);

pub fn run(
    sql: &str,
    args: &QueryArgs,
    settings: &Settings,
    format: OutputFormat,
    every: Duration,
) -> anyhow::Result<Outcome> {
    if format == OutputFormat::Parquet {
        bail!(
            "--auto-refresh prints every answer: use --format table, csv or json (Parquet writes one file once)"
        );
    }
    if let Some(word) = refresh::first_write([sql]) {
        bail!(
            "--auto-refresh re-runs reads only (SELECT, WITH, FROM, SHOW, DESCRIBE, PIVOT…): {word} would change the warehouse at every run"
        );
    }
    let source = match settings.remote_client()? {
        Some(client) => Source::Remote(Blocking::new(client), args.limit),
        None => Source::Local(settings.open_warehouse()?),
    };
    let mut out = super::query::output(args)?;
    let cancel = super::interrupt::cancel_on_ctrl_c();
    let mut printer = Printer {
        format,
        max_rows: args.max_rows,
        wrote_header: false,
    };
    let mut schedule = Schedule::new(every);
    let mut last_error = None;
    for answer in 1.. {
        if !wait_until_due(&schedule, &cancel) {
            break;
        }
        schedule.started(Instant::now());
        let at = Local::now();
        last_error = printer
            .answer(&source, sql, answer, at, &mut out)
            .err()
            .map(|e| format!("{e:#}"));
        if let Some(error) = &last_error {
            eprintln!("{}: answer {answer} failed: {error}", at.format("%H:%M:%S"));
        }
        if args.times == Some(answer) || cancel.is_cancelled() {
            break;
        }
    }
    Ok(match last_error {
        Some(error) => Outcome::Failed {
            sentence: format!("the last answer failed: {error}"),
        },
        None => Outcome::SUCCESS,
    })
}

/// Sleeps until the next run is due; false when Ctrl+C came first.
fn wait_until_due(schedule: &Schedule, cancel: &CancelToken) -> bool {
    loop {
        if cancel.is_cancelled() {
            return false;
        }
        let wait = schedule.wait(Instant::now());
        if wait.is_zero() {
            return true;
        }
        std::thread::sleep(wait.min(POLL));
    }
}

/// Where the answers come from.
enum Source {
    Local(Warehouse),
    /// A server (`--remote`), asked for `limit` rows at most.
    Remote(Blocking, usize),
}

impl Source {
    /// Runs `sql`, handing each batch of its answer to `on_batch`; its schema.
    fn fetch(
        &self,
        sql: &str,
        on_batch: impl FnMut(&RecordBatch) -> anyhow::Result<()>,
    ) -> anyhow::Result<SchemaRef> {
        match self {
            Self::Local(warehouse) => stream_batches(warehouse.conn(), sql, on_batch),
            Self::Remote(remote, limit) => {
                let request = QueryRequest {
                    sql: sql.to_string(),
                    limit: Some(*limit),
                };
                let mut cancel = Cancel::never();
                let query = remote.client.query(&request, &mut cancel, on_batch);
                Ok(remote.block_on(query)?.schema)
            }
        }
    }
}

/// Prints each answer in `format`, as `--help` says.
struct Printer {
    format: OutputFormat,
    max_rows: usize,
    /// The CSV header went out with the first answer.
    wrote_header: bool,
}

impl Printer {
    fn answer(
        &mut self,
        source: &Source,
        sql: &str,
        answer: u64,
        at: DateTime<Local>,
        out: &mut dyn Write,
    ) -> anyhow::Result<()> {
        let stamp = at.to_rfc3339_opts(SecondsFormat::Secs, false);
        match self.format {
            OutputFormat::Csv => self.csv(source, sql, &stamp, out)?,
            OutputFormat::Json => {
                let mut rows = Vec::new();
                source.fetch(sql, |batch| {
                    rows.extend(batch_to_json_objects(batch));
                    Ok(())
                })?;
                let line =
                    serde_json::json!({"refreshed_at": stamp, "answer": answer, "rows": rows});
                serde_json::to_writer(&mut *out, &line)?;
                writeln!(out)?;
            }
            OutputFormat::Table | OutputFormat::Parquet => {
                writeln!(
                    out,
                    "-- {} · answer {answer}",
                    at.format("%Y-%m-%d %H:%M:%S")
                )?;
                let mut sink = TableSink::new(&mut *out, self.max_rows);
                let schema = source.fetch(sql, |batch| sink.write_batch(batch))?;
                sink.finish(&schema)?;
                writeln!(out)?;
            }
        }
        out.flush()?;
        Ok(())
    }

    /// The answer's rows, each after its time; the header before the first answer's.
    fn csv(
        &mut self,
        source: &Source,
        sql: &str,
        stamp: &str,
        out: &mut dyn Write,
    ) -> anyhow::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        let wrote_header = &mut self.wrote_header;
        let mut header = |writer: &mut csv::Writer<&mut dyn Write>, schema: &SchemaRef| {
            if !std::mem::replace(wrote_header, true) {
                let names = schema.fields().iter().map(|f| f.name().as_str());
                writer.write_record(std::iter::once("refreshed_at").chain(names))?;
            }
            anyhow::Ok(())
        };
        let schema = source.fetch(sql, |batch| {
            header(&mut writer, &batch.schema())?;
            for row in batch_to_text(batch, "") {
                writer.write_record(std::iter::once(stamp.to_string()).chain(row))?;
            }
            Ok(())
        })?;
        header(&mut writer, &schema)?;
        writer.flush()?;
        Ok(())
    }
}
