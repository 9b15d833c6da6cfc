//! Implicit-feedback ALS (Hu, Koren and Volinsky, 2008), by hand on ndarray: linfa has no
//! matrix factorisation.
//!
//! Every observed (user, item) pair has a preference of 1 and a confidence
//! `1 + alpha * r` (r = how often it was bought); every unobserved pair a preference of
//! 0 and a confidence of 1. Each half-step solves the regularised least-squares problem
//! of one side exactly, user by user (then item by item), with the `YᵀY` trick so the
//! cost grows with the observed pairs, not with the whole matrix.

use ndarray::{Array2, ArrayView1};
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};

use crate::jobs::CancelToken;

/// A sparse matrix of counts, by row: `rows[u] = [(item, count), …]`.
pub type SparseRows = Vec<Vec<(u32, f32)>>;

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct AlsParams {
    pub factors: usize,
    pub regularization: f64,
    pub alpha: f64,
    pub iterations: usize,
    pub seed: u64,
}

impl Default for AlsParams {
    fn default() -> Self {
        Self {
            factors: 32,
            regularization: 0.1,
            alpha: 10.0,
            iterations: 15,
            seed: 42,
        }
    }
}

/// The fitted factors: `users · itemsᵀ` scores every pair.
pub struct AlsModel {
    pub users: Array2<f64>,
    pub items: Array2<f64>,
}

impl AlsModel {
    pub fn score(&self, user: usize) -> ndarray::Array1<f64> {
        self.items.dot(&self.users.row(user))
    }
}

/// Fits factors to `by_user` (users × items counts); `on_iteration(i)` after each sweep.
/// Returns `None` when cancelled.
pub fn fit(
    by_user: &SparseRows,
    n_items: usize,
    params: &AlsParams,
    cancel: &CancelToken,
    mut on_iteration: impl FnMut(usize),
) -> Option<AlsModel> {
    let by_item = transpose(by_user, n_items);
    let mut rng = Xoshiro256Plus::seed_from_u64(params.seed);
    let mut init = |rows: usize| {
        Array2::from_shape_fn((rows, params.factors), |_| {
            // Uniform in [0, 0.01): small, so the first sweeps are driven by the data.
            (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 0.01
        })
    };
    let mut users = init(by_user.len());
    let mut items = init(n_items);
    for iteration in 0..params.iterations {
        if cancel.is_cancelled() {
            return None;
        }
        solve_side(&mut users, &items, by_user, params);
        solve_side(&mut items, &users, &by_item, params);
        on_iteration(iteration + 1);
    }
    Some(AlsModel { users, items })
}

/// The columns of `rows` as rows.
fn transpose(rows: &SparseRows, n_cols: usize) -> SparseRows {
    let mut out: SparseRows = vec![Vec::new(); n_cols];
    for (r, row) in rows.iter().enumerate() {
        for &(c, v) in row {
            out[c as usize].push((r as u32, v));
        }
    }
    out
}

/// Recomputes every row of `target` given the fixed `other` side, on all cores.
fn solve_side(
    target: &mut Array2<f64>,
    other: &Array2<f64>,
    rows: &SparseRows,
    params: &AlsParams,
) {
    let gram = other.t().dot(other);
    let solved = super::job::par_map(rows, |row| solve_row(&gram, other, row, params));
    for (mut out, x) in target.outer_iter_mut().zip(solved) {
        out.assign(&ndarray::ArrayView1::from(&x));
    }
}

/// `x = (G + Σ (c-1) y yᵀ + λI)⁻¹ Σ c y` for one row's observed pairs.
fn solve_row(
    gram: &Array2<f64>,
    other: &Array2<f64>,
    row: &[(u32, f32)],
    params: &AlsParams,
) -> Vec<f64> {
    let f = params.factors;
    let mut a = gram.clone();
    let mut b = vec![0.0; f];
    for &(j, r) in row {
        let y: ArrayView1<f64> = other.row(j as usize);
        let confidence = 1.0 + params.alpha * r as f64;
        for p in 0..f {
            b[p] += confidence * y[p];
            let scaled = (confidence - 1.0) * y[p];
            for q in 0..f {
                a[[p, q]] += scaled * y[q];
            }
        }
    }
    for p in 0..f {
        a[[p, p]] += params.regularization;
    }
    let mut a = a.into_raw_vec_and_offset().0;
    solve_spd(&mut a, &mut b, f);
    b
}

/// Solves `A x = b` for a symmetric positive-definite `A` (row-major, n × n) by Cholesky
/// decomposition, in place: `b` becomes `x`.
pub fn solve_spd(a: &mut [f64], b: &mut [f64], n: usize) {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        let d = d.max(1e-12).sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * n + k] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= a[k * n + i] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_known_system() {
        // A = [[4, 2], [2, 3]], x = [1, -2] → b = [0, -4].
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        let mut b = vec![0.0, -4.0];
        solve_spd(&mut a, &mut b, 2);
        assert!(
            (b[0] - 1.0).abs() < 1e-12 && (b[1] + 2.0).abs() < 1e-12,
            "{b:?}"
        );
    }

    /// The weighted loss ALS minimises, over the whole (tiny) matrix.
    fn loss(model: &AlsModel, rows: &SparseRows, params: &AlsParams) -> f64 {
        let predicted = model.users.dot(&model.items.t());
        let mut total = 0.0;
        for (u, row) in rows.iter().enumerate() {
            for i in 0..model.items.nrows() {
                let r = row.iter().find(|(j, _)| *j as usize == i).map(|e| e.1);
                let (p, c) = match r {
                    Some(r) => (1.0, 1.0 + params.alpha * r as f64),
                    None => (0.0, 1.0),
                };
                total += c * (p - predicted[[u, i]]).powi(2);
            }
        }
        let norms = model
            .users
            .iter()
            .chain(model.items.iter())
            .map(|v| v * v)
            .sum::<f64>();
        total + params.regularization * norms
    }

    #[test]
    fn als_converges_on_a_tiny_block_matrix() {
        // Two groups of users, each buying its own three items.
        let rows: SparseRows = vec![
            vec![(0, 2.0), (1, 1.0), (2, 1.0)],
            vec![(0, 1.0), (1, 3.0)],
            vec![(1, 1.0), (2, 2.0)],
            vec![(3, 1.0), (4, 2.0), (5, 1.0)],
            vec![(4, 1.0), (5, 1.0)],
            vec![(3, 2.0), (5, 1.0)],
        ];
        let mut losses = Vec::new();
        for iterations in 1..=8 {
            let params = AlsParams {
                factors: 2,
                regularization: 0.05,
                alpha: 5.0,
                iterations,
                seed: 7,
            };
            let model = fit(&rows, 6, &params, &CancelToken::new(), |_| {}).unwrap();
            losses.push(loss(&model, &rows, &params));
        }
        for pair in losses.windows(2) {
            assert!(pair[1] <= pair[0] + 1e-9, "loss went up: {losses:?}");
        }
        let params = AlsParams {
            factors: 2,
            regularization: 0.05,
            alpha: 5.0,
            iterations: 20,
            seed: 7,
        };
        let model = fit(&rows, 6, &params, &CancelToken::new(), |_| {}).unwrap();
        // User 1 never bought item 2 but their group did: it outranks the other group's.
        let scores = model.score(1);
        assert!(scores[2] > 0.5, "{scores}");
        for other in 3..6 {
            assert!(scores[2] > scores[other] + 0.3, "{scores}");
        }
    }
}
