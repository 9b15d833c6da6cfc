//! `ecom config path|show|validate|edit` and the layers.

use crate::common::*;

#[test]
fn layers_and_validation() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let path = run_ok(ecom(&db).args(["config", "path"]));
    assert!(path.trim().ends_with("config/ecom/config.toml"), "{path}");
    // Defaults, with --db as the warehouse.
    let shown = run_ok(ecom(&db).args(["config", "show"]));
    assert!(shown.contains("batch_rows = 300000"), "{shown}");
    assert!(shown.contains("w.duckdb"), "{shown}");
    // A file layer, then the environment over it.
    let file = dir.path().join("c.toml");
    std::fs::write(
        &file,
        "[ingest]\nbatch_rows = 1000\n[log]\nlevel = \"debug\"\n",
    )
    .unwrap();
    let shown = run_ok(
        ecom(&db)
            .arg("--config")
            .arg(&file)
            .args(["config", "show", "--json"]),
    );
    let json: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(json["ingest"]["batch_rows"], 1000);
    assert_eq!(json["log"]["level"], "debug");
    let shown = run_ok(
        ecom(&db)
            .arg("--config")
            .arg(&file)
            .env("ECOM_LOG", "warn")
            .args(["config", "show", "--json"]),
    );
    let json: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(json["log"]["level"], "warn");
    run_ok(ecom(&db).args(["config", "validate"]).arg(&file));
    // A typo names the file, the line and the key.
    std::fs::write(&file, "[ingest]\nbatch_rows = 1000\nmax_bad_row = \"5\"\n").unwrap();
    let out = ecom(&db)
        .args(["config", "validate"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("c.toml") && stderr.contains("line 3") && stderr.contains("max_bad_row"),
        "{stderr}"
    );
    // A broken explicit config is a usage error for every command.
    run_code(ecom(&db).arg("--config").arg(&file).arg("status"), 2);
}

#[test]
fn edit_creates_the_file_and_checks_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let file = dir.path().join("new/config.toml");
    run_ok(
        ecom(&db)
            .arg("--config")
            .arg(&file)
            .env("VISUAL", "true")
            .args(["config", "edit"]),
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("[ingest]"));
}

#[test]
fn key_overrides_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let file = dir.path().join("keys.toml");
    std::fs::write(
        &file,
        "[tui.keys]\nquit = [\"ctrl+q\"]\nrun_query = [\"f5\", \"ctrl+r\"]\n",
    )
    .unwrap();
    run_ok(ecom(&db).args(["config", "validate"]).arg(&file));
    std::fs::write(&file, "[tui.keys]\nfly = [\"f\"]\n").unwrap();
    let out = ecom(&db)
        .args(["config", "validate"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("tui.keys.fly") && stderr.contains("no such action"),
        "{stderr}"
    );
    std::fs::write(&file, "[tui.keys]\nquit = [\"hyper+q\"]\n").unwrap();
    let out = ecom(&db)
        .args(["config", "validate"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("`hyper+q` is not a key"));
}
