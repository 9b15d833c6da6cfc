//! Evaluation beside other commands: after each `ecom pipeline run`, inside `ecom serve`.

use std::process::Stdio;

use super::{Hook, december, ls_json, rule, wait_for, write_alerts};
use crate::common::ecom;

#[test]
fn a_failed_pipeline_job_fires_after_the_run_and_resolves_when_the_next_run_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let hook = Hook::start(|_, _| Some(200));
    let file = write_alerts(
        dir.path(),
        &format!(
            "[[receivers]]\nname = \"ops\"\nwebhook = \"{}\"\n\n\
             [[rules]]\nname = \"failed-job\"\npipeline = \"failed\"\nreceivers = [\"ops\"]\n",
            hook.url("/ops")
        ),
    );
    let config = dir.path().join("ecom.toml");
    let pipeline = |sql: &str| {
        std::fs::write(
            &config,
            format!(
                "[[pipeline.jobs]]\nname = \"nightly\"\nkind = \"sql\"\nsql = \"{sql}\"\nretries = 0\n\n\
                 [[pipeline.jobs]]\nname = \"fine\"\nkind = \"sql\"\nsql = \"SELECT 1\"\n"
            ),
        )
        .unwrap();
        ecom(&db)
            .arg("--config")
            .arg(&config)
            .arg("--alerts")
            .arg(&file)
            .args(["pipeline", "run"])
            .output()
            .unwrap()
    };
    let out = pipeline("SELECT * FROM no_such_table");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("failed-job: 1 firing (1 new)"), "{stderr}");
    let sent = hook.to("/ops");
    assert_eq!(sent.len(), 1);
    let body = sent[0].json();
    assert_eq!(body["status"], "firing");
    let labels = &body["instances"][0]["labels"];
    assert_eq!(labels["job"], "nightly");
    assert!(
        labels["error"].as_str().unwrap().contains("no_such_table"),
        "{labels}"
    );

    let out = pipeline("SELECT 2");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = hook.to("/ops");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].json()["status"], "resolved");
    assert_eq!(sent[1].json()["instances"][0]["labels"]["job"], "nightly");
}

#[test]
fn serve_evaluates_on_its_interval() {
    let dir = tempfile::tempdir().unwrap();
    let db = december(dir.path());
    let hook = Hook::start(|_, _| Some(200));
    let file = write_alerts(
        dir.path(),
        &format!(
            "[settings]\ninterval = \"200ms\"\n\n[[receivers]]\nname = \"ops\"\nwebhook = \"{}\"\n\n\
             [[rules]]\nname = \"slow-day\"\nsql = \"{}\"\nreceivers = [\"ops\"]\n",
            hook.url("/ops"),
            super::SLOW_DAY
        ),
    );
    let mut serve = ecom(&db)
        .arg("--alerts")
        .arg(&file)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("serve's first evaluation", || !hook.to("/ops").is_empty());
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(serve.wait().unwrap().success());
    let sent = hook.to("/ops");
    assert_eq!(sent.len(), 1, "evaluated again and again, notified once");
    assert_eq!(
        super::days(&sent[0].json()),
        ["2010-12-12", "2010-12-15", "2010-12-19"]
    );
    let ls = ls_json(&db, &file);
    assert_eq!(rule(&ls, "slow-day")["firing"], 3);
    assert_eq!(ls["interval_ms"], 200);
}
