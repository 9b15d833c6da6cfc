//! `ecom ml recommend`: implicit-feedback collaborative filtering on the customer ×
//! product matrix.
//!
//! Two models are offered: item-item cosine similarity (binary co-purchases) and an
//! implicit ALS ([`super::als`]). Both are judged on a temporal split (fit on the
//! invoices before `split`, scored on what the same customers bought after it and had
//! never bought before) beside a popularity baseline, with precision, recall and NDCG at
//! 10 and catalogue coverage. The chosen model is then refit on every invoice and
//! writes the top `top` products for every customer with a purchase. Similar products
//! are always the co-purchase cosine neighbours: "bought together" is what an analyst
//! reads from them, whichever model ranks a customer's list.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use duckdb::Connection;
use duckdb::arrow::array::{
    ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use polars::prelude::*;
use serde::Serialize;

use super::als::{self, AlsModel, AlsParams, SparseRows};
use super::eval::{RankingEval, RankingScores};
use super::{
    MlError, ModelRun, check, data_window, frames, par_map, replace_table, require_relations, runs,
};
use crate::jobs::{CancelToken, Cancelled, Progress, ProgressSink, Unit};

/// The models `--model` can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RecModel {
    /// Item-item cosine similarity of co-purchases.
    ItemKnn,
    /// Implicit alternating least squares.
    Als,
    /// The most-bought products, for everyone (the baseline).
    Popularity,
}

impl RecModel {
    pub fn name(self) -> &'static str {
        match self {
            RecModel::ItemKnn => "item-knn",
            RecModel::Als => "als",
            RecModel::Popularity => "popularity",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RecommendOptions {
    /// The models to evaluate (popularity is always evaluated as the baseline); the one
    /// with the best precision is refit. Empty means item-knn and ALS.
    pub models: Vec<RecModel>,
    /// Fit on invoices before this day, test on the purchases from it on.
    pub split: NaiveDate,
    /// Length of each customer's stored list (the metrics are always at 10).
    pub top: usize,
    pub als: AlsParams,
}

impl Default for RecommendOptions {
    fn default() -> Self {
        Self {
            models: Vec::new(),
            split: NaiveDate::from_ymd_opt(2011, 9, 1).expect("valid date"),
            top: 10,
            als: AlsParams::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RecommendReport {
    pub run_id: i64,
    /// One entry per model evaluated, the baseline included, by model name.
    pub evaluation: BTreeMap<String, RankingScores>,
    /// The model refit on all invoices and written to `ml.recommendations`.
    pub chosen: String,
    /// Whether the chosen model ranks better than popularity (precision@10).
    pub beats_popularity: bool,
    /// The models that did not beat popularity.
    pub below_baseline: Vec<String>,
    pub split: NaiveDate,
    pub top: usize,
    pub train_customers: usize,
    pub test_customers: usize,
    pub products: usize,
    pub customers: usize,
    pub recommendations: usize,
}

/// Positive product purchases by customer, as a sparse count matrix on both sides of
/// the split, with the index maps back to ids.
struct Interactions {
    customers: Vec<i64>,
    products: Vec<String>,
    /// Purchase lines per (customer, product) before the split.
    train: SparseRows,
    /// Products each customer bought from the split on and never before.
    test: Vec<HashSet<u32>>,
    /// Every purchase, both sides: what the final model is fit on.
    all: SparseRows,
    lines: u64,
}

const LINES_SQL: &str = "
SELECT customer_id::BIGINT AS customer_id, stock_code, (invoice_ts < '{split}'::TIMESTAMP)::INTEGER AS train
FROM marts.fact_sales
WHERE customer_id IS NOT NULL AND NOT is_cancellation AND is_product AND quantity > 0";

/// Reads purchase lines and counts them per customer, product and side in polars.
fn interactions(conn: &Connection, split: NaiveDate) -> anyhow::Result<Interactions> {
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

/// Cosine similarity of products by the customers who bought them (bought or not, not
/// how often), dense: a few thousand products fit in tens of megabytes.
struct ItemSimilarity {
    n: usize,
    values: Vec<f32>,
}

impl ItemSimilarity {
    fn fit(rows: &SparseRows, n: usize, cancel: &CancelToken) -> anyhow::Result<Self> {
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

    fn row(&self, i: u32) -> &[f32] {
        &self.values[i as usize * self.n..(i as usize + 1) * self.n]
    }
}

/// A fitted model that scores every product for one customer.
enum Scorer {
    Popularity(Vec<f32>),
    ItemKnn(ItemSimilarity),
    Als(AlsModel),
}

impl Scorer {
    fn scores(&self, user: usize, history: &[(u32, f32)], n: usize) -> Vec<f32> {
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
fn popularity(rows: &SparseRows, n: usize) -> Vec<f32> {
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
fn top_n(
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

fn fit(
    model: RecModel,
    rows: &SparseRows,
    n: usize,
    params: &AlsParams,
    cancel: &CancelToken,
    on_iteration: impl FnMut(usize),
) -> anyhow::Result<Scorer> {
    Ok(match model {
        RecModel::Popularity => Scorer::Popularity(popularity(rows, n)),
        RecModel::ItemKnn => Scorer::ItemKnn(ItemSimilarity::fit(rows, n, cancel)?),
        RecModel::Als => {
            Scorer::Als(als::fit(rows, n, params, cancel, on_iteration).ok_or(Cancelled)?)
        }
    })
}

/// The k of precision@k, recall@k and NDCG@k: the names in the JSON are a contract.
pub const EVAL_K: usize = 10;

/// Ranking quality of `scorer` (fit on the train side) on the held-out purchases.
fn evaluate(scorer: &Scorer, data: &Interactions, k: usize) -> RankingScores {
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

pub fn recommend(
    conn: &Connection,
    options: &RecommendOptions,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> anyhow::Result<RecommendReport> {
    if options.top == 0 || options.top > 1000 {
        return Err(MlError::BadParameter(format!(
            "--top {} makes no sense: ask for 1 to 1000 products per customer",
            options.top
        ))
        .into());
    }
    let a = &options.als;
    if a.factors == 0 || a.iterations == 0 || a.regularization < 0.0 || a.alpha <= 0.0 {
        return Err(MlError::BadParameter(
            "ALS needs at least one factor and one iteration, a regularization of 0 or more and a positive alpha".into(),
        )
        .into());
    }
    require_relations(
        conn,
        &[
            "marts.fact_sales",
            "marts.dim_customer",
            "marts.dim_product",
        ],
    )?;
    let started_at = chrono::Local::now().naive_local();
    let started = Instant::now();
    let mut models = if options.models.is_empty() {
        vec![RecModel::ItemKnn, RecModel::Als]
    } else {
        options.models.clone()
    };
    models.retain(|m| *m != RecModel::Popularity);
    models.insert(0, RecModel::Popularity);
    // Steps: read, one per evaluated model, refit, write.
    let steps = models.len() as u64 + 3;
    let report = |done: u64, message: String| {
        progress.report(
            Progress::new("ml recommend", done, Some(steps), Unit::Steps).with_message(message),
        )
    };

    report(0, "reading purchases".into());
    let data = interactions(conn, options.split)?;
    let n = data.products.len();
    let train_customers = data.train.iter().filter(|r| !r.is_empty()).count();
    let test_customers = data.test.iter().filter(|t| !t.is_empty()).count();
    if train_customers < 10 || test_customers == 0 {
        return Err(MlError::TooLittleData(format!(
            "the split at {} leaves {train_customers} customers with purchases before it and {test_customers} \
             of them buying something new after it: choose a --split inside the data",
            options.split
        ))
        .into());
    }

    let mut evaluation = BTreeMap::new();
    for (step, &model) in models.iter().enumerate() {
        check(cancel)?;
        report(step as u64 + 1, format!("evaluating {}", model.name()));
        let scorer = fit(model, &data.train, n, &options.als, cancel, |i| {
            if i % 5 == 0 {
                report(
                    step as u64 + 1,
                    format!(
                        "evaluating {}: ALS sweep {i}/{}",
                        model.name(),
                        a.iterations
                    ),
                )
            }
        })?;
        evaluation.insert(model.name().to_string(), evaluate(&scorer, &data, EVAL_K));
    }
    let baseline = evaluation["popularity"].precision;
    let (chosen, best) = models
        .iter()
        .map(|m| (*m, evaluation[m.name()].precision))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.name().cmp(a.0.name())))
        .expect("popularity is always evaluated");
    let below_baseline = models
        .iter()
        .filter(|m| **m != RecModel::Popularity && evaluation[m.name()].precision <= baseline)
        .map(|m| m.name().to_string())
        .collect();

    check(cancel)?;
    let refit_step = models.len() as u64 + 1;
    report(
        refit_step,
        format!("refitting {} on all invoices", chosen.name()),
    );
    let similarity = ItemSimilarity::fit(&data.all, n, cancel)?;
    let similar = similar_products(&similarity, options.top);
    let scorer = match chosen {
        RecModel::ItemKnn => Scorer::ItemKnn(similarity),
        other => {
            drop(similarity);
            fit(other, &data.all, n, &options.als, cancel, |i| {
                if i % 5 == 0 {
                    report(
                        refit_step,
                        format!("refitting als: sweep {i}/{}", a.iterations),
                    )
                }
            })?
        }
    };
    check(cancel)?;
    let lists = final_lists(conn, &data, &scorer, options.top)?;

    report(refit_step + 1, "writing ml.recommendations".into());
    let (data_from, data_to) = data_window(conn, "marts.fact_sales", "invoice_ts")?;
    let customers = lists.iter().map(|(c, _)| *c).collect::<HashSet<_>>().len();
    let recommendations = lists.len();
    let run = ModelRun {
        model: "recommend".into(),
        algorithm: chosen.name().into(),
        parameters: serde_json::to_value(options)?,
        metrics: serde_json::json!({
            "evaluation": evaluation,
            "chosen": chosen.name(),
            "beats_popularity": chosen != RecModel::Popularity && best > baseline,
        }),
        data_from,
        data_to,
        input_rows: data.lines,
        output_rows: recommendations as u64,
    };
    let recommendation_batch = recommendation_batch(&data, &lists)?;
    let similar_batch = similar_batch(&data, &similar)?;
    let run_id = runs::commit(conn, &run, started_at, started, |tx| {
        replace_table(
            tx,
            "ml.recommendations",
            "customer_id BIGINT, stock_code VARCHAR, rank INTEGER, score DOUBLE",
            recommendation_batch,
        )?;
        replace_table(
            tx,
            "ml.similar_products",
            "stock_code VARCHAR, similar_stock_code VARCHAR, rank INTEGER, score DOUBLE",
            similar_batch,
        )
    })?;
    report(
        steps,
        format!(
            "{} chosen; {recommendations} recommendations written",
            chosen.name()
        ),
    );
    Ok(RecommendReport {
        run_id,
        beats_popularity: chosen != RecModel::Popularity && best > baseline,
        evaluation,
        chosen: chosen.name().into(),
        below_baseline,
        split: options.split,
        top: options.top,
        train_customers,
        test_customers,
        products: n,
        customers,
        recommendations,
    })
}

/// Each product's `top` most similar products, best first.
fn similar_products(similarity: &ItemSimilarity, top: usize) -> Vec<Vec<(u32, f32)>> {
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
fn final_lists(
    conn: &Connection,
    data: &Interactions,
    scorer: &Scorer,
    top: usize,
) -> anyhow::Result<Vec<(i64, (u32, f32))>> {
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

fn recommendation_batch(
    data: &Interactions,
    lists: &[(i64, (u32, f32))],
) -> anyhow::Result<RecordBatch> {
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

fn similar_batch(data: &Interactions, similar: &[Vec<(u32, f32)>]) -> anyhow::Result<RecordBatch> {
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

/// One line of a customer's or a product's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub rank: i32,
    pub stock_code: String,
    pub description: Option<String>,
    pub score: f64,
}

/// What `--customer` / `--product` ask: the stored lists, with product descriptions.
pub enum Lookup<'a> {
    Customer(i64),
    Product(&'a str),
}

impl<'a> Lookup<'a> {
    /// A customer id when `text` is a number, else a stock code (the workbench's box).
    pub fn parse(text: &'a str) -> Self {
        let text = text.trim();
        text.parse().map_or(Self::Product(text), Self::Customer)
    }

    /// What the answer lists, as a title.
    pub fn title(&self) -> String {
        match self {
            Self::Customer(id) => format!("Recommended for customer {id}"),
            Self::Product(code) => format!("Bought with {code}"),
        }
    }
}

/// Answers from `ml.recommendations` / `ml.similar_products`; `None` when the tables do
/// not exist yet (run the job first). An unknown customer or product is an error that
/// says so.
pub fn lookup(conn: &Connection, what: &Lookup) -> anyhow::Result<Option<Vec<Suggestion>>> {
    let (table, sql) = match what {
        Lookup::Customer(_) => (
            "ml.recommendations",
            "SELECT r.rank, r.stock_code, p.description, r.score FROM ml.recommendations r
             LEFT JOIN marts.dim_product p USING (stock_code) WHERE r.customer_id = ? ORDER BY r.rank",
        ),
        Lookup::Product(_) => (
            "ml.similar_products",
            "SELECT s.rank, s.similar_stock_code, p.description, s.score FROM ml.similar_products s
             LEFT JOIN marts.dim_product p ON p.stock_code = s.similar_stock_code
             WHERE s.stock_code = ? ORDER BY s.rank",
        ),
    };
    if require_relations(conn, &[table, "marts.dim_product"]).is_err() {
        return Ok(None);
    }
    let key = match what {
        Lookup::Customer(id) => id.to_string(),
        Lookup::Product(code) => code.to_string(),
    };
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map([&key], |r| {
            Ok(Suggestion {
                rank: r.get(0)?,
                stock_code: r.get(1)?,
                description: r.get(2)?,
                score: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    if rows.is_empty() {
        let known: i64 = match what {
            Lookup::Customer(id) => conn.query_row(
                "SELECT count(*) FROM marts.dim_customer WHERE customer_id::BIGINT = ?",
                [id],
                |r| r.get(0),
            )?,
            Lookup::Product(code) => conn.query_row(
                "SELECT count(*) FROM marts.dim_product WHERE stock_code = ?",
                [code],
                |r| r.get(0),
            )?,
        };
        match (what, known) {
            (Lookup::Customer(id), 0) => {
                anyhow::bail!("customer {id} is not in marts.dim_customer")
            }
            (Lookup::Product(code), 0) => {
                anyhow::bail!("product {code} is not in marts.dim_product")
            }
            _ => {}
        }
    }
    Ok(Some(rows))
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

    #[test]
    fn cosine_similarity_of_co_purchases() {
        // Items 0 and 1 always bought together; item 2 with item 0 once.
        let rows: SparseRows = vec![vec![(0, 1.0), (1, 1.0)], vec![(0, 3.0), (1, 1.0), (2, 1.0)]];
        let sim = ItemSimilarity::fit(&rows, 3, &CancelToken::new()).unwrap();
        assert!((sim.row(0)[1] - 1.0).abs() < 1e-6);
        assert!((sim.row(0)[2] - 1.0 / 2f32.sqrt()).abs() < 1e-6);
        assert_eq!(sim.row(2)[2], 0.0);
    }

    #[test]
    fn ranks_restart_per_owner() {
        assert_eq!(
            ranks([7, 7, 7, 8, 8, 9].into_iter()),
            vec![1, 2, 3, 1, 2, 1]
        );
    }
}
