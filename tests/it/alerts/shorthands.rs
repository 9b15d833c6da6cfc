//! The shorthands: their compiled SQL, and an anomaly rule over the real anomalies.

use super::{Hook, alerts, december, ls_json, rule, write_alerts};
use crate::common::{by_day_dir, ecom, query_json, run_ok};

#[test]
fn shorthands_compile_to_sql_that_ls_shows_and_check_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = december(dir.path());
    let file = write_alerts(
        dir.path(),
        "[[receivers]]\nname = \"log\"\nlog = true\n\n\
         [[rules]]\nname = \"revenue\"\nmetric = \"select sum(quantity * unit_price) from raw.order_lines\"\nabove = 1000\nreceivers = [\"log\"]\n\n\
         [[rules]]\nname = \"window\"\nwindow = \"revenue\"\nbelow = 100\ncountry = \"United Kingdom\"\n\n\
         [[rules]]\nname = \"lag\"\ntail = \"lag\"\nabove = 60\n\n\
         [[rules]]\nname = \"dead-letters\"\ntail = \"dead_letters\"\nabove = 0.01\nover = \"2h\"\n\n\
         [[rules]]\nname = \"jobs\"\npipeline = \"failed\"\n",
    );
    let ls = ls_json(&db, &file);
    assert_eq!(rule(&ls, "revenue")["kind"], "metric");
    assert!(
        rule(&ls, "window")["sql"]
            .as_str()
            .unwrap()
            .contains("FROM stream.window_totals")
    );
    assert!(
        rule(&ls, "dead-letters")["sql"]
            .as_str()
            .unwrap()
            .contains("INTERVAL '7200 seconds'")
    );
    let out = alerts(&db, &file, &["--json", "check"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evaluation: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = evaluation["rules"].as_array().unwrap();
    assert!(results.iter().all(|r| r["error"].is_null()), "{results:?}");
    let revenue = crate::common::scalar(
        &db,
        "SELECT sum(quantity * unit_price)::DOUBLE::VARCHAR FROM raw.order_lines",
    );
    assert_eq!(results[0]["firing"][0]["labels"]["value"], revenue);
    assert!(
        results[1..]
            .iter()
            .all(|r| r["firing"].as_array().unwrap().is_empty())
    );
}

#[test]
fn an_anomaly_rule_fires_for_each_anomaly_of_its_kind() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    // Anomaly detection needs eight weeks of days.
    let files: Vec<_> = std::fs::read_dir(by_day_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("2010-12")
                || name.starts_with("2011-01")
                || name.starts_with("2011-02")
        })
        .collect();
    run_ok(ecom(&db).arg("ingest").args(&files));
    run_ok(ecom(&db).args(["models", "build"]));
    run_ok(ecom(&db).args(["ml", "anomalies"]));
    let hook = Hook::start(|_, _| Some(200));
    let file = write_alerts(
        dir.path(),
        &format!(
            "[[receivers]]\nname = \"ops\"\nwebhook = \"{}\"\n\n\
             [[rules]]\nname = \"revenue-anomaly\"\nanomaly = \"daily_revenue\"\nreceivers = [\"ops\"]\n",
            hook.url("/ops")
        ),
    );
    let mut expected: Vec<String> = query_json(
        &db,
        "SELECT what || ' ' || \"when\"::VARCHAR AS a FROM ml.anomalies WHERE kind = 'daily_revenue'",
    )
    .iter()
    .map(|r| r["a"].as_str().unwrap().to_string())
    .collect();
    expected.sort();
    assert!(!expected.is_empty());
    super::check(&db, &file, 3);
    let sent = hook.to("/ops");
    assert_eq!(sent.len(), 1);
    let mut got: Vec<String> = sent[0].json()["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            assert_eq!(i["labels"]["kind"], "daily_revenue");
            format!(
                "{} {}",
                i["labels"]["what"].as_str().unwrap(),
                i["labels"]["when"].as_str().unwrap()
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, expected);
}
