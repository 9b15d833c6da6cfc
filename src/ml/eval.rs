//! The measures the jobs report: ranking quality for recommendations, robust location and
//! spread for anomaly scores, detection precision and recall.

use std::collections::HashSet;

use serde::Serialize;

/// Top-k ranking quality, averaged over the evaluated customers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RankingScores {
    #[serde(rename = "precision@10")]
    pub precision: f64,
    #[serde(rename = "recall@10")]
    pub recall: f64,
    #[serde(rename = "ndcg@10")]
    pub ndcg: f64,
    /// Share of the catalogue that appears in at least one customer's list.
    pub coverage: f64,
    /// Customers evaluated.
    pub customers: usize,
}

/// Accumulates per-customer hits into [`RankingScores`].
pub struct RankingEval {
    k: usize,
    catalogue: usize,
    sums: [f64; 3],
    customers: usize,
    recommended: HashSet<u32>,
}

impl RankingEval {
    pub fn new(k: usize, catalogue: usize) -> Self {
        Self {
            k,
            catalogue,
            sums: [0.0; 3],
            customers: 0,
            recommended: HashSet::new(),
        }
    }

    /// Scores one customer's ranked list against the items they actually bought.
    pub fn add(&mut self, ranked: &[u32], relevant: &HashSet<u32>) {
        if relevant.is_empty() {
            return;
        }
        let top = &ranked[..ranked.len().min(self.k)];
        let hits = top.iter().filter(|i| relevant.contains(i)).count() as f64;
        let dcg: f64 = top
            .iter()
            .enumerate()
            .filter(|(_, i)| relevant.contains(i))
            .map(|(rank, _)| 1.0 / (rank as f64 + 2.0).log2())
            .sum();
        let ideal: f64 = (0..relevant.len().min(self.k))
            .map(|rank| 1.0 / (rank as f64 + 2.0).log2())
            .sum();
        self.sums[0] += hits / self.k as f64;
        self.sums[1] += hits / relevant.len() as f64;
        self.sums[2] += dcg / ideal;
        self.customers += 1;
        self.recommended.extend(top.iter().copied());
    }

    pub fn finish(&self) -> RankingScores {
        let n = self.customers.max(1) as f64;
        RankingScores {
            precision: self.sums[0] / n,
            recall: self.sums[1] / n,
            ndcg: self.sums[2] / n,
            coverage: self.recommended.len() as f64 / self.catalogue.max(1) as f64,
            customers: self.customers,
        }
    }
}

/// The median of `values` (NaN when empty).
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

/// Median absolute deviation around `center`.
pub fn mad(values: &[f64], center: f64) -> f64 {
    median(
        &values
            .iter()
            .map(|v| (v - center).abs())
            .collect::<Vec<_>>(),
    )
}

/// The modified z-score of Iglewicz and Hoaglin: `0.6745 (x - median) / MAD`, about a
/// standard normal score for normal data and unmoved by the outliers it looks for.
pub fn robust_z(value: f64, median: f64, mad: f64) -> f64 {
    if mad <= f64::EPSILON {
        return 0.0;
    }
    0.6745 * (value - median) / mad
}

/// Precision and recall of `flagged` against the `truth` set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Detection {
    pub precision: f64,
    pub recall: f64,
    pub injected: usize,
    pub found: usize,
    pub false_alarms: usize,
}

pub fn detection(flagged: &HashSet<usize>, truth: &HashSet<usize>) -> Detection {
    let found = flagged.intersection(truth).count();
    let false_alarms = flagged.len() - found;
    Detection {
        precision: if flagged.is_empty() {
            0.0
        } else {
            found as f64 / flagged.len() as f64
        },
        recall: if truth.is_empty() {
            0.0
        } else {
            found as f64 / truth.len() as f64
        },
        injected: truth.len(),
        found,
        false_alarms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranking_scores_match_hand_computed_values() {
        let mut eval = RankingEval::new(10, 20);
        // Hits at ranks 1 and 3 of 10; three relevant items in all.
        let relevant: HashSet<u32> = [1, 3, 99].into();
        eval.add(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], &relevant);
        let s = eval.finish();
        assert!((s.precision - 0.2).abs() < 1e-12);
        assert!((s.recall - 2.0 / 3.0).abs() < 1e-12);
        let dcg = 1.0 + 1.0 / 4f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert!((s.ndcg - dcg / idcg).abs() < 1e-12);
        assert!((s.coverage - 0.5).abs() < 1e-12);
    }

    #[test]
    fn customers_without_held_out_items_are_not_counted() {
        let mut eval = RankingEval::new(10, 5);
        eval.add(&[1, 2], &HashSet::new());
        assert_eq!(eval.finish().customers, 0);
    }

    #[test]
    fn robust_statistics() {
        let v = [1.0, 2.0, 3.0, 4.0, 100.0];
        assert_eq!(median(&v), 3.0);
        assert_eq!(mad(&v, 3.0), 1.0);
        assert!((robust_z(100.0, 3.0, 1.0) - 0.6745 * 97.0).abs() < 1e-9);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(robust_z(5.0, 5.0, 0.0), 0.0);
    }

    #[test]
    fn detection_counts_hits_and_false_alarms() {
        let flagged: HashSet<usize> = [1, 2, 3, 4].into();
        let truth: HashSet<usize> = [2, 3, 5].into();
        let d = detection(&flagged, &truth);
        assert_eq!((d.found, d.false_alarms, d.injected), (2, 2, 3));
        assert!((d.precision - 0.5).abs() < 1e-12);
        assert!((d.recall - 2.0 / 3.0).abs() < 1e-12);
    }
}
