//! The ML jobs on the full data: segments, recommendations and anomalies, from the CLI
//! and the pipeline, with their evaluations.

use crate::common::{ecom, full_marts, query_json, run_code, run_ok, sample_csv, scalar};

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn int(db: &std::path::Path, sql: &str) -> i64 {
    scalar(db, sql).as_i64().unwrap_or_else(|| panic!("{sql}"))
}

#[test]
fn ml_jobs_say_which_command_builds_the_marts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    run_ok(ecom(&db).arg("ingest").arg(sample_csv()));
    for job in ["segment", "recommend", "anomalies"] {
        let out = ecom(&db).args(["ml", job]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{job}: {stderr}");
        assert!(
            stderr.contains("run `ecom models build` first"),
            "{job}: {stderr}"
        );
    }
}

#[test]
fn parameters_that_make_no_sense_are_refused_with_a_reason() {
    let db = full_marts();
    let cases: [(&[&str], &str); 4] = [
        (&["ml", "segment", "--k-min", "1"], "k must be at least 2"),
        (&["ml", "segment", "--k", "12"], "at most 9 segments"),
        (
            &["ml", "recommend", "--split", "2012-06-01"],
            "too little data",
        ),
        (
            &["ml", "anomalies", "--threshold", "0"],
            "thresholds must be positive",
        ),
    ];
    for (args, message) in cases {
        let out = ecom(&db).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[test]
fn segmentation_names_three_to_eight_segments_and_is_reproducible() {
    let db = full_marts();
    let report = json(&run_ok(
        ecom(&db).args(["--json", "ml", "segment", "--seed", "7"]),
    ));
    let k = report["k"].as_u64().unwrap();
    assert!((3..=8).contains(&k), "{report}");
    assert!(report["silhouette"].as_f64().unwrap() > 0.3, "{report}");
    assert_eq!(
        report["scores"].as_array().unwrap().len(),
        6,
        "every k of 3..=8 reported"
    );
    let segments = report["segments"].as_array().unwrap();
    assert_eq!(segments.len() as u64, k);
    let sizes: u64 = segments
        .iter()
        .map(|s| s["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(sizes, 4_339);
    let share: f64 = segments
        .iter()
        .map(|s| s["revenue_share"].as_f64().unwrap())
        .sum();
    assert!((share - 1.0).abs() < 1e-9, "{share}");
    for s in segments {
        let name = s["segment"].as_str().unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == ' '),
            "{name}"
        );
    }
    assert_eq!(int(&db, "SELECT count(*) FROM ml.customer_segments"), 4_339);
    assert_eq!(
        int(
            &db,
            "SELECT count(DISTINCT segment) FROM ml.customer_segments"
        ),
        k as i64
    );
    assert_eq!(
        int(&db, "SELECT count(*) FROM ml.segment_profiles"),
        k as i64
    );
    let fingerprint = "SELECT md5(string_agg(customer_id || ':' || segment, ',' ORDER BY customer_id)) FROM ml.customer_segments";
    let first = scalar(&db, fingerprint);
    run_ok(ecom(&db).args(["--quiet", "ml", "segment", "--seed", "7"]));
    assert_eq!(
        scalar(&db, fingerprint),
        first,
        "same seed, same assignments"
    );

    // Customers whose purchases net to zero or less are kept (signed log), not dropped.
    assert_eq!(
        int(
            &db,
            "SELECT count(*) FROM ml.customer_segments WHERE monetary <= 0"
        ),
        22
    );
    let runs = query_json(
        &db,
        "SELECT algorithm, metrics->>'k' AS k, input_rows FROM ml.model_runs WHERE model = 'segment' ORDER BY run_id DESC LIMIT 1",
    );
    assert_eq!(runs[0]["algorithm"], "kmeans");
    assert_eq!(runs[0]["input_rows"], 4_339);

    let gmm = json(&run_ok(ecom(&db).args([
        "--json",
        "ml",
        "segment",
        "--algorithm",
        "gmm",
    ])));
    assert_eq!(gmm["algorithm"], "gmm");
    assert!((3..=8).contains(&gmm["k"].as_u64().unwrap()), "{gmm}");
}

#[test]
fn recommendations_are_evaluated_against_popularity_and_answer_directly() {
    let db = full_marts();
    let report = json(&run_ok(ecom(&db).args(["--json", "ml", "recommend"])));
    let evaluation = report["evaluation"].as_object().unwrap();
    for model in ["item-knn", "als", "popularity"] {
        for metric in ["precision@10", "recall@10", "ndcg@10", "coverage"] {
            let v = evaluation[model][metric]
                .as_f64()
                .unwrap_or_else(|| panic!("{model} {metric}"));
            assert!((0.0..=1.0).contains(&v), "{model} {metric} = {v}");
        }
    }
    // The measured comparison: the chosen model's precision beats the baseline's.
    let chosen = report["chosen"].as_str().unwrap();
    let precision = |m: &str| evaluation[m]["precision@10"].as_f64().unwrap();
    assert_ne!(chosen, "popularity", "{report}");
    assert!(precision(chosen) > precision("popularity"), "{report}");
    assert_eq!(report["beats_popularity"], true);
    assert!(precision(chosen) >= precision("item-knn").max(precision("als")));
    // Popularity recommends the same few products to everyone.
    assert!(
        evaluation[chosen]["coverage"].as_f64() > evaluation["popularity"]["coverage"].as_f64()
    );

    assert_eq!(
        int(
            &db,
            "SELECT count(DISTINCT customer_id) FROM ml.recommendations"
        ),
        4_339
    );
    assert_eq!(int(&db, "SELECT max(rank) FROM ml.recommendations"), 10);
    assert_eq!(
        int(
            &db,
            "SELECT count(*) FROM ml.recommendations r JOIN marts.fact_sales f
                  ON f.customer_id::BIGINT = r.customer_id AND f.stock_code = r.stock_code
                  AND NOT f.is_cancellation AND f.quantity > 0"
        ),
        0,
        "nothing a customer already bought is recommended"
    );

    let answer = json(&run_ok(ecom(&db).args([
        "--json",
        "ml",
        "recommend",
        "--customer",
        "17850",
    ])));
    let answer = answer.as_array().unwrap();
    assert_eq!(answer.len(), 10);
    assert_eq!(answer[0]["rank"], 1);
    assert!(answer.iter().all(|s| s["description"].is_string()));
    let text = run_ok(ecom(&db).args(["ml", "recommend", "--product", "85123A"]));
    assert!(
        text.contains("products most often bought with 85123A"),
        "{text}"
    );
    assert_eq!(
        text.lines().count(),
        1 + 2 + 10,
        "title, header, rule and ten products: {text}"
    );
    let out = run_code(
        ecom(&db).args(["ml", "recommend", "--customer", "99999"]),
        1,
    );
    assert!(out.is_empty());
}

#[test]
fn anomalies_find_injected_days_and_explain_flagged_lines() {
    let db = full_marts();
    let report = json(&run_ok(ecom(&db).args(["--json", "ml", "anomalies"])));
    for series in ["daily_revenue", "daily_orders"] {
        let detector = &report["evaluation"][series]["robust-seasonal"];
        assert!(
            detector["recall"].as_f64().unwrap() >= 0.8,
            "{series}: {report}"
        );
        assert!(report["evaluation"][series]["global-z"]["recall"].is_number());
    }
    assert_eq!(report["days"], 305);
    assert!(
        int(
            &db,
            "SELECT count(*) FROM ml.anomalies WHERE kind = 'daily_revenue'"
        ) > 0
    );
    // The two famous orders: 74,215 storage jars (18 January 2011) far above that
    // product's usual, 80,995 paper birdies (9 December 2011) of a product sold once.
    let famous = query_json(
        &db,
        "SELECT reason FROM ml.anomalies WHERE kind = 'line_quantity' AND invoice_no IN ('541431', '581483') ORDER BY invoice_no",
    );
    assert_eq!(famous.len(), 2, "{famous:?}");
    assert!(
        famous[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("quantity 74215 is far above the usual"),
        "{famous:?}"
    );
    assert!(
        famous[1]["reason"]
            .as_str()
            .unwrap()
            .contains("across all products (23843 has 1 sold line(s))"),
        "{famous:?}"
    );
    assert_eq!(
        int(
            &db,
            "SELECT count(*) FROM ml.anomalies WHERE reason IS NULL OR reason = ''"
        ),
        0
    );
}

#[test]
fn the_pipeline_runs_ml_jobs() {
    let db = full_marts();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        r#"
[[pipeline.jobs]]
name = "segments"
kind = "ml"
model = "segment"

[[pipeline.jobs]]
name = "anomalies"
kind = "ml"
model = "anomalies"
depends_on = ["segments"]
"#,
    )
    .unwrap();
    let before = int(&db, "SELECT count(*) FROM ml.model_runs");
    run_ok(
        ecom(&db)
            .arg("--config")
            .arg(&config)
            .args(["pipeline", "run"]),
    );
    assert_eq!(int(&db, "SELECT count(*) FROM ml.model_runs"), before + 2);
    let jobs = query_json(
        &db,
        "SELECT job, status FROM meta.job_runs WHERE run_id = (SELECT max(run_id) FROM meta.pipeline_runs) ORDER BY job",
    );
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert!(jobs.iter().all(|j| j["status"] == "success"), "{jobs:?}");

    std::fs::write(
        &config,
        "[[pipeline.jobs]]\nname = \"x\"\nkind = \"ml\"\nmodel = \"forecast\"\n",
    )
    .unwrap();
    let out = ecom(&db)
        .arg("--config")
        .arg(&config)
        .args(["pipeline", "run"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown ML model"));
}

#[test]
fn a_warehouse_file_named_like_a_schema_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = ecom(&dir.path().join("ml.duckdb"))
        .arg("status")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("pick another file name (e.g. ml-warehouse.duckdb)"),
        "{stderr}"
    );
}
