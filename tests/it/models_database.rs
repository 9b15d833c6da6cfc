//! `generate_database_name` is called with the real node; every relation lives in the
//! one warehouse, so a node sent to another database is refused by name.

use crate::common::*;

fn project(dir: &std::path::Path, macro_body: &str) -> std::path::PathBuf {
    let project = dir.join("shop");
    std::fs::create_dir_all(project.join("models")).unwrap();
    std::fs::create_dir_all(project.join("macros")).unwrap();
    std::fs::write(
        project.join("dbt_project.yml"),
        "name: shop\nversion: '1.0'\nconfig-version: 2\n",
    )
    .unwrap();
    std::fs::write(project.join("models/kept.sql"), "select 1 as id\n").unwrap();
    std::fs::write(
        project.join("models/elsewhere.sql"),
        "{{ config(database='archive') }}\nselect 2 as id\n",
    )
    .unwrap();
    std::fs::write(
        project.join("macros/naming.sql"),
        format!("{{% macro generate_database_name(custom_database_name, node) %}}{macro_body}{{% endmacro %}}\n"),
    )
    .unwrap();
    project
}

#[test]
fn a_database_override_sees_the_node_and_one_warehouse_holds_everything() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    // The override keeps every node in the target database, whatever it was asked.
    let kept = project(
        dir.path(),
        "{% if node.resource_type == 'model' %}{{ target.database }}{% else %}nowhere{% endif %}",
    );
    run_ok(ecom(&db).args(["models", "build", "--project"]).arg(&kept));
    // The default honours `database='archive'`, which ecom cannot build into.
    std::fs::remove_file(kept.join("macros/naming.sql")).unwrap();
    let out = ecom(&db)
        .args(["models", "build", "--project"])
        .arg(&kept)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("model `elsewhere` goes to database `archive`"),
        "{stderr}"
    );
}
