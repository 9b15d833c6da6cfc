//! The day detector: a day's log value against its trend (the rolling median of the
//! days either side) and its weekday effect, as a robust z-score; and the baseline, a
//! plain global z-score.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};

use crate::ml::eval::{mad, median, robust_z};

/// Days either side of a day that make its trend.
const TREND_HALF_WINDOW: i64 = 14;

/// A day's score and the value the model expected for it.
#[derive(Debug, Clone, Copy)]
pub(super) struct DayScore {
    pub(super) z: f64,
    pub(super) expected: f64,
}

/// Log of a series value; days that net to nothing or less sit at the floor of 1.
pub(super) fn log_value(v: f64) -> f64 {
    v.max(1.0).ln()
}

/// Scores every day of `values` (aligned with `days`, ascending) against trend and
/// weekday; also returns one robust standard deviation of the residuals (log space).
pub(super) fn score_days(days: &[NaiveDate], values: &[f64]) -> (Vec<DayScore>, f64) {
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
pub(super) fn global_z(values: &[f64]) -> Vec<f64> {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    values
        .iter()
        .map(|v| if sd > 0.0 { (v - mean) / sd } else { 0.0 })
        .collect()
}

pub(super) fn flagged(scores: impl Iterator<Item = f64>, threshold: f64) -> HashSet<usize> {
    scores
        .enumerate()
        .filter(|(_, z)| z.abs() > threshold)
        .map(|(t, _)| t)
        .collect()
}
