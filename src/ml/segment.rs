//! `ecom ml segment`: RFM segmentation of the customers with a purchase.
//!
//! Recency (days from the last purchase to the day after the data's last invoice),
//! frequency (purchase invoices) and monetary value (net of cancellations) come from
//! `marts.dim_customer`. They are log-scaled (a signed log for monetary values, since
//! some customers net to zero or less) and standardised in polars, then clustered by
//! linfa's KMeans for each k of a range, keeping the k with the best silhouette; a
//! Gaussian mixture is the alternative. Clusters are named by matching their centroids
//! to the prototypes of the usual RFM segments, so the analyst reads "at risk", not "2".

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use duckdb::Connection;
use duckdb::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use linfa::metrics::SilhouetteScore;
use linfa::prelude::*;
use linfa::traits::{Fit, Predict};
use linfa_clustering::{GaussianMixtureModel, KMeans};
use ndarray::{Array1, Array2};
use polars::prelude::*;
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;
use serde::Serialize;

use super::error::MlError;
use super::frames;
use super::job::{check, replace_table, require_relations};
use super::runs::{self, ModelRun};
use crate::jobs::{CancelToken, Progress, ProgressSink, Unit};

/// The clustering algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Kmeans,
    Gmm,
}
use super::error::Result;

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Algorithm::Kmeans => "kmeans",
            Algorithm::Gmm => "gmm",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentOptions {
    pub algorithm: Algorithm,
    /// Smallest and largest k tried; `k` alone fixes it.
    pub k_min: usize,
    pub k_max: usize,
    pub seed: u64,
}

impl Default for SegmentOptions {
    fn default() -> Self {
        Self {
            algorithm: Algorithm::Kmeans,
            k_min: 3,
            k_max: 8,
            seed: 42,
        }
    }
}

/// The silhouette of one k.
#[derive(Debug, Clone, Serialize)]
pub struct KScore {
    pub k: usize,
    pub silhouette: f64,
}

/// One named segment: its size and mean raw features.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentProfile {
    pub segment: String,
    pub customers: usize,
    pub recency_days: f64,
    pub frequency: f64,
    pub monetary: f64,
    pub revenue_share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentReport {
    pub run_id: i64,
    pub algorithm: Algorithm,
    pub k: usize,
    pub silhouette: f64,
    /// Every k tried, with its silhouette.
    pub scores: Vec<KScore>,
    pub segments: Vec<SegmentProfile>,
    pub customers: usize,
    pub seed: u64,
}

const FEATURES_SQL: &str = "
WITH bounds AS (SELECT max(invoice_ts)::DATE + 1 AS reference_day FROM marts.fact_sales)
SELECT customer_id::BIGINT AS customer_id,
       date_diff('day', last_purchase_ts::DATE, reference_day)::DOUBLE AS recency_days,
       order_count::DOUBLE AS frequency,
       lifetime_value::DOUBLE AS monetary
FROM marts.dim_customer, bounds
WHERE order_count > 0
ORDER BY customer_id";

/// The standardised feature columns, in matrix order.
const SCALED: [&str; 3] = ["recency_score", "frequency_score", "monetary_score"];

/// RFM features: raw, log-scaled, then standardised (z-scores).
fn feature_frame(conn: &Connection) -> Result<DataFrame> {
    let raw = frames::query_frame(conn, FEATURES_SQL)?;
    let signed_log = |name: &str| {
        when(col(name).lt(lit(0.0)))
            .then(lit(0.0) - col(name).abs().log1p())
            .otherwise(col(name).log1p())
    };
    let standardise =
        |name: &str| ((col(name) - col(name).mean()) / col(name).std(1)).alias(name.to_string());
    let frame = raw
        .lazy()
        .with_columns([
            col("recency_days").log1p().alias("recency_score"),
            col("frequency").log1p().alias("frequency_score"),
            signed_log("monetary").alias("monetary_score"),
        ])
        .with_columns(SCALED.map(standardise))
        .collect()?;
    Ok(frame)
}

/// Cluster labels and centroids (in feature space) of one fit.
struct Clustering {
    labels: Array1<usize>,
    silhouette: f64,
}

fn cluster(features: &Array2<f64>, k: usize, options: &SegmentOptions) -> Result<Clustering> {
    let dataset = DatasetBase::from(features.clone());
    let rng = Xoshiro256Plus::seed_from_u64(options.seed);
    let labels = match options.algorithm {
        Algorithm::Kmeans => KMeans::params_with_rng(k, rng)
            .n_runs(10)
            .max_n_iterations(300)
            .tolerance(1e-6)
            .fit(&dataset)?
            .predict(features),
        Algorithm::Gmm => GaussianMixtureModel::params_with_rng(k, rng)
            .n_runs(3)
            .max_n_iterations(300)
            .tolerance(1e-5)
            .fit(&dataset)
            .map_err(|error| MlError::GaussianMixture { k, error })?
            .predict(features),
    };
    let silhouette = DatasetBase::new(features.view(), labels.view()).silhouette_score()?;
    Ok(Clustering { labels, silhouette })
}

/// Prototype centroids (recency, frequency, monetary; standardised, high recency =
/// long ago) of the segments analysts use, in order of preference.
const PROTOTYPES: [(&str, [f64; 3]); 9] = [
    ("champions", [-1.0, 1.5, 1.5]),
    ("loyal", [-0.4, 0.8, 0.8]),
    ("potential loyalists", [-0.8, 0.0, 0.1]),
    ("new", [-1.0, -1.0, -0.7]),
    ("need attention", [0.0, 0.0, 0.0]),
    ("at risk", [0.9, 0.4, 0.5]),
    ("about to sleep", [0.4, -0.7, -0.6]),
    ("hibernating", [1.0, -0.9, -0.9]),
    ("lost", [1.6, -1.2, -1.2]),
];

/// Names each centroid after a distinct prototype, closest pairs first.
fn name_segments(centroids: &[[f64; 3]]) -> Vec<String> {
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (c, centroid) in centroids.iter().enumerate() {
        for (p, (_, proto)) in PROTOTYPES.iter().enumerate() {
            let d: f64 = centroid
                .iter()
                .zip(proto)
                .map(|(a, b)| (a - b).powi(2))
                .sum();
            pairs.push((d, c, p));
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut names = vec![String::new(); centroids.len()];
    let mut used = HashSet::new();
    for (_, c, p) in pairs {
        if names[c].is_empty() && used.insert(p) {
            names[c] = PROTOTYPES[p].0.to_string();
        }
    }
    names
}

pub fn segment(
    conn: &Connection,
    options: &SegmentOptions,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<SegmentReport> {
    if options.k_min < 2 || options.k_min > options.k_max {
        return Err(MlError::BadParameter(format!(
            "k from {} to {} makes no sense: k must be at least 2 and the range not empty",
            options.k_min, options.k_max
        )));
    }
    if options.k_max > PROTOTYPES.len() {
        return Err(MlError::BadParameter(format!(
            "k up to {} would leave segments without a name: at most {} segments",
            options.k_max,
            PROTOTYPES.len()
        )));
    }
    require_relations(conn, &["marts.dim_customer", "marts.fact_sales"])?;
    let started_at = chrono::Local::now().naive_local();
    let started = Instant::now();
    let steps = (options.k_max - options.k_min + 3) as u64;
    let report = |done: u64, message: String| {
        progress.report(
            Progress::new("ml segment", done, Some(steps), Unit::Steps).with_message(message),
        )
    };
    report(0, "reading RFM features".into());
    let frame = feature_frame(conn)?;
    let customers = frame.height();
    if customers < options.k_max * 10 {
        return Err(MlError::TooLittleData(format!(
            "{customers} customers with a purchase; segmenting into up to {} groups needs at least {}",
            options.k_max,
            options.k_max * 10
        )));
    }
    let features = frames::matrix(&frame, &SCALED)?;

    let mut scores = Vec::new();
    let mut best: Option<(usize, Clustering)> = None;
    for (i, k) in (options.k_min..=options.k_max).enumerate() {
        check(cancel)?;
        let fit = cluster(&features, k, options)?;
        report(
            i as u64 + 1,
            format!("k = {k}: silhouette {:.3}", fit.silhouette),
        );
        scores.push(KScore {
            k,
            silhouette: fit.silhouette,
        });
        if best
            .as_ref()
            .is_none_or(|(_, b)| fit.silhouette > b.silhouette)
        {
            best = Some((k, fit));
        }
    }
    let (k, best) = best.expect("k range is not empty");
    check(cancel)?;

    let raw = [
        frames::f64_values(&frame, "recency_days")?,
        frames::f64_values(&frame, "frequency")?,
        frames::f64_values(&frame, "monetary")?,
    ];
    let ids = frames::i64_values(&frame, "customer_id")?;
    let mut centroids = vec![[0.0; 3]; k];
    let mut means = vec![[0.0; 3]; k];
    let mut sizes = vec![0usize; k];
    for (row, &label) in best.labels.iter().enumerate() {
        sizes[label] += 1;
        for f in 0..3 {
            centroids[label][f] += features[[row, f]];
            means[label][f] += raw[f][row];
        }
    }
    for c in 0..k {
        let n = sizes[c].max(1) as f64;
        centroids[c] = centroids[c].map(|v| v / n);
        means[c] = means[c].map(|v| v / n);
    }
    let names = name_segments(&centroids);
    let total_revenue: f64 = raw[2].iter().sum();
    let mut segments: Vec<SegmentProfile> = (0..k)
        .map(|c| SegmentProfile {
            segment: names[c].clone(),
            customers: sizes[c],
            recency_days: means[c][0],
            frequency: means[c][1],
            monetary: means[c][2],
            revenue_share: means[c][2] * sizes[c] as f64 / total_revenue,
        })
        .collect();
    segments.sort_by(|a, b| b.revenue_share.total_cmp(&a.revenue_share));

    let labels: Vec<&str> = best.labels.iter().map(|&l| names[l].as_str()).collect();
    let assignments = RecordBatch::try_from_iter([
        ("customer_id", Arc::new(Int64Array::from(ids)) as ArrayRef),
        ("segment", Arc::new(StringArray::from(labels))),
        ("recency_days", Arc::new(Float64Array::from(raw[0].clone()))),
        ("frequency", Arc::new(Float64Array::from(raw[1].clone()))),
        ("monetary", Arc::new(Float64Array::from(raw[2].clone()))),
        (
            "recency_score",
            Arc::new(Float64Array::from(features.column(0).to_vec())),
        ),
        (
            "frequency_score",
            Arc::new(Float64Array::from(features.column(1).to_vec())),
        ),
        (
            "monetary_score",
            Arc::new(Float64Array::from(features.column(2).to_vec())),
        ),
    ])?;
    let profiles = RecordBatch::try_from_iter([
        (
            "segment",
            Arc::new(StringArray::from_iter_values(
                segments.iter().map(|s| s.segment.as_str()),
            )) as ArrayRef,
        ),
        (
            "size",
            Arc::new(Int64Array::from_iter_values(
                segments.iter().map(|s| s.customers as i64),
            )),
        ),
        ("recency_days", f64_column(&segments, |s| s.recency_days)),
        ("frequency", f64_column(&segments, |s| s.frequency)),
        ("monetary", f64_column(&segments, |s| s.monetary)),
        ("revenue_share", f64_column(&segments, |s| s.revenue_share)),
    ])?;

    let silhouette = best.silhouette;
    let run = ModelRun {
        model: "segment".into(),
        algorithm: options.algorithm.name().into(),
        parameters: serde_json::to_value(options)?,
        metrics: serde_json::json!({
            "k": k,
            "silhouette": silhouette,
            "scores": scores,
        }),
        data_from: None,
        data_to: None,
        input_rows: customers as u64,
        output_rows: customers as u64,
    };
    report(steps - 1, "writing ml.customer_segments".into());
    let run_id = runs::commit(conn, &run, started_at, started, |tx| {
        replace_table(
            tx,
            "ml.customer_segments",
            "customer_id BIGINT, segment VARCHAR, recency_days DOUBLE, frequency DOUBLE, monetary DOUBLE,
             recency_score DOUBLE, frequency_score DOUBLE, monetary_score DOUBLE",
            assignments,
        )?;
        replace_table(
            tx,
            "ml.segment_profiles",
            "segment VARCHAR, size BIGINT, recency_days DOUBLE, frequency DOUBLE, monetary DOUBLE,
             revenue_share DOUBLE",
            profiles,
        )
    })?;
    // The events' view joins the segments once they exist.
    if let Err(e) = crate::warehouse::events_enriched::define(conn) {
        tracing::warn!(error = %e, "redefining stream.events_enriched");
    }
    report(steps, format!("{k} segments, silhouette {silhouette:.3}"));
    Ok(SegmentReport {
        run_id,
        algorithm: options.algorithm,
        k,
        silhouette,
        scores,
        segments,
        customers,
        seed: options.seed,
    })
}

fn f64_column(segments: &[SegmentProfile], value: impl Fn(&SegmentProfile) -> f64) -> ArrayRef {
    Arc::new(Float64Array::from_iter_values(segments.iter().map(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centroids_get_distinct_recognisable_names() {
        let names = name_segments(&[
            [-1.1, 1.6, 1.4],
            [1.5, -1.1, -1.3],
            [-1.0, -1.0, -0.8],
            [1.0, 0.5, 0.4],
        ]);
        assert_eq!(names, ["champions", "lost", "new", "at risk"]);
    }

    #[test]
    fn two_centroids_near_one_prototype_get_different_names() {
        let names = name_segments(&[[-1.0, 1.5, 1.5], [-0.9, 1.4, 1.6]]);
        assert_eq!(names, ["champions", "loyal"]);
    }
}
