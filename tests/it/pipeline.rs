//! `ecom pipeline run`: the DAG with retries, timeouts, skipping, schedules, and resuming
//! after a real `kill -9`, all recorded in `meta.job_runs`.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;

fn job_runs(db: &std::path::Path) -> Vec<(String, i64, String)> {
    query_json(
        db,
        "SELECT job, attempt, status FROM meta.job_runs ORDER BY job, attempt",
    )
    .iter()
    .map(|r| {
        (
            r["job"].as_str().unwrap().to_string(),
            r["attempt"].as_i64().unwrap(),
            r["status"].as_str().unwrap().to_string(),
        )
    })
    .collect()
}

fn runs(db: &std::path::Path, job: &str) -> Vec<(i64, String)> {
    job_runs(db)
        .into_iter()
        .filter(|r| r.0 == job)
        .map(|r| (r.1, r.2))
        .collect()
}

#[test]
fn killed_pipeline_resumes_without_redoing_finished_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let config = dir.path().join("ecom.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[pipeline]
ingest_paths = ["{}"]
[[pipeline.jobs]]
name = "ingest"
kind = "ingest"
[[pipeline.jobs]]
name = "slow"
kind = "sql"
depends_on = ["ingest"]
sql = "CREATE OR REPLACE TABLE main.slow AS SELECT sum(hash(range)) AS h FROM range(1500000000)"
[[pipeline.jobs]]
name = "models"
kind = "models"
depends_on = ["slow"]
"#,
            sample_csv().display()
        ),
    )
    .unwrap();
    let mut child = ecom(&db)
        .arg("--config")
        .arg(&config)
        .args(["pipeline", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let started = Instant::now();
    for line in stderr.lines() {
        let line = line.unwrap();
        if line.contains("job slow attempt 1 started") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the slow job never started"
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();

    let out = ecom(&db)
        .arg("--config")
        .arg(&config)
        .args(["pipeline", "run"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("resuming interrupted pipeline run #1"),
        "{stderr}"
    );
    assert_eq!(
        runs(&db, "ingest"),
        vec![(1, "success".to_string())],
        "ingest ran once"
    );
    assert_eq!(
        runs(&db, "slow"),
        vec![(1, "interrupted".to_string()), (2, "success".to_string())]
    );
    assert_eq!(runs(&db, "models"), vec![(1, "success".to_string())]);
    assert_eq!(scalar(&db, "SELECT count(*) FROM raw.order_lines"), 5_090);
    assert_eq!(
        scalar(&db, "SELECT status FROM meta.pipeline_runs"),
        "success"
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM marts.dim_country"), 10);
}

#[test]
fn retries_with_backoff_timeouts_and_skips() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let config = dir.path().join("ecom.toml");
    std::fs::write(
        &config,
        r#"
[[pipeline.jobs]]
name = "broken"
kind = "sql"
sql = "SELECT * FROM no_such_table"
retries = 2
backoff = "50ms"
[[pipeline.jobs]]
name = "after_broken"
kind = "sql"
sql = "SELECT 1"
depends_on = ["broken"]
[[pipeline.jobs]]
name = "too_slow"
kind = "sql"
sql = "SELECT count(*) FROM range(1000000000000)"
retries = 0
timeout = "500ms"
[[pipeline.jobs]]
name = "fine"
kind = "sql"
sql = "CREATE TABLE main.fine AS SELECT 42 AS answer"
"#,
    )
    .unwrap();
    let started = Instant::now();
    let out = ecom(&db)
        .arg("--config")
        .arg(&config)
        .args(["pipeline", "run", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the timeout stopped the slow job"
    );
    let report: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    let status = |job: &str| {
        report["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["job"] == job)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("broken"), "failed");
    assert_eq!(status("after_broken"), "skipped");
    assert_eq!(status("too_slow"), "failed");
    assert_eq!(status("fine"), "success");
    assert_eq!(
        runs(&db, "broken"),
        vec![
            (1, "failed".into()),
            (2, "failed".into()),
            (3, "failed".into())
        ]
    );
    assert_eq!(runs(&db, "too_slow"), vec![(1, "timeout".into())]);
    assert!(runs(&db, "after_broken").is_empty());
    assert_eq!(scalar(&db, "SELECT answer FROM main.fine"), 42);
    let error = scalar(
        &db,
        "SELECT error FROM meta.job_runs WHERE job = 'broken' AND attempt = 3",
    );
    assert!(error.as_str().unwrap().contains("no_such_table"), "{error}");
    // The Jobs screen's record of the run: one row per job, retries counted.
    let wh = ecom::warehouse::Warehouse::open(&db).unwrap();
    let recent = ecom::warehouse::history::recent_runs(wh.conn(), 50).unwrap();
    let run = |job: &str| recent.iter().find(|r| r.name == job).unwrap().clone();
    let broken = run("broken");
    assert_eq!(
        (broken.kind.as_str(), broken.status.as_str(), broken.retries),
        ("pipeline", "failed", 2)
    );
    assert!(
        broken.detail.as_deref().unwrap().contains("no_such_table"),
        "{broken:?}"
    );
    assert_eq!(
        (run("too_slow").status.as_str(), run("too_slow").retries),
        ("timeout", 0)
    );
    assert_eq!(run("fine").status, "success");
}

#[test]
fn every_keeps_running_on_a_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let config = dir.path().join("ecom.toml");
    std::fs::write(
        &config,
        "[[pipeline.jobs]]\nname = \"tick\"\nkind = \"sql\"\nsql = \"CREATE TABLE IF NOT EXISTS main.ticks (ts TIMESTAMP); INSERT INTO main.ticks VALUES (now()::TIMESTAMP)\"\n",
    )
    .unwrap();
    run_ok(ecom(&db).arg("--config").arg(&config).args([
        "pipeline",
        "run",
        "--every",
        "200ms",
        "--max-runs",
        "3",
    ]));
    assert_eq!(scalar(&db, "SELECT count(*) FROM main.ticks"), 3);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM meta.pipeline_runs WHERE status = 'success'"
        ),
        3
    );
    run_code(
        ecom(&db)
            .arg("--config")
            .arg(&config)
            .args(["pipeline", "run", "--cron", "not a cron"]),
        1,
    );
}

#[test]
fn the_default_dag_plus_an_export_job() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let lake = dir.path().join("lake");
    let config = dir.path().join("ecom.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[pipeline]
ingest_paths = ["{}"]
[[pipeline.jobs]]
name = "ingest"
kind = "ingest"
[[pipeline.jobs]]
name = "models"
kind = "models"
depends_on = ["ingest"]
[[pipeline.jobs]]
name = "lake"
kind = "export"
depends_on = ["models"]
to = "{}"
tables = ["raw.order_lines", "marts.fact_sales"]
"#,
            sample_csv().display(),
            lake.display()
        ),
    )
    .unwrap();
    run_ok(
        ecom(&db)
            .arg("--config")
            .arg(&config)
            .args(["pipeline", "run"]),
    );
    assert_eq!(runs(&db, "lake"), vec![(1, "success".to_string())]);
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(lake.join("marts/fact_sales/_manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["rows"],
        scalar(&db, "SELECT count(*) FROM marts.fact_sales")
    );
    assert!(lake.join("raw/order_lines/_manifest.json").is_file());
}
