//! `ecom query`, `ecom status` and the warehouse's refusals, through the real binary.

use std::process::Stdio;

use crate::common::*;

fn sample_warehouse() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    run_ok(ecom(&db).arg("ingest").arg(sample_csv()));
    (dir, db)
}

#[test]
fn formats_table_csv_json_and_parquet() {
    let (dir, db) = sample_warehouse();
    let sql = "SELECT invoice_no, quantity, unit_price, invoice_ts FROM raw.order_lines \
               ORDER BY source_line LIMIT 2";
    let table = run_ok(ecom(&db).args(["query", sql]));
    assert_eq!(
        table,
        "invoice_no  quantity  unit_price  invoice_ts\n\
         ──────────  ────────  ──────────  ───────────────────\n\
         536365             6       2.550  2010-12-01 08:26:00\n\
         536365             6       3.390  2010-12-01 08:26:00\n\
         (2 rows)\n"
    );
    let csv = run_ok(ecom(&db).args(["query", "--format", "csv", sql]));
    assert!(
        csv.starts_with(
            "invoice_no,quantity,unit_price,invoice_ts\n536365,6,2.550,2010-12-01 08:26:00\n"
        ),
        "{csv}"
    );
    let rows = query_json(&db, sql);
    assert_eq!(rows[0]["quantity"], 6);
    assert_eq!(rows[0]["unit_price"], 2.55);
    // The output file's extension picks the format.
    let parquet = dir.path().join("out.parquet");
    run_ok(ecom(&db).args(["query", sql, "--output"]).arg(&parquet));
    let count = scalar(
        &db,
        &format!("SELECT count(*) FROM read_parquet('{}')", parquet.display()),
    );
    assert_eq!(count, 2);
    let csv_file = dir.path().join("out.csv");
    run_ok(ecom(&db).args(["query", sql, "-o"]).arg(&csv_file));
    assert!(
        std::fs::read_to_string(&csv_file)
            .unwrap()
            .starts_with("invoice_no,")
    );
}

#[test]
fn sql_errors_are_shown_plainly_with_exit_1() {
    let (_dir, db) = sample_warehouse();
    let out = ecom(&db)
        .args(["query", "SELECT nope FROM raw.order_lines"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nope"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn status_lists_tables_counts_and_ingests() {
    let (_dir, db) = sample_warehouse();
    let out = run_ok(ecom(&db).args(["status", "--json"]));
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    let lines = status["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["schema"] == "raw" && r["name"] == "order_lines")
        .unwrap();
    assert_eq!(lines["rows"], 5_090);
    assert_eq!(status["last_ingests"][0]["rows_loaded"], 5_090);
    assert_eq!(status["last_ingests"][0]["status"], "ok");
    let text = run_ok(ecom(&db).arg("status"));
    assert!(text.contains("raw.order_lines"), "{text}");
    assert!(text.contains("5,090"), "{text}");
}

#[test]
fn a_warehouse_held_by_another_process_gets_a_sentence() {
    let (_dir, db) = sample_warehouse();
    // A long query keeps the first process inside the warehouse.
    let mut holder = ecom(&db)
        .args(["query", "SELECT count(*) FROM range(100000000000) a"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let out = ecom(&db).arg("status").output().unwrap();
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("in use by another process"), "{stderr}");
    assert!(stderr.contains("PID"), "{stderr}");
    assert!(!stderr.contains("IO Error"), "no raw DuckDB text: {stderr}");
}

#[test]
fn version_and_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let out = run_ok(ecom(&db).arg("--version"));
    assert_eq!(out.trim(), format!("ecom {}", env!("CARGO_PKG_VERSION")));
    run_code(ecom(&db).arg("--no-such-flag"), 2);
    run_code(ecom(&db).args(["query"]), 2);
}
