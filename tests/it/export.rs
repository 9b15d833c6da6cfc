//! `ecom export` to a folder and to a real S3-compatible server (moto), read back with
//! DuckDB; an outage in the middle of an export; `ecom report`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;

/// Figures of a lake read back with DuckDB (through a fresh warehouse).
fn lake_figures(dir: &Path) -> (i64, f64, i64) {
    let scratch = tempfile::tempdir().unwrap();
    let db = scratch.path().join("reader.duckdb");
    let rows = query_json(
        &db,
        &format!(
            "SELECT count(*) AS n, round(sum(quantity * unit_price), 2) AS revenue, count(DISTINCT date) AS days
             FROM read_parquet('{}/raw/order_lines/**/*.parquet', hive_partitioning = true)",
            dir.display()
        ),
    );
    (
        rows[0]["n"].as_i64().unwrap(),
        rows[0]["revenue"].as_f64().unwrap(),
        rows[0]["days"].as_i64().unwrap(),
    )
}

#[test]
fn full_data_to_a_folder_reads_back_identically_and_reruns_replace() {
    let out = tempfile::tempdir().unwrap();
    let lake = out.path().join("lake");
    let db = full_warehouse();
    run_ok(
        ecom(&db)
            .args(["export", "--tables", "raw.order_lines", "--to"])
            .arg(&lake),
    );
    assert!(
        lake.join("raw/order_lines/date=2010-12-01/part-0.parquet")
            .is_file()
    );
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(lake.join("raw/order_lines/_manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["rows"], 541_909);
    assert_eq!(manifest["files"].as_array().unwrap().len(), 305);
    assert_eq!(manifest["partitioning"], serde_json::json!(["date"]));
    // Again, then an increment: never a duplicate row.
    run_ok(
        ecom(&db)
            .args(["export", "--tables", "raw.order_lines", "--to"])
            .arg(&lake),
    );
    run_ok(
        ecom(&db)
            .args([
                "export",
                "--tables",
                "raw.order_lines",
                "--since",
                "2011-11-01",
                "--to",
            ])
            .arg(&lake),
    );
    drop(db);
    assert_eq!(lake_figures(&lake), (541_909, 9_747_747.93, 305));
}

#[test]
fn the_first_export_after_an_ingest_writes_empty_tables_as_schema_and_no_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let lake = dir.path().join("lake");
    run_ok(
        ecom(&db)
            .arg("--quiet")
            .arg("ingest")
            .arg(by_day_dir().join("2010-12-01.csv")),
    );
    run_ok(ecom(&db).arg("export").arg("--to").arg(&lake));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lake.join("stream/events/_manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["rows"], 0);
    assert_eq!(manifest["files"], serde_json::json!([]));
    assert!(
        !manifest["schema"].as_array().unwrap().is_empty(),
        "{manifest}"
    );
    let lines: serde_json::Value = serde_json::from_slice(
        &std::fs::read(lake.join("raw/order_lines/_manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(lines["rows"], 3_108);
}

pub(crate) fn create_bucket(endpoint: &str, bucket: &str) {
    run_ok(
        Command::new(venv_bin("python"))
            .arg("-c")
            .arg(format!(
                "import boto3; boto3.client('s3', endpoint_url='{endpoint}', region_name='us-east-1').create_bucket(Bucket='{bucket}')"
            ))
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing"),
    );
}

fn fetch(endpoint: &str, bucket: &str, prefix: &str, dest: &Path) -> usize {
    run_ok(
        Command::new(venv_bin("python"))
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/dev/s3_fetch.py"))
            .args([endpoint, bucket, prefix])
            .arg(dest)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing"),
    )
    .trim()
    .parse()
    .unwrap()
}

/// The moto server scripts/test.sh started.
pub(crate) fn moto_endpoint() -> String {
    let endpoint = std::env::var("ECOM_TEST_S3_ENDPOINT").expect(
        "ECOM_TEST_S3_ENDPOINT is not set: run the tests through scripts/test.sh, which starts moto",
    );
    assert!(
        TcpStream::connect(endpoint.trim_start_matches("http://")).is_ok(),
        "the moto S3 server at {endpoint} is not running"
    );
    endpoint
}

fn s3_export(db: &Path, endpoint: &str, to: &str) -> std::process::Command {
    let mut cmd = ecom(db);
    cmd.args([
        "export",
        "--tables",
        "raw.order_lines",
        "--to",
        to,
        "--endpoint",
        endpoint,
    ])
    .env("AWS_ACCESS_KEY_ID", "testing")
    .env("AWS_SECRET_ACCESS_KEY", "testing")
    .env("AWS_REGION", "us-east-1");
    cmd
}

#[test]
fn full_data_to_s3_reads_back_through_s3() {
    let endpoint = moto_endpoint();
    let bucket = format!("lake-{}", std::process::id());
    create_bucket(&endpoint, &bucket);
    let db = full_warehouse();
    run_ok(&mut s3_export(
        &db,
        &endpoint,
        &format!("s3://{bucket}/shop"),
    ));
    run_ok(&mut s3_export(
        &db,
        &endpoint,
        &format!("s3://{bucket}/shop"),
    ));
    drop(db);
    let back = tempfile::tempdir().unwrap();
    let objects = fetch(&endpoint, &bucket, "shop", back.path());
    assert_eq!(
        objects, 306,
        "305 partitions and one manifest, nothing twice"
    );
    assert!(back.path().join("raw/order_lines/_manifest.json").is_file());
    assert_eq!(lake_figures(back.path()), (541_909, 9_747_747.93, 305));
}

/// A TCP relay in front of the S3 server that the test can cut and restore, so the
/// server keeps its state through the outage.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (up2, open2) = (Arc::clone(&up), Arc::clone(&open));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused-like reset
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                open2
                    .lock()
                    .unwrap()
                    .extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Self { port, up, open }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[test]
fn an_outage_mid_export_fails_clearly_and_a_rerun_completes() {
    let endpoint = moto_endpoint();
    let bucket = format!("outage-{}", std::process::id());
    create_bucket(&endpoint, &bucket);
    let relay = Relay::start(endpoint.trim_start_matches("http://").to_string());
    let via = format!("http://127.0.0.1:{}", relay.port);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    run_ok(ecom(&db).arg("ingest").arg(by_day_dir()));
    let mut child = s3_export(&db, &via, &format!("s3://{bucket}/lake"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 && !line.contains("writing raw.order_lines") {
        line.clear();
    }
    relay.cut();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{rest}");
    assert!(
        rest.contains(&format!("s3://{bucket}/lake/raw/order_lines")),
        "names the object: {rest}"
    );
    assert!(rest.contains(&via), "names the endpoint: {rest}");
    let back = tempfile::tempdir().unwrap();
    fetch(&endpoint, &bucket, "lake", back.path());
    assert!(
        !back.path().join("raw/order_lines/_manifest.json").exists(),
        "no manifest for the unfinished table"
    );

    relay.restore();
    let started = Instant::now();
    run_ok(&mut s3_export(&db, &via, &format!("s3://{bucket}/lake")));
    assert!(started.elapsed() < Duration::from_secs(60));
    let back = tempfile::tempdir().unwrap();
    assert_eq!(fetch(&endpoint, &bucket, "lake", back.path()), 306);
    assert_eq!(lake_figures(back.path()), (541_909, 9_747_747.93, 305));
}

#[test]
fn report_has_every_chart_and_the_warehouse_figures() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let out = dir.path().join("report");
    run_ok(ecom(&db).arg("ingest").arg(sample_csv()));
    let missing = ecom(&db)
        .args(["report", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&missing.stderr).contains("ecom models build"));
    run_ok(ecom(&db).args(["models", "build"]));
    run_ok(ecom(&db).args(["report", "--out"]).arg(&out));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert_eq!(html.matches("<svg").count(), 6, "six inline charts");
    assert_eq!(html.matches("</svg>").count(), 6);
    assert!(!html.contains("src=\"http"), "self-contained");
    for title in [
        "Revenue by month",
        "Revenue by day",
        "Top 10 countries by revenue",
        "Top 10 products by revenue",
        "Cancellation rate by month",
        "Monthly cohort retention",
    ] {
        assert!(html.contains(title), "{title}");
    }
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert_eq!(markdown.matches("![").count(), 6);
    for i in 1..=6 {
        assert!(out.join(format!("chart-{i}.png")).is_file());
    }
    // The figures equal the warehouse's.
    let figures: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let revenue = scalar(&db, "SELECT round(sum(revenue), 2) FROM marts.fact_sales")
        .as_f64()
        .unwrap();
    assert!((figures["kpis"]["revenue"].as_f64().unwrap() - revenue).abs() < 0.005);
    let orders = scalar(
        &db,
        "SELECT count(DISTINCT invoice_no) FROM marts.fact_sales WHERE NOT is_cancellation",
    );
    assert_eq!(figures["kpis"]["orders"], orders);
    let shown = format!("£{}", money(revenue));
    assert!(html.contains(&shown), "{shown} in the HTML");
    let top = scalar(
        &db,
        "SELECT country FROM marts.fact_sales GROUP BY 1 ORDER BY sum(revenue) DESC LIMIT 1",
    );
    assert_eq!(figures["top_countries"][0][0], top);

    // One chart against a stored reference image, with a tolerance.
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report/chart-1.png");
    let actual = image::open(out.join("chart-1.png")).unwrap().to_rgb8();
    if std::env::var_os("ECOM_UPDATE_REFERENCE").is_some() {
        std::fs::create_dir_all(reference.parent().unwrap()).unwrap();
        actual.save(&reference).unwrap();
    }
    let expected = image::open(&reference)
        .expect("the reference chart")
        .to_rgb8();
    assert_eq!(actual.dimensions(), expected.dimensions());
    let diff: u64 = actual
        .pixels()
        .zip(expected.pixels())
        .map(|(a, b)| {
            a.0.iter()
                .zip(b.0.iter())
                .map(|(x, y)| x.abs_diff(*y) as u64)
                .sum::<u64>()
        })
        .sum();
    let mean = diff as f64 / (actual.width() * actual.height() * 3) as f64;
    assert!(
        mean < 2.0,
        "chart-1.png differs from the reference by {mean:.2} per channel"
    );
}

fn money(value: f64) -> String {
    ecom::export::charts::money(value)
}

#[test]
fn report_adds_segments_anomalies_and_stream_when_those_tables_exist() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let out = dir.path().join("report");
    run_ok(ecom(&db).arg("ingest").arg(sample_csv()));
    run_ok(ecom(&db).args(["models", "build"]));
    // The tables `ecom ml segment`, `ecom ml anomalies` and `ecom tail` write.
    run_ok(ecom(&db).args([
        "query",
        "CREATE TABLE ml.segment_profiles AS SELECT * FROM (VALUES ('champions', 120, 30.0, 12.0, 5000.0, 0.61), ('at risk', 300, 200.0, 3.0, 900.0, 0.12)) t(segment, size, recency_days, frequency, monetary, revenue_share);
         CREATE TABLE ml.anomalies AS SELECT * FROM (VALUES ('daily_revenue', 'net revenue', TIMESTAMP '2011-11-14', 5.2, 'revenue 4.1× the weekday median', 1.0, 1.0, NULL, NULL, NULL)) t(kind, what, \"when\", score, reason, value, expected, invoice_no, stock_code, customer_id);
         INSERT INTO stream.window_metrics SELECT window_start, window_start + INTERVAL 1 MINUTE, '*', revenue, 1, 1, 1, 0, 0, 0, 1, NULL, 60, 60, 'uk-retail-raw', p, now()::TIMESTAMP, true
         FROM (VALUES (TIMESTAMP '2011-11-01 10:00', 100.5, 0), (TIMESTAMP '2011-11-01 10:00', 20.0, 1), (TIMESTAMP '2011-11-02 10:00', 80.0, 0)) t(window_start, revenue, p)",
    ]));
    run_ok(ecom(&db).args(["report", "--out"]).arg(&out));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 8);
    assert!(html.contains("Customer segments") && html.contains("champions"));
    assert!(html.contains("Streamed revenue by day"));
    assert!(html.contains("Anomalies") && html.contains("revenue 4.1× the weekday median"));
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        markdown.contains("| kind | when | score | reason |"),
        "{markdown}"
    );
}
