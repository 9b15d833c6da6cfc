//! Judging the day detector: known spikes and dips injected into copies of a series,
//! found (or not) by the detector and by the baseline.

use std::collections::HashSet;

use chrono::NaiveDate;
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use serde::Serialize;

use super::options::AnomalyOptions;
use super::seasonal::{flagged, global_z, log_value, score_days};
use crate::jobs::CancelToken;
use crate::ml::error::Result;
use crate::ml::eval::{Detection, detection};
use crate::ml::job::check;

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

/// Injects known spikes and dips into copies of the series and measures how many the
/// detector (and the baseline) find. Days the detector already flags in the real
/// series are neither chosen for injection nor counted as false alarms.
pub(super) fn evaluate_series(
    days: &[NaiveDate],
    values: &[f64],
    options: &AnomalyOptions,
    cancel: &CancelToken,
) -> Result<SeriesEvaluation> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

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
}
