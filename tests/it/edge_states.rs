//! Every headless command in every early state of a warehouse: fresh, with order lines
//! only, with models but no ML, with a tail but no models. Each command either works or
//! says which command comes first; none fails with a raw database error or a panic.

use std::path::Path;

use crate::common::{by_day_dir, ecom, run_ok};
use crate::stream::{brokers, simulate, unique};

/// The commands a new user tries, as arguments after `ecom --db DB`.
fn commands(out: &Path) -> Vec<Vec<String>> {
    let out = out.display().to_string();
    [
        vec!["status"],
        vec!["query", "SELECT count(*) FROM raw.order_lines"],
        vec!["models", "ls"],
        vec!["models", "compile"],
        vec!["models", "test"],
        vec!["ml", "segment"],
        vec!["ml", "recommend"],
        vec!["ml", "anomalies"],
        vec!["export", "--to", &format!("{out}/lake")],
        vec!["report", "--out", &format!("{out}/report")],
        vec!["models", "build"],
        vec!["pipeline", "run"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(String::from).collect())
    .collect()
}

/// Runs every command on `db` and returns what went wrong, if anything.
fn try_every_command(state: &str, db: &Path) -> Vec<String> {
    let out = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for args in commands(out.path()) {
        let output = ecom(db).arg("--quiet").args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code();
        let says_what_first = stderr.contains("`ecom ");
        let raw = [
            "panicked",
            "Catalog Error",
            "Binder Error",
            "No files found",
            "INTERNAL",
        ]
        .into_iter()
        .find(|raw| stderr.contains(raw));
        let ok = match code {
            Some(0) => raw.is_none(),
            // Data checks failed: a model test found something, which is information.
            Some(3) => raw.is_none(),
            // Or says why the data cannot support it yet.
            Some(1) => (says_what_first || stderr.contains("too little data")) && raw.is_none(),
            _ => false,
        };
        if !ok {
            problems.push(format!(
                "{state}: ecom {} → exit {code:?}\n{stderr}",
                args.join(" ")
            ));
        }
    }
    problems
}

#[test]
fn every_command_works_or_says_what_comes_first_in_every_early_state() {
    let dir = tempfile::tempdir().unwrap();
    let day = by_day_dir().join("2010-12-01.csv");
    let mut problems = Vec::new();

    let fresh = dir.path().join("fresh.duckdb");
    problems.extend(try_every_command("fresh", &fresh));

    let lines = dir.path().join("lines.duckdb");
    run_ok(ecom(&lines).arg("--quiet").arg("ingest").arg(&day));
    problems.extend(try_every_command("order lines only", &lines));

    let models = dir.path().join("models.duckdb");
    run_ok(ecom(&models).arg("--quiet").arg("ingest").arg(&day));
    run_ok(ecom(&models).args(["--quiet", "models", "build"]));
    problems.extend(try_every_command("models, no ML", &models));

    let tailed = dir.path().join("tailed.duckdb");
    let topic = unique("edge");
    simulate(&topic, std::slice::from_ref(&day), &[]);
    run_ok(ecom(&tailed).args([
        "--quiet",
        "tail",
        "--brokers",
        &brokers(),
        "--topic",
        &topic,
        "--group",
        &unique("edge"),
        "--metrics-topic",
        "",
        "--until-idle",
        "4s",
    ]));
    problems.extend(try_every_command("a tail, no models", &tailed));

    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
