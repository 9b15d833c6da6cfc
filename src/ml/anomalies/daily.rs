//! Unusual days: each daily series of `marts.sales_daily` scored by the day detector,
//! with the reason in words, and each series' evaluation.

use chrono::NaiveDate;
use duckdb::Connection;

use super::anomaly::Anomaly;
use super::evaluation::{SeriesEvaluation, evaluate_series};
use super::options::AnomalyOptions;
use super::seasonal::score_days;
use crate::format::thousands;
use crate::jobs::CancelToken;
use crate::ml::error::MlError;
use crate::ml::error::Result;
use crate::ml::frames;

/// The daily series: `(name, what, column of marts.sales_daily)`.
const SERIES: [(&str, &str, &str); 2] = [
    ("daily_revenue", "net revenue", "net_revenue"),
    ("daily_orders", "orders", "invoice_count"),
];

const DAILY_SQL: &str = "
SELECT date_diff('day', DATE '1970-01-01', sales_date)::BIGINT AS day,
       net_revenue::DOUBLE AS net_revenue, invoice_count::DOUBLE AS invoice_count
FROM marts.sales_daily ORDER BY sales_date";

fn day_from_epoch(days: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date") + chrono::Duration::days(days)
}

/// Flags the days of each series; returns them with each series' evaluation.
pub(super) fn daily_anomalies(
    conn: &Connection,
    options: &AnomalyOptions,
    cancel: &CancelToken,
) -> Result<(
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
        )));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_print_rounded_with_thousands_separators() {
        assert_eq!(amount(-1234.4), "-1,234");
    }
}
