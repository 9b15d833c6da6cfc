//! A real `kill -9` of a running ingest, then a re-run: every line exactly once.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;

#[test]
fn killed_ingest_resumes_to_exact_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let wal = dir.path().join("w.duckdb.wal");
    // Small transactions so the kill lands between commits of a partial load.
    let mut child = ecom(&db)
        .args(["ingest", "--batch-rows", "2000"])
        .arg(by_day_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while wal.metadata().map(|m| m.len()).unwrap_or(0) < 4_000_000 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no commit seen"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "ingest ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // SIGKILL, as `kill -9` sends it.
    child.kill().unwrap();
    child.wait().unwrap();

    let out = run_ok(ecom(&db).args(["ingest", "--json"]).arg(by_day_dir()));
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    let duplicates = summary["files_duplicate"].as_u64().unwrap();
    let loaded = summary["files_loaded"].as_u64().unwrap();
    assert!(
        duplicates > 0,
        "the killed run committed nothing: {summary}"
    );
    assert!(loaded > 0, "the killed run had finished: {summary}");
    assert_eq!(duplicates + loaded, 305);
    assert_reference_figures(&db);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM meta.ingests WHERE status = 'running'"
        ),
        1,
        "the killed run stays visible as unfinished"
    );
}

#[test]
fn ctrl_c_stops_cleanly_and_a_rerun_completes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let wal = dir.path().join("w.duckdb.wal");
    let child = ecom(&db)
        .args(["ingest", "--batch-rows", "2000"])
        .arg(by_day_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while wal.metadata().map(|m| m.len()).unwrap_or(0) < 2_000_000 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no commit seen"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("run the same command again"), "{stderr}");
    assert_eq!(scalar(&db, "SELECT status FROM meta.ingests"), "cancelled");
    run_ok(ecom(&db).arg("ingest").arg(by_day_dir()));
    assert_reference_figures(&db);
}
