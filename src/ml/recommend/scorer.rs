//! A fitted model as a scorer of every product for one customer, the popularity
//! baseline, and the top of a scored list.

use std::collections::HashSet;

use super::item_knn::ItemSimilarity;
use crate::ml::als::{AlsModel, SparseRows};

/// A fitted model that scores every product for one customer.
pub(super) enum Scorer {
    Popularity(Vec<f32>),
    ItemKnn(ItemSimilarity),
    Als(AlsModel),
}

impl Scorer {
    pub(super) fn scores(&self, user: usize, history: &[(u32, f32)], n: usize) -> Vec<f32> {
        match self {
            Scorer::Popularity(p) => p.clone(),
            Scorer::ItemKnn(sim) => {
                let mut out = vec![0f32; n];
                for &(i, _) in history {
                    for (o, s) in out.iter_mut().zip(sim.row(i)) {
                        *o += s;
                    }
                }
                out
            }
            Scorer::Als(model) => model.score(user).iter().map(|&v| v as f32).collect(),
        }
    }
}

/// Customers who bought each product: the popularity baseline's score.
pub(super) fn popularity(rows: &SparseRows, n: usize) -> Vec<f32> {
    let mut out = vec![0f32; n];
    for row in rows {
        for &(i, _) in row {
            out[i as usize] += 1.0;
        }
    }
    out
}

/// The `top` best-scored candidates not already bought, best first (ties by index, so
/// the lists are reproducible).
pub(super) fn top_n(
    scores: &[f32],
    history: &[(u32, f32)],
    candidate: &[bool],
    top: usize,
) -> Vec<(u32, f32)> {
    let bought: HashSet<u32> = history.iter().map(|e| e.0).collect();
    let mut ranked: Vec<(u32, f32)> = scores
        .iter()
        .enumerate()
        .filter(|&(i, _)| candidate[i] && !bought.contains(&(i as u32)))
        .map(|(i, &s)| (i as u32, s))
        .collect();
    let by_score = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if ranked.len() > top {
        ranked.select_nth_unstable_by(top, by_score);
        ranked.truncate(top);
    }
    ranked.sort_by(by_score);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_n_skips_bought_and_non_candidates_and_breaks_ties_by_index() {
        let scores = [0.5, 0.9, 0.9, 0.1, 0.7];
        let candidate = [true, true, true, true, false];
        let top = top_n(&scores, &[(1, 1.0)], &candidate, 2);
        assert_eq!(top, vec![(2, 0.9), (0, 0.5)]);
    }
}
