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
//!
//! The job itself is here; the purchase matrix is in [`interactions`], the models in
//! [`item_knn`] and [`scorer`], their judging in [`evaluation`], the written tables in
//! [`output`] and reading them back in [`lookup`].

mod evaluation;
mod interactions;
mod item_knn;
mod lookup;
mod output;
mod scorer;

pub use lookup::{Lookup, Suggestion, lookup};

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use chrono::NaiveDate;
use duckdb::Connection;
use serde::Serialize;

use crate::jobs::{CancelToken, Cancelled, Progress, ProgressSink, Unit};
use crate::ml::als::{self, AlsParams, SparseRows};
use crate::ml::error::MlError;
use crate::ml::error::Result;
use crate::ml::eval::RankingScores;
use crate::ml::job::{check, data_window, replace_table, require_relations};
use crate::ml::runs::{self, ModelRun};
use evaluation::evaluate;
use interactions::interactions;
use item_knn::ItemSimilarity;
use output::{final_lists, recommendation_batch, similar_batch, similar_products};
use scorer::{Scorer, popularity};

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

fn fit(
    model: RecModel,
    rows: &SparseRows,
    n: usize,
    params: &AlsParams,
    cancel: &CancelToken,
    on_iteration: impl FnMut(usize),
) -> Result<Scorer> {
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

pub fn recommend(
    conn: &Connection,
    options: &RecommendOptions,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<RecommendReport> {
    if options.top == 0 || options.top > 1000 {
        return Err(MlError::BadParameter(format!(
            "--top {} makes no sense: ask for 1 to 1000 products per customer",
            options.top
        )));
    }
    let a = &options.als;
    if a.factors == 0 || a.iterations == 0 || a.regularization < 0.0 || a.alpha <= 0.0 {
        return Err(MlError::BadParameter(
            "ALS needs at least one factor and one iteration, a regularization of 0 or more and a positive alpha".into(),
        ));
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
        )));
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
