//! What the job writes: every customer's final list, every product's similar
//! products, and both as Arrow batches for `ml.recommendations` and
//! `ml.similar_products`.

use std::collections::HashMap;
use std::sync::Arc;

use duckdb::Connection;
use duckdb::arrow::array::{
    ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};

use super::interactions::Interactions;
use super::item_knn::ItemSimilarity;
use super::scorer::{Scorer, popularity, top_n};
use crate::ml::error::Result;
use crate::ml::frames;
use crate::ml::job::par_map;

/// Each product's `top` most similar products, best first.
pub(super) fn similar_products(similarity: &ItemSimilarity, top: usize) -> Vec<Vec<(u32, f32)>> {
    let everything = vec![true; similarity.n];
    let items: Vec<u32> = (0..similarity.n as u32).collect();
    par_map(&items, |&i| {
        top_n(similarity.row(i), &[(i, 0.0)], &everything, top)
            .into_iter()
            .filter(|e| e.1 > 0.0)
            .collect()
    })
}

/// The final lists, `(customer_id, [(product, score)])`, for every customer with a
/// purchase; customers without a product purchase (only postage, say) get the most
/// popular products.
pub(super) fn final_lists(
    conn: &Connection,
    data: &Interactions,
    scorer: &Scorer,
    top: usize,
) -> Result<Vec<(i64, (u32, f32))>> {
    let n = data.products.len();
    let everything = vec![true; n];
    let ids = frames::i64_values(
        &frames::query_frame(
            conn,
            "SELECT customer_id::BIGINT AS customer_id FROM marts.dim_customer WHERE order_count > 0 ORDER BY 1",
        )?,
        "customer_id",
    )?;
    let index: HashMap<i64, usize> = data
        .customers
        .iter()
        .enumerate()
        .map(|(u, &c)| (c, u))
        .collect();
    let fallback = popularity(&data.all, n);
    let lists = par_map(&ids, |id| match index.get(id) {
        Some(&u) => top_n(
            &scorer.scores(u, &data.all[u], n),
            &data.all[u],
            &everything,
            top,
        ),
        None => top_n(&fallback, &[], &everything, top),
    });
    Ok(ids
        .into_iter()
        .zip(lists)
        .flat_map(|(id, list)| list.into_iter().map(move |entry| (id, entry)))
        .collect())
}

/// Ranks restart at 1 whenever the owner (customer or product) changes.
fn ranks<T: PartialEq>(owners: impl Iterator<Item = T>) -> Vec<i32> {
    let mut out = Vec::new();
    let mut previous: Option<T> = None;
    for owner in owners {
        let rank = match (&previous, out.last()) {
            (Some(p), Some(&r)) if *p == owner => r + 1,
            _ => 1,
        };
        out.push(rank);
        previous = Some(owner);
    }
    out
}

pub(super) fn recommendation_batch(
    data: &Interactions,
    lists: &[(i64, (u32, f32))],
) -> Result<RecordBatch> {
    Ok(RecordBatch::try_from_iter([
        (
            "customer_id",
            Arc::new(Int64Array::from_iter_values(lists.iter().map(|e| e.0))) as ArrayRef,
        ),
        (
            "stock_code",
            Arc::new(StringArray::from_iter_values(
                lists.iter().map(|e| data.products[e.1.0 as usize].as_str()),
            )),
        ),
        (
            "rank",
            Arc::new(Int32Array::from(ranks(lists.iter().map(|e| e.0)))),
        ),
        (
            "score",
            Arc::new(Float64Array::from_iter_values(
                lists.iter().map(|e| e.1.1 as f64),
            )),
        ),
    ])?)
}

pub(super) fn similar_batch(
    data: &Interactions,
    similar: &[Vec<(u32, f32)>],
) -> Result<RecordBatch> {
    let pairs: Vec<(usize, (u32, f32))> = similar
        .iter()
        .enumerate()
        .flat_map(|(i, list)| list.iter().map(move |e| (i, *e)))
        .collect();
    Ok(RecordBatch::try_from_iter([
        (
            "stock_code",
            Arc::new(StringArray::from_iter_values(
                pairs.iter().map(|e| data.products[e.0].as_str()),
            )) as ArrayRef,
        ),
        (
            "similar_stock_code",
            Arc::new(StringArray::from_iter_values(
                pairs.iter().map(|e| data.products[e.1.0 as usize].as_str()),
            )),
        ),
        (
            "rank",
            Arc::new(Int32Array::from(ranks(pairs.iter().map(|e| e.0)))),
        ),
        (
            "score",
            Arc::new(Float64Array::from_iter_values(
                pairs.iter().map(|e| e.1.1 as f64),
            )),
        ),
    ])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_restart_per_owner() {
        assert_eq!(
            ranks([7, 7, 7, 8, 8, 9].into_iter()),
            vec![1, 2, 3, 1, 2, 1]
        );
    }
}
