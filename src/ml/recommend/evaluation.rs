//! Judging a model fit on the train side by its ranking of the held-out purchases.

use super::interactions::Interactions;
use super::scorer::{Scorer, popularity, top_n};
use crate::ml::eval::{RankingEval, RankingScores};
use crate::ml::job::par_map;

/// Ranking quality of `scorer` (fit on the train side) on the held-out purchases.
pub(super) fn evaluate(scorer: &Scorer, data: &Interactions, k: usize) -> RankingScores {
    let n = data.products.len();
    let candidate: Vec<bool> = popularity(&data.train, n)
        .iter()
        .map(|&c| c > 0.0)
        .collect();
    let catalogue = candidate.iter().filter(|&&c| c).count();
    let evaluated: Vec<usize> = (0..data.customers.len())
        .filter(|&u| !data.test[u].is_empty())
        .collect();
    let lists = par_map(&evaluated, |&u| {
        let history = &data.train[u];
        let ranked = top_n(&scorer.scores(u, history, n), history, &candidate, k);
        ranked.into_iter().map(|e| e.0).collect::<Vec<u32>>()
    });
    let mut eval = RankingEval::new(k, catalogue);
    for (u, list) in evaluated.iter().zip(&lists) {
        eval.add(list, &data.test[*u]);
    }
    eval.finish()
}
