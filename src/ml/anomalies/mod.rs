//! `ecom ml anomalies`: unusual days and unusual invoice lines.
//!
//! Days: the daily net revenue and order series, in log space, minus a trend (the
//! rolling median of the 14 days either side) and a weekday effect (the median
//! detrended value of that weekday), leave a residual whose robust z-score (median and
//! MAD) flags a day past the threshold. The medians make the fit blind to the very
//! outliers it looks for. The detector is judged by injecting known spikes and dips
//! (4 to 6 robust standard deviations) into copies of each series, beside a plain
//! global z-score that ignores trend and weekday.
//!
//! Lines: each sold line's quantity and unit price against what is usual for its
//! product (median and MAD of the logs over that product's lines), with the reason.
//!
//! The job is here; the day detector is in [`seasonal`], its evaluation in
//! [`evaluation`], the days in [`daily`] and the lines in [`lines`].

mod anomaly;
mod daily;
mod evaluation;
mod lines;
mod options;
mod seasonal;

pub use anomaly::Anomaly;
pub use evaluation::SeriesEvaluation;
pub use options::AnomalyOptions;

use std::time::Instant;

use duckdb::Connection;
use serde::Serialize;

use crate::jobs::{CancelToken, Progress, ProgressSink, Unit};
use crate::ml::error::MlError;
use crate::ml::error::Result;
use crate::ml::job::{check, data_window, replace_table, require_relations};
use crate::ml::runs::{self, ModelRun};
use anomaly::anomaly_batch;
use daily::daily_anomalies;
use lines::line_anomalies;

#[derive(Debug, Clone, Serialize)]
pub struct AnomalyReport {
    pub run_id: i64,
    pub days: usize,
    /// By series name: `daily_revenue`, `daily_orders`.
    pub evaluation: std::collections::BTreeMap<String, SeriesEvaluation>,
    pub flagged_days: usize,
    pub flagged_lines: usize,
    /// The strongest anomalies, strongest first.
    pub top: Vec<Anomaly>,
    pub threshold: f64,
    pub line_threshold: f64,
}

pub fn anomalies(
    conn: &Connection,
    options: &AnomalyOptions,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<AnomalyReport> {
    if !(options.threshold > 0.0 && options.line_threshold > 0.0) {
        return Err(MlError::BadParameter(
            "thresholds must be positive robust z-scores (e.g. 3.5)".into(),
        ));
    }
    if options.trials == 0 || options.injected_per_trial == 0 {
        return Err(MlError::BadParameter(
            "the evaluation needs at least one trial and one injected anomaly per trial".into(),
        ));
    }
    require_relations(conn, &["marts.sales_daily", "marts.fact_sales"])?;
    let started_at = chrono::Local::now().naive_local();
    let started = Instant::now();
    let report = |done: u64, message: &str| {
        progress
            .report(Progress::new("ml anomalies", done, Some(4), Unit::Steps).with_message(message))
    };
    report(0, "scoring daily series");
    let (days, mut found, evaluation) = daily_anomalies(conn, options, cancel)?;
    let flagged_days = found.len();
    check(cancel)?;
    report(1, "scoring invoice lines");
    let lines = line_anomalies(conn, options.line_threshold)?;
    let flagged_lines = lines.len();
    found.extend(lines);
    check(cancel)?;
    report(2, "writing ml.anomalies");
    let (data_from, data_to) = data_window(conn, "marts.fact_sales", "invoice_ts")?;
    let run = ModelRun {
        model: "anomalies".into(),
        algorithm: "robust-seasonal".into(),
        parameters: serde_json::to_value(options)?,
        metrics: serde_json::json!({
            "evaluation": evaluation,
            "flagged_days": flagged_days,
            "flagged_lines": flagged_lines,
        }),
        data_from,
        data_to,
        input_rows: days as u64,
        output_rows: found.len() as u64,
    };
    let batch = anomaly_batch(&found)?;
    let run_id = runs::commit(conn, &run, started_at, started, |tx| {
        replace_table(
            tx,
            "ml.anomalies",
            "kind VARCHAR, what VARCHAR, \"when\" TIMESTAMP, score DOUBLE, reason VARCHAR, value DOUBLE,
             expected DOUBLE, invoice_no VARCHAR, stock_code VARCHAR, customer_id BIGINT",
            batch,
        )
    })?;
    report(
        4,
        &format!("{flagged_days} days and {flagged_lines} lines flagged"),
    );
    found.sort_by(|a, b| b.score.abs().total_cmp(&a.score.abs()));
    found.truncate(10);
    Ok(AnomalyReport {
        run_id,
        days,
        evaluation,
        flagged_days,
        flagged_lines,
        top: found,
        threshold: options.threshold,
        line_threshold: options.line_threshold,
    })
}
