//! What `ecom ml anomalies` is asked for: the thresholds and the evaluation's trials.

use serde::Serialize;

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
