//! The bundled dimensional model on the full data: every model and test passes, the marts
//! reconcile with the reference figures, and real dbt-duckdb builds identical relations.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// The Python of the test virtualenv, which must also hold dbt.
fn venv_python() -> PathBuf {
    venv_bin("dbt");
    venv_bin("python")
}

#[test]
fn bundled_project_on_full_data_matches_the_reference_and_dbt() {
    let db = full_warehouse();
    let out = run_ok(ecom(&db).args(["models", "build", "--json"]));
    let results: serde_json::Value = serde_json::from_str(&out).unwrap();
    let results = results["results"].as_array().unwrap();
    assert!(results.len() >= 170, "{} nodes", results.len());
    for r in results {
        assert!(
            r["status"] == "success" || r["status"] == "pass",
            "{}: {} {}",
            r["unique_id"],
            r["status"],
            r["message"]
        );
    }
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM marts.fact_sales"),
        536_641
    );
    assert_eq!(
        scalar(&db, "SELECT round(sum(revenue), 2) FROM marts.fact_sales"),
        9_726_006.95
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT round(sum(revenue), 2) FROM staging.stg_duplicate_lines"
        ),
        21_740.98
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM staging.stg_duplicate_lines"),
        5_268
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM marts.dim_country"), 38);
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM marts.dim_customer"),
        4_372
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM marts.dim_product"), 4_070);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(DISTINCT invoice_no) FROM marts.fact_sales"
        ),
        25_900
    );
    // The compiled SQL and dbt's artifacts are written.
    let project = db.with_extension("project");
    assert!(project.join("target/run_results.json").is_file());
    assert!(project.join("target/manifest.json").is_file());
    assert!(
        project
            .join("target/compiled/ecom/models/marts/core/fact_sales.sql")
            .is_file()
    );

    // The same project under real dbt-duckdb builds identical relations.
    let compare = Command::new(venv_python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/dev/dbt_compare.py"))
        .arg("--ecom-db")
        .arg(&*db)
        .arg("--project")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/project"))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&compare.stdout);
    assert!(
        compare.status.success(),
        "dbt-duckdb and ecom differ:\n{report}\n{}",
        String::from_utf8_lossy(&compare.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert!(report["relations"].as_array().unwrap().len() >= 15);
}

#[test]
fn init_writes_a_project_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let project = dir.path().join("shop");
    run_ok(ecom(&db).args(["models", "init"]).arg(&project));
    assert!(project.join("dbt_project.yml").is_file());
    assert!(project.join("models/marts/core/fact_sales.sql").is_file());
    run_ok(ecom(&db).arg("ingest").arg(sample_csv()));
    let out = run_ok(
        ecom(&db)
            .args(["models", "build", "--json", "--project"])
            .arg(&project),
    );
    let results: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        results["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] != "error")
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM marts.dim_country"), 10);
    // Selection: only the staging layer.
    let out = run_ok(
        ecom(&db)
            .args(["models", "ls", "--project"])
            .arg(&project)
            .args([
                "--select",
                "path:models/staging",
                "--resource-type",
                "model",
                "--output",
                "name",
            ]),
    );
    let mut names: Vec<&str> = out.lines().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "stg_duplicate_lines",
            "stg_order_lines",
            "stg_raw_order_lines"
        ]
    );
}

#[test]
fn a_failed_build_leaves_the_previous_relation_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let project = dir.path().join("p");
    std::fs::create_dir_all(project.join("models")).unwrap();
    std::fs::write(
        project.join("dbt_project.yml"),
        "name: p\nconfig-version: 2\nprofile: ecom\n",
    )
    .unwrap();
    let model = project.join("models/numbers.sql");
    std::fs::write(
        &model,
        "{{ config(materialized='table') }}\nselect 1 as n union all select 2",
    )
    .unwrap();
    run_ok(ecom(&db).args(["models", "run", "--project"]).arg(&project));
    assert_eq!(scalar(&db, "SELECT sum(n) FROM main.numbers"), 3);
    std::fs::write(
        &model,
        "{{ config(materialized='table') }}\nselect 1 as n union all select nope",
    )
    .unwrap();
    let out = ecom(&db)
        .args(["models", "run", "--project"])
        .arg(&project)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nope") && stderr.contains("compiled SQL"),
        "{stderr}"
    );
    assert_eq!(
        scalar(&db, "SELECT sum(n) FROM main.numbers"),
        3,
        "the old table survives"
    );
}

#[test]
fn generate_schema_name_may_return_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let project = dir.path().join("p");
    std::fs::create_dir_all(project.join("models")).unwrap();
    std::fs::create_dir_all(project.join("macros")).unwrap();
    std::fs::write(
        project.join("dbt_project.yml"),
        "name: p\nconfig-version: 2\nprofile: ecom\n",
    )
    .unwrap();
    std::fs::write(
        project.join("macros/schema.sql"),
        "{% macro generate_schema_name(custom_schema_name, node) %}{{ return('lake_' ~ (custom_schema_name or 'main')) }}{% endmacro %}",
    )
    .unwrap();
    std::fs::write(
        project.join("models/m.sql"),
        "{{ config(schema='marts') }}\nselect 1 as n",
    )
    .unwrap();
    let out = run_ok(
        ecom(&db)
            .args(["--json", "models", "ls", "--project"])
            .arg(&project),
    );
    let nodes: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(nodes[0]["schema"], "lake_marts");
}
