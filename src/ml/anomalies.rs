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

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use duckdb::Connection;
use duckdb::arrow::array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use polars::prelude::*;
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use serde::Serialize;

use super::error::MlError;
use super::eval::{Detection, detection, mad, median, robust_z};
use super::frames;
use super::job::{check, data_window, replace_table, require_relations};
use super::runs::{self, ModelRun};
use crate::format::thousands;
use crate::jobs::{CancelToken, Progress, ProgressSink, Unit};

#[derive(Debug, Clone, Serialize)]
pub struct AnomalyOptions {
    /// Robust z-score past which a day is flagged.
    pub threshold: f64,
    /// Robust z-score past which an invoice line is flagged (there are half a million
    /// lines, so the bar is higher than for days).
    pub line_threshold: f64,
    /// Injection trials per series, and anomalies injected per trial.
    pub trials: usize,
    pub injected_per_trial: usize,
    pub seed: u64,
}

impl Default for AnomalyOptions {
    fn default() -> Self {
        Self {
            threshold: 3.5,
            line_threshold: 6.0,
            trials: 100,
            injected_per_trial: 5,
            seed: 42,
        }
    }
}

/// One flagged day or line, as written to `ml.anomalies`.
#[derive(Debug, Clone, Serialize)]
pub struct Anomaly {
    pub kind: String,
    pub what: String,
    pub when: NaiveDateTime,
    pub score: f64,
    pub reason: String,
    pub value: f64,
    pub expected: f64,
    pub invoice_no: Option<String>,
    pub stock_code: Option<String>,
    pub customer_id: Option<i64>,
}

/// How one series' detector did on injected anomalies, beside the baseline.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesEvaluation {
    /// Days flagged in the real series.
    pub flagged: usize,
    #[serde(rename = "robust-seasonal")]
    pub detector: Detection,
    /// A global z-score over the raw values (|z| > 3): no trend, no weekday.
    #[serde(rename = "global-z")]
    pub baseline: Detection,
}

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

/// The daily series: `(name, what, column of marts.sales_daily)`.
const SERIES: [(&str, &str, &str); 2] = [
    ("daily_revenue", "net revenue", "net_revenue"),
    ("daily_orders", "orders", "invoice_count"),
];

/// Days either side of a day that make its trend.
const TREND_HALF_WINDOW: i64 = 14;

/// A day's score and the value the model expected for it.
#[derive(Debug, Clone, Copy)]
struct DayScore {
    z: f64,
    expected: f64,
}

/// Log of a series value; days that net to nothing or less sit at the floor of 1.
fn log_value(v: f64) -> f64 {
    v.max(1.0).ln()
}

/// Scores every day of `values` (aligned with `days`, ascending) against trend and
/// weekday; also returns one robust standard deviation of the residuals (log space).
fn score_days(days: &[NaiveDate], values: &[f64]) -> (Vec<DayScore>, f64) {
    let y: Vec<f64> = values.iter().map(|&v| log_value(v)).collect();
    let mut detrended = Vec::with_capacity(y.len());
    let mut trend = Vec::with_capacity(y.len());
    let mut lo = 0;
    for (t, day) in days.iter().enumerate() {
        while (*day - days[lo]).num_days() > TREND_HALF_WINDOW {
            lo += 1;
        }
        let neighbours: Vec<f64> = (lo..days.len())
            .take_while(|&s| (days[s] - *day).num_days() <= TREND_HALF_WINDOW)
            .filter(|&s| s != t)
            .map(|s| y[s])
            .collect();
        let level = if neighbours.is_empty() {
            y[t]
        } else {
            median(&neighbours)
        };
        trend.push(level);
        detrended.push(y[t] - level);
    }
    let weekday_effect: Vec<f64> = (0..7)
        .map(|wd| {
            let same: Vec<f64> = days
                .iter()
                .zip(&detrended)
                .filter(|(d, _)| d.weekday().num_days_from_monday() == wd)
                .map(|(_, r)| *r)
                .collect();
            if same.is_empty() { 0.0 } else { median(&same) }
        })
        .collect();
    let residual: Vec<f64> = days
        .iter()
        .zip(&detrended)
        .map(|(d, r)| r - weekday_effect[d.weekday().num_days_from_monday() as usize])
        .collect();
    let center = median(&residual);
    let spread = mad(&residual, center);
    let scores = days
        .iter()
        .enumerate()
        .map(|(t, d)| DayScore {
            z: robust_z(residual[t], center, spread),
            expected: (trend[t]
                + weekday_effect[d.weekday().num_days_from_monday() as usize]
                + center)
                .exp(),
        })
        .collect();
    // robust_z scales by 0.6745 / MAD: one unit of z is MAD / 0.6745 of residual.
    (scores, spread / 0.6745)
}

/// The baseline: |z| of the raw values against their mean and standard deviation.
fn global_z(values: &[f64]) -> Vec<f64> {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    values
        .iter()
        .map(|v| if sd > 0.0 { (v - mean) / sd } else { 0.0 })
        .collect()
}

fn flagged(scores: impl Iterator<Item = f64>, threshold: f64) -> HashSet<usize> {
    scores
        .enumerate()
        .filter(|(_, z)| z.abs() > threshold)
        .map(|(t, _)| t)
        .collect()
}

/// Injects known spikes and dips into copies of the series and measures how many the
/// detector (and the baseline) find. Days the detector already flags in the real
/// series are neither chosen for injection nor counted as false alarms.
fn evaluate_series(
    days: &[NaiveDate],
    values: &[f64],
    options: &AnomalyOptions,
    cancel: &CancelToken,
) -> anyhow::Result<SeriesEvaluation> {
    let (clean, residual_sigma) = score_days(days, values);
    let already = flagged(clean.iter().map(|s| s.z), options.threshold);
    let already_baseline = flagged(global_z(values).into_iter(), 3.0);
    let eligible: Vec<usize> = (0..days.len()).filter(|t| !already.contains(t)).collect();
    let mut totals = [Tally::default(), Tally::default()];
    for trial in 0..options.trials {
        check(cancel)?;
        let mut rng = Xoshiro256Plus::seed_from_u64(options.seed.wrapping_add(trial as u64));
        // Ordered, so each injected day draws the same size and sign on every run.
        let mut truth = std::collections::BTreeSet::new();
        while truth.len() < options.injected_per_trial.min(eligible.len()) {
            truth.insert(eligible[(rng.next_u64() % eligible.len() as u64) as usize]);
        }
        let mut copy = values.to_vec();
        for &t in &truth {
            let size = 4.0 + 2.0 * unit(&mut rng);
            let sign = if rng.next_u64() % 2 == 0 { 1.0 } else { -1.0 };
            copy[t] = (log_value(values[t]) + sign * size * residual_sigma).exp();
        }
        let found = flagged(
            score_days(days, &copy).0.iter().map(|s| s.z),
            options.threshold,
        );
        let truth: HashSet<usize> = truth.into_iter().collect();
        totals[0].add(&found, &truth, &already);
        let found = flagged(global_z(&copy).into_iter(), 3.0);
        totals[1].add(&found, &truth, &already_baseline);
    }
    Ok(SeriesEvaluation {
        flagged: already.len(),
        detector: totals[0].finish(),
        baseline: totals[1].finish(),
    })
}

/// A uniform draw in [0, 1).
fn unit(rng: &mut Xoshiro256Plus) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Detection counts summed over trials.
#[derive(Default)]
struct Tally {
    flagged: HashSet<(usize, usize)>,
    truth: HashSet<(usize, usize)>,
    trial: usize,
}

impl Tally {
    fn add(&mut self, found: &HashSet<usize>, truth: &HashSet<usize>, already: &HashSet<usize>) {
        let trial = self.trial;
        self.flagged.extend(
            found
                .iter()
                .filter(|t| !already.contains(t))
                .map(|&t| (trial, t)),
        );
        self.truth.extend(truth.iter().map(|&t| (trial, t)));
        self.trial += 1;
    }

    fn finish(&self) -> Detection {
        // Number the (trial, day) pairs so the shared detection measure can count them.
        let mut ids = std::collections::HashMap::new();
        let mut id = |pair: &(usize, usize)| {
            let next = ids.len();
            *ids.entry(*pair).or_insert(next)
        };
        let flagged = self.flagged.iter().map(&mut id).collect();
        let truth = self.truth.iter().map(&mut id).collect();
        detection(&flagged, &truth)
    }
}

const DAILY_SQL: &str = "
SELECT date_diff('day', DATE '1970-01-01', sales_date)::BIGINT AS day,
       net_revenue::DOUBLE AS net_revenue, invoice_count::DOUBLE AS invoice_count
FROM marts.sales_daily ORDER BY sales_date";

fn day_from_epoch(days: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date") + chrono::Duration::days(days)
}

/// Flags the days of each series; returns them with each series' evaluation.
fn daily_anomalies(
    conn: &Connection,
    options: &AnomalyOptions,
    cancel: &CancelToken,
) -> anyhow::Result<(
    usize,
    Vec<Anomaly>,
    std::collections::BTreeMap<String, SeriesEvaluation>,
)> {
    let frame = frames::query_frame(conn, DAILY_SQL)?;
    let days: Vec<NaiveDate> = frames::i64_values(&frame, "day")?
        .into_iter()
        .map(day_from_epoch)
        .collect();
    if days.len() < 8 * 7 {
        return Err(MlError::TooLittleData(format!(
            "{} days of sales: weekday effects and a trend need at least 8 weeks",
            days.len()
        ))
        .into());
    }
    let mut out = Vec::new();
    let mut evaluation = std::collections::BTreeMap::new();
    for (name, what, column) in SERIES {
        let values = frames::f64_values(&frame, column)?;
        for (t, score) in score_days(&days, &values).0.iter().enumerate() {
            if score.z.abs() <= options.threshold {
                continue;
            }
            let direction = if score.z > 0.0 { "above" } else { "below" };
            let ratio = values[t].max(0.0) / score.expected;
            out.push(Anomaly {
                kind: name.to_string(),
                what: what.to_string(),
                when: days[t].and_hms_opt(0, 0, 0).expect("midnight"),
                score: score.z,
                reason: format!(
                    "{what} {} is {direction} the {} expected for a {} at that time of year ({:.1}×, robust z {:+.1})",
                    amount(values[t]),
                    amount(score.expected),
                    days[t].format("%A"),
                    ratio,
                    score.z
                ),
                value: values[t],
                expected: score.expected,
                invoice_no: None,
                stock_code: None,
                customer_id: None,
            });
        }
        evaluation.insert(
            name.to_string(),
            evaluate_series(&days, &values, options, cancel)?,
        );
    }
    Ok((days.len(), out, evaluation))
}

fn amount(v: f64) -> String {
    let rounded = v.round();
    if rounded < 0.0 {
        format!("-{}", thousands((-rounded) as u64))
    } else {
        thousands(rounded as u64)
    }
}

const LINES_SQL: &str = "
SELECT invoice_no, stock_code, customer_id::BIGINT AS customer_id, epoch_us(invoice_ts) AS ts,
       quantity::DOUBLE AS quantity, unit_price::DOUBLE AS unit_price
FROM marts.fact_sales
WHERE NOT is_cancellation AND is_product AND quantity > 0 AND unit_price > 0";

/// A product needs this many sold lines before its "usual" means anything; rarer
/// products are compared with what is usual across all products.
const MIN_LINES_PER_PRODUCT: u32 = 20;

/// The spread below which a product's quantities or prices count as constant: without
/// a floor, a product always sold by the dozen would flag any other quantity.
const LOG_MAD_FLOOR: f64 = 0.35;

/// Lines whose quantity or unit price is far from what is usual for their product.
fn line_anomalies(conn: &Connection, threshold: f64) -> anyhow::Result<Vec<Anomaly>> {
    let lines = frames::query_frame(conn, LINES_SQL)?;
    let overall = |column: &str| -> anyhow::Result<(f64, f64)> {
        let logs: Vec<f64> = frames::f64_values(&lines, column)?
            .iter()
            .map(|v| v.ln())
            .collect();
        let center = median(&logs);
        Ok((center, mad(&logs, center)))
    };
    let (quantity_all, quantity_all_mad) = overall("quantity")?;
    let (price_all, price_all_mad) = overall("unit_price")?;
    // Rare products take the overall median and spread.
    let rare = || col("lines").lt(lit(MIN_LINES_PER_PRODUCT));
    let or_overall = |name: &str, value: f64| {
        when(rare())
            .then(lit(value))
            .otherwise(col(name))
            .alias(name.to_string())
    };
    let floored = |name: &str| {
        when(col(name).lt(lit(LOG_MAD_FLOOR)))
            .then(lit(LOG_MAD_FLOOR))
            .otherwise(col(name))
    };
    let logs = lines.lazy().with_columns([
        col("quantity")
            .log(lit(std::f64::consts::E))
            .alias("log_quantity"),
        col("unit_price")
            .log(lit(std::f64::consts::E))
            .alias("log_price"),
    ]);
    let centers = logs.clone().group_by([col("stock_code")]).agg([
        len().alias("lines"),
        col("log_quantity").median().alias("quantity_median"),
        col("log_price").median().alias("price_median"),
    ]);
    let by_code = |frame: LazyFrame, other: LazyFrame| {
        frame.join(
            other,
            [col("stock_code")],
            [col("stock_code")],
            JoinArgs::new(JoinType::Inner),
        )
    };
    let deviations = by_code(logs, centers).with_columns([
        (col("log_quantity") - col("quantity_median"))
            .abs()
            .alias("quantity_dev"),
        (col("log_price") - col("price_median"))
            .abs()
            .alias("price_dev"),
    ]);
    let spreads = deviations.clone().group_by([col("stock_code")]).agg([
        col("quantity_dev").median().alias("quantity_mad"),
        col("price_dev").median().alias("price_mad"),
    ]);
    let scored = by_code(deviations, spreads)
        .with_columns([
            or_overall("quantity_median", quantity_all),
            or_overall("quantity_mad", quantity_all_mad),
            or_overall("price_median", price_all),
            or_overall("price_mad", price_all_mad),
        ])
        .with_columns([
            (lit(0.6745) * (col("log_quantity") - col("quantity_median"))
                / floored("quantity_mad"))
            .alias("quantity_z"),
            (lit(0.6745) * (col("log_price") - col("price_median")) / floored("price_mad"))
                .alias("price_z"),
        ])
        .filter(
            col("quantity_z")
                .abs()
                .gt(lit(threshold))
                .or(col("price_z").abs().gt(lit(threshold))),
        )
        .sort(
            ["ts", "invoice_no", "stock_code"],
            SortMultipleOptions::default(),
        )
        .collect()?;

    let invoices = frames::string_values(&scored, "invoice_no")?;
    let codes = frames::string_values(&scored, "stock_code")?;
    let customers = scored.column("customer_id")?.cast(&DataType::Int64)?;
    let customers = customers.i64()?;
    let ts = frames::i64_values(&scored, "ts")?;
    let product_lines = frames::i64_values(&scored, "lines")?;
    let measures = [
        (
            "line_quantity",
            "quantity",
            "quantity",
            "quantity_median",
            "quantity_z",
        ),
        (
            "line_price",
            "unit price",
            "unit_price",
            "price_median",
            "price_z",
        ),
    ];
    let mut out = Vec::new();
    for (kind, label, value_col, median_col, z_col) in measures {
        let values = frames::f64_values(&scored, value_col)?;
        let medians = frames::f64_values(&scored, median_col)?;
        let zs = frames::f64_values(&scored, z_col)?;
        for row in 0..scored.height() {
            if zs[row].abs() <= threshold {
                continue;
            }
            let usual = medians[row].exp();
            let direction = if zs[row] > 0.0 { "above" } else { "below" };
            let whose = if product_lines[row] < MIN_LINES_PER_PRODUCT as i64 {
                format!(
                    "across all products ({} has {} sold line(s))",
                    codes[row], product_lines[row]
                )
            } else {
                format!("for {}", codes[row])
            };
            out.push(Anomaly {
                kind: kind.to_string(),
                what: format!("invoice {} line {}", invoices[row], codes[row]),
                when: chrono::DateTime::from_timestamp_micros(ts[row])
                    .map(|t| t.naive_utc())
                    .unwrap_or_default(),
                score: zs[row],
                reason: format!(
                    "{label} {} is far {direction} the usual {} {whose} ({:.1}×, robust z {:+.1})",
                    trim_number(values[row]),
                    trim_number(usual),
                    values[row] / usual,
                    zs[row]
                ),
                value: values[row],
                expected: usual,
                invoice_no: Some(invoices[row].clone()),
                stock_code: Some(codes[row].clone()),
                customer_id: customers.get(row),
            });
        }
    }
    Ok(out)
}

/// A quantity or price without trailing zeros: 12, 0.42, 80995.
fn trim_number(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub fn anomalies(
    conn: &Connection,
    options: &AnomalyOptions,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> anyhow::Result<AnomalyReport> {
    if !(options.threshold > 0.0 && options.line_threshold > 0.0) {
        return Err(MlError::BadParameter(
            "thresholds must be positive robust z-scores (e.g. 3.5)".into(),
        )
        .into());
    }
    if options.trials == 0 || options.injected_per_trial == 0 {
        return Err(MlError::BadParameter(
            "the evaluation needs at least one trial and one injected anomaly per trial".into(),
        )
        .into());
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

fn anomaly_batch(found: &[Anomaly]) -> anyhow::Result<RecordBatch> {
    let text = |f: fn(&Anomaly) -> &str| {
        Arc::new(StringArray::from_iter_values(found.iter().map(f))) as ArrayRef
    };
    let number = |f: fn(&Anomaly) -> f64| {
        Arc::new(Float64Array::from_iter_values(found.iter().map(f))) as ArrayRef
    };
    let optional = |f: fn(&Anomaly) -> Option<&str>| {
        Arc::new(StringArray::from_iter(found.iter().map(f))) as ArrayRef
    };
    Ok(RecordBatch::try_from_iter([
        ("kind", text(|a| &a.kind)),
        ("what", text(|a| &a.what)),
        (
            "when",
            Arc::new(TimestampMicrosecondArray::from_iter_values(
                found.iter().map(|a| a.when.and_utc().timestamp_micros()),
            )),
        ),
        ("score", number(|a| a.score)),
        ("reason", text(|a| &a.reason)),
        ("value", number(|a| a.value)),
        ("expected", number(|a| a.expected)),
        ("invoice_no", optional(|a| a.invoice_no.as_deref())),
        ("stock_code", optional(|a| a.stock_code.as_deref())),
        (
            "customer_id",
            Arc::new(Int64Array::from_iter(found.iter().map(|a| a.customer_id))),
        ),
    ])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three hundred days of a weekly pattern (weekends low), a slow trend and
    /// log-normal noise of 10%, from a seed.
    fn weekly_series() -> (Vec<NaiveDate>, Vec<f64>) {
        let start = NaiveDate::from_ymd_opt(2011, 1, 3).unwrap();
        let days: Vec<NaiveDate> = (0..300)
            .map(|d| start + chrono::Duration::days(d))
            .collect();
        let mut rng = Xoshiro256Plus::seed_from_u64(3);
        let values = days
            .iter()
            .enumerate()
            .map(|(t, d)| {
                let base = if d.weekday().num_days_from_monday() >= 5 {
                    2_000.0
                } else {
                    10_000.0
                };
                // Box-Muller: a standard normal draw.
                let normal = (-2.0 * unit(&mut rng).max(1e-12).ln()).sqrt()
                    * (2.0 * std::f64::consts::PI * unit(&mut rng)).cos();
                base * (1.0 + t as f64 / 600.0) * (0.1 * normal).exp()
            })
            .collect();
        (days, values)
    }

    #[test]
    fn weekday_pattern_and_trend_are_not_anomalies_but_a_spike_is() {
        let (days, mut values) = weekly_series();
        let (quiet, sigma) = score_days(&days, &values);
        let false_alarms = flagged(quiet.iter().map(|s| s.z), 3.5).len();
        assert!(false_alarms <= 2, "{false_alarms} quiet days flagged");
        assert!(
            (sigma - 0.1).abs() < 0.03,
            "robust sigma {sigma} of 10% noise"
        );
        values[150] *= 3.0;
        let (scores, _) = score_days(&days, &values);
        assert!(scores[150].z > 3.5, "{:?}", scores[150]);
        assert!(
            (scores[150].expected / (values[150] / 3.0) - 1.0).abs() < 0.3,
            "{:?}",
            scores[150]
        );
    }

    #[test]
    fn injected_anomalies_are_found_on_a_synthetic_series() {
        let (days, values) = weekly_series();
        let eval = evaluate_series(
            &days,
            &values,
            &AnomalyOptions::default(),
            &CancelToken::new(),
        )
        .unwrap();
        assert!(eval.detector.recall >= 0.8, "{eval:?}");
        assert!(eval.detector.recall > eval.baseline.recall, "{eval:?}");
    }

    #[test]
    fn numbers_print_without_trailing_zeros() {
        assert_eq!(trim_number(12.0), "12");
        assert_eq!(trim_number(0.42), "0.42");
        assert_eq!(amount(-1234.4), "-1,234");
    }
}
