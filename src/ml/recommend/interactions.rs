//! The customer × product purchase matrix both sides of the split: what the models are
//! fit on and judged against.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use duckdb::Connection;
use polars::prelude::*;

use crate::ml::als::SparseRows;
use crate::ml::error::Result;
use crate::ml::frames;

/// Positive product purchases by customer, as a sparse count matrix on both sides of
/// the split, with the index maps back to ids.
pub(super) struct Interactions {
    pub(super) customers: Vec<i64>,
    pub(super) products: Vec<String>,
    /// Purchase lines per (customer, product) before the split.
    pub(super) train: SparseRows,
    /// Products each customer bought from the split on and never before.
    pub(super) test: Vec<HashSet<u32>>,
    /// Every purchase, both sides: what the final model is fit on.
    pub(super) all: SparseRows,
    pub(super) lines: u64,
}

const LINES_SQL: &str = "
SELECT customer_id::BIGINT AS customer_id, stock_code, (invoice_ts < '{split}'::TIMESTAMP)::INTEGER AS train
FROM marts.fact_sales
WHERE customer_id IS NOT NULL AND NOT is_cancellation AND is_product AND quantity > 0";

/// Reads purchase lines and counts them per customer, product and side in polars.
pub(super) fn interactions(conn: &Connection, split: NaiveDate) -> Result<Interactions> {
    let lines = frames::query_frame(conn, &LINES_SQL.replace("{split}", &split.to_string()))?;
    let line_count = lines.height() as u64;
    let counts = lines
        .lazy()
        .group_by([col("customer_id"), col("stock_code"), col("train")])
        .agg([len().alias("purchases")])
        .sort(
            ["customer_id", "stock_code"],
            SortMultipleOptions::default(),
        )
        .collect()?;
    let customer_ids = frames::i64_values(&counts, "customer_id")?;
    let codes = frames::string_values(&counts, "stock_code")?;
    let train_flags = frames::i64_values(&counts, "train")?;
    let purchases = frames::f64_values(&counts, "purchases")?;

    let mut customers = Vec::new();
    let mut customer_index = HashMap::new();
    let mut products = Vec::new();
    let mut product_index: HashMap<String, u32> = HashMap::new();
    let mut rows = Vec::with_capacity(customer_ids.len());
    for (row, &customer) in customer_ids.iter().enumerate() {
        let u = *customer_index.entry(customer).or_insert_with(|| {
            customers.push(customer);
            customers.len() - 1
        });
        let code = &codes[row];
        let i = match product_index.get(code) {
            Some(&i) => i,
            None => {
                products.push(code.clone());
                product_index.insert(code.clone(), products.len() as u32 - 1);
                products.len() as u32 - 1
            }
        };
        rows.push((u, i, train_flags[row] == 1, purchases[row] as f32));
    }
    let mut train: SparseRows = vec![Vec::new(); customers.len()];
    let mut later: Vec<HashSet<u32>> = vec![HashSet::new(); customers.len()];
    let mut all: Vec<BTreeMap<u32, f32>> = vec![BTreeMap::new(); customers.len()];
    for &(u, i, is_train, n) in &rows {
        if is_train {
            train[u].push((i, n));
        } else {
            later[u].insert(i);
        }
        *all[u].entry(i).or_default() += n;
    }
    let test = later
        .into_iter()
        .zip(&train)
        .map(|(bought, before)| {
            if before.is_empty() {
                return HashSet::new();
            }
            let seen: HashSet<u32> = before.iter().map(|e| e.0).collect();
            bought.difference(&seen).copied().collect()
        })
        .collect();
    Ok(Interactions {
        customers,
        products,
        train,
        test,
        all: all.into_iter().map(|m| m.into_iter().collect()).collect(),
        lines: line_count,
    })
}
