//! The conformance suite: small dbt projects in `tests/fixtures/projects/`, each run
//! step by step with `ecom models …`, checked against what real dbt-duckdb did with the
//! same project (`expected.json`, written by `regenerate.py` there): node statuses,
//! failure counts, table contents and `ls` output. Error texts are ecom's own and are
//! checked for the file, line and names a user needs.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

fn projects_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/projects")
}

/// Copies a fixture project into a temporary folder (runs write `target/` into it).
fn copy_project(name: &str, into: &Path) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy(&path, &target);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
    let dest = into.join(name);
    copy(&projects_dir().join(name), &dest);
    dest
}

/// dbt's exit codes → ecom's: test failures alone are "data checks failed" (3);
/// compile errors and node errors are 1.
fn expected_exit(dbt: i64, results: &Value) -> i32 {
    let any_error = results
        .as_object()
        .is_some_and(|r| r.values().any(|v| v["status"] == "error"));
    match dbt {
        0 => 0,
        1 if !any_error => 3,
        _ => 1,
    }
}

/// A JSON value as comparable text (numbers by value, so 2 == 2.0 and "2.50" == 2.5).
fn normal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Number(n) => format!("{}", n.as_f64().unwrap_or_default()),
        Value::String(s) => s
            .parse::<f64>()
            .map(|f| format!("{f}"))
            .unwrap_or_else(|_| timestamp(s).unwrap_or_else(|| s.clone())),
        other => other.to_string(),
    }
}

/// A timestamp as one text: Python's `2024-01-03T11:30:00.250000` and DuckDB's
/// `2024-01-03 11:30:00.250` alike.
fn timestamp(s: &str) -> Option<String> {
    let t = chrono::NaiveDateTime::parse_from_str(&s.replacen('T', " ", 1), "%Y-%m-%d %H:%M:%S%.f")
        .ok()?;
    Some(t.format("%Y-%m-%d %H:%M:%S%.f").to_string())
}

fn check_results(project: &Path, expected: &Value, step: &str) {
    let text =
        std::fs::read_to_string(project.join("target/run_results.json")).expect("run_results.json");
    let ours: Value = serde_json::from_str(&text).unwrap();
    let ours = ours["results"].as_array().unwrap();
    for (id, want) in expected.as_object().unwrap() {
        // dbt's build reports a saved query (its exports, none here) as a node; ecom has
        // no semantic layer to run and lists saved queries only.
        if id.starts_with("saved_query.") {
            continue;
        }
        let found = ours.iter().find(|r| {
            r["unique_id"] == *id
                || (want.get("name").is_some()
                    && r["unique_id"]
                        .as_str()
                        .is_some_and(|u| u.split('.').nth(2) == want["name"].as_str()))
        });
        let found = found.unwrap_or_else(|| panic!("{step}: no result for {id}"));
        assert_eq!(
            found["status"], want["status"],
            "{step}: status of {id}: {found}"
        );
        if let Some(failures) = want.get("failures").filter(|f| !f.is_null()) {
            assert_eq!(found["failures"], *failures, "{step}: failures of {id}");
        }
    }
}

fn check_queries(db: &Path, queries: &Value, step: &str) {
    for query in queries.as_array().into_iter().flatten() {
        // ecom's own schemas are not the project's.
        let sql = query["sql"].as_str().unwrap().replace(
            "'pg_catalog')",
            "'pg_catalog', 'meta', 'raw', 'ml', 'stream')",
        );
        let sql = sql.as_str();
        let columns: Vec<&str> = query["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let got: Vec<Vec<String>> = query_json(db, sql)
            .iter()
            .map(|row| columns.iter().map(|c| normal(&row[*c])).collect())
            .collect();
        let want: Vec<Vec<String>> = query["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row.as_array().unwrap().iter().map(normal).collect())
            .collect();
        assert_eq!(got, want, "{step}: {sql}");
    }
}

/// What ecom's error must say, per project (dbt's wording differs; the facts do not).
fn check_error(project: &str, stderr: &str) {
    let needles: &[&str] = match project {
        "broken_jinja" => &["models/broken.sql:3"],
        "cycle" => &["cycle", "model.cycle.model_a", "model.cycle.model_b"],
        "unknown_ref" => &["customrs", "did you mean customers"],
        "broken_sql" => &["nme", "compiled SQL"],
        _ => &[],
    };
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{project}: the error lacks `{needle}`:\n{stderr}"
        );
    }
}

fn run_project(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let project = copy_project(name, dir.path());
    let db = dir.path().join("w.duckdb");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(project.join("expected.json")).unwrap())
            .unwrap();
    for (i, step) in expected["steps"].as_array().unwrap().iter().enumerate() {
        let argv: Vec<&str> = step["argv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let label = format!("{name} step {i} {argv:?}");
        let mut cmd = ecom(&db);
        cmd.arg("models").args(&argv).arg("--project").arg(&project);
        for (key, value) in step
            .get("env")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            cmd.env(key, value.as_str().unwrap());
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let dbt_exit = step["exit_code"].as_i64().unwrap();
        // A stale source is an error in dbt and in ecom alike (1), not a failed test.
        let want_exit = if step.get("sources").is_some() {
            dbt_exit as i32
        } else {
            expected_exit(dbt_exit, &step["results"])
        };
        assert_eq!(
            out.status.code(),
            Some(want_exit),
            "{label}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        if let Some(ls) = step.get("ls_output") {
            let mut got: Vec<&str> = stdout.lines().collect();
            let mut want: Vec<&str> = ls
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{label}");
        }
        if step.get("results").is_some_and(|r| !r.is_null()) {
            check_results(&project, &step["results"], &label);
        }
        if let Some(sources) = step.get("sources") {
            check_sources(&project, sources, &label);
        }
        if let Some(queries) = step.get("queries") {
            check_queries(&db, queries, &label);
        }
        if step.get("error_contains").is_some() {
            check_error(name, &stderr);
        }
    }
}

#[test]
fn packages() {
    run_project("packages");
}

#[test]
fn unit_tests() {
    run_project("unit_tests");
}

#[test]
fn snapshots() {
    run_project("snapshots");
}

/// `source freshness`: every table dbt checked has the same status in ecom's
/// `target/sources.json`, and no other table was checked.
fn check_sources(project: &Path, expected: &Value, label: &str) {
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(project.join("target/sources.json")).unwrap(),
    )
    .unwrap();
    let got: serde_json::Map<String, Value> = written["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["unique_id"].as_str().unwrap().to_string(),
                r["status"].clone(),
            )
        })
        .collect();
    assert_eq!(&Value::Object(got), expected, "{label}");
}

#[test]
fn source_freshness() {
    run_project("source_freshness");
}

#[test]
fn basics() {
    run_project("basics");
}

#[test]
fn incremental() {
    run_project("incremental");
}

#[test]
fn tests_failing() {
    run_project("tests_failing");
}

#[test]
fn selectors() {
    run_project("selectors");
}

#[test]
fn broken_sql() {
    run_project("broken_sql");
}

#[test]
fn broken_jinja() {
    run_project("broken_jinja");
}

#[test]
fn cycle() {
    run_project("cycle");
}

#[test]
fn unknown_ref() {
    run_project("unknown_ref");
}

#[test]
fn run_query_pivot() {
    run_project("run_query_pivot");
}

#[test]
fn seeds_typed() {
    run_project("seeds_typed");
}

#[test]
fn schema_names() {
    run_project("schema_names");
}

#[test]
fn semantic_layer() {
    run_project("semantic_layer");
}
