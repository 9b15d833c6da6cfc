//! The OpenAPI document is the whole contract: schemathesis, an outside fuzzer, drives
//! every operation of a real `ecom serve` on the full data from `/openapi.json` alone,
//! with valid and invalid input and an admin token, and finds no server error, no
//! undeclared status, content type or header, no answer that breaks its schema, no
//! invalid input accepted and no route that ignores its token. (Starting jobs is left
//! to `serve_remote`, which starts real ones.)

use std::process::Command;

use crate::common::venv_bin;
use crate::serve::{Server, full_marts_with_ml, token};

#[test]
fn an_openapi_fuzzer_finds_no_undocumented_answer() {
    let db = full_marts_with_ml();
    // A name no fuzzer guesses, so `DELETE /api/v1/tokens/{name}` cannot revoke it.
    let name = format!("fuzzer-admin-{}-x7q", std::process::id());
    let admin = token(&db, &name, "admin");
    let server = Server::start(&db, &["--query-timeout", "2s"]);
    let reports = tempfile::tempdir().unwrap();
    let out = Command::new(venv_bin("schemathesis"))
        .arg("run")
        .arg(format!("{}/openapi.json", server.base))
        .args(["--url", &server.base])
        .args(["--header", &format!("Authorization: Bearer {admin}")])
        // Every check but one: a schema-valid request need not be accepted when its
        // cursor was never handed out or its SQL is random text.
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
        ])
        // Every operation but starting jobs: a fuzzed body starts real builds, ML runs
        // and tails of made-up brokers (which take a minute to give up), on the
        // shared warehouse. serve_remote drives that route with real jobs.
        .args(["--exclude-operation-id", "start_job"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args([
            "--max-examples",
            "40",
            "--seed",
            "20261205",
            // One worker: hypothesis's lambda cache is not thread-safe, and two
            // workers occasionally end in its own "recursion depth mismatch".
            "--workers",
            "1",
        ])
        .args(["--request-timeout", "30", "--no-color"])
        .args(["--generation-database", "none"])
        .arg("--report-dir")
        .arg(reports.path())
        // Its cache (crashes it replays next time) stays out of the repository.
        .current_dir(reports.path())
        .output()
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("/api/v1/query") || stdout.contains("operations"),
        "{stdout}"
    );
    assert_eq!(server.terminate(), Some(0));
}
