//! Item-item cosine similarity of co-purchases: the item-knn model, and the "bought
//! together" neighbours of every product.

use crate::jobs::CancelToken;
use crate::ml::als::SparseRows;
use crate::ml::job::check;

/// Cosine similarity of products by the customers who bought them (bought or not, not
/// how often), dense: a few thousand products fit in tens of megabytes.
pub(super) struct ItemSimilarity {
    pub(super) n: usize,
    values: Vec<f32>,
}
use crate::ml::error::Result;

impl ItemSimilarity {
    pub(super) fn fit(rows: &SparseRows, n: usize, cancel: &CancelToken) -> Result<Self> {
        let mut co = vec![0f32; n * n];
        let mut buyers = vec![0f32; n];
        for row in rows {
            check(cancel)?;
            for &(i, _) in row {
                buyers[i as usize] += 1.0;
                let base = i as usize * n;
                for &(j, _) in row {
                    if i != j {
                        co[base + j as usize] += 1.0;
                    }
                }
            }
        }
        for i in 0..n {
            for j in 0..n {
                let norm = (buyers[i] * buyers[j]).sqrt();
                if norm > 0.0 {
                    co[i * n + j] /= norm;
                }
            }
        }
        Ok(Self { n, values: co })
    }

    pub(super) fn row(&self, i: u32) -> &[f32] {
        &self.values[i as usize * self.n..(i as usize + 1) * self.n]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_similarity_of_co_purchases() {
        // Items 0 and 1 always bought together; item 2 with item 0 once.
        let rows: SparseRows = vec![vec![(0, 1.0), (1, 1.0)], vec![(0, 3.0), (1, 1.0), (2, 1.0)]];
        let sim = ItemSimilarity::fit(&rows, 3, &CancelToken::new()).unwrap();
        assert!((sim.row(0)[1] - 1.0).abs() < 1e-6);
        assert!((sim.row(0)[2] - 1.0 / 2f32.sqrt()).abs() < 1e-6);
        assert_eq!(sim.row(2)[2], 0.0);
    }
}
