//! Shared fixtures: the `ecom` binary, temporary warehouses, the real data set, and the
//! full-data warehouse built once per test run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

use assert_cmd::cargo::cargo_bin;

/// The real data set: `../shared/data/online-retail/by-day` (or `$ECOM_TEST_DATA`).
pub fn by_day_dir() -> PathBuf {
    let dir = std::env::var_os("ECOM_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/online-retail/by-day")
        });
    assert!(
        dir.join("2010-12-01.csv").is_file(),
        "the real data set is missing at {} (set ECOM_TEST_DATA)",
        dir.display()
    );
    dir
}

/// A program of the test virtualenv (scripts/test.sh creates it: duckdb, dbt-duckdb,
/// moto, boto3); missing is a failure, never a skip.
pub fn venv_bin(name: &str) -> PathBuf {
    let venv = std::env::var_os("ECOM_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/ecom/venv")
        });
    let bin = venv.join("bin").join(name);
    assert!(
        bin.is_file(),
        "{} is missing (scripts/test.sh installs it)",
        bin.display()
    );
    bin
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn sample_csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/online-retail-sample.csv")
}

/// An `ecom` command on warehouse `db`, isolated from the user's config and logs.
pub fn ecom(db: &Path) -> Command {
    let mut cmd = Command::new(cargo_bin("ecom"));
    let home = db.parent().unwrap_or(Path::new("/tmp")).join("home");
    cmd.arg("--db")
        .arg(db)
        .env_remove("ECOM_DB")
        .env_remove("ECOM_CONFIG")
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"));
    cmd
}

/// Runs a command, asserts its exit code, returns stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    run_code(cmd, 0)
}

pub fn run_code(cmd: &mut Command, code: i32) -> String {
    let out = cmd.output().expect("the command runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{cmd:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

/// `ecom query --json SQL` parsed into its rows.
pub fn query_json(db: &Path, sql: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let out = run_ok(ecom(db).args(["query", "--json", sql]));
    let value: serde_json::Value = serde_json::from_str(&out).expect("query --json is JSON");
    value
        .as_array()
        .expect("an array of rows")
        .iter()
        .map(|r| r.as_object().expect("row objects").clone())
        .collect()
}

/// The one value of a one-row, one-column query.
pub fn scalar(db: &Path, sql: &str) -> serde_json::Value {
    let rows = query_json(db, sql);
    assert_eq!(rows.len(), 1, "{sql}");
    rows[0].values().next().cloned().expect("one column")
}

/// Every reference figure of MISSION.md, by name, from one query.
pub const FIGURES_SQL: &str = "
SELECT count(*) AS lines,
       (SELECT count(*) FROM (SELECT DISTINCT invoice_no, stock_code, description, quantity,
                                     invoice_ts, unit_price, customer_id, country
                              FROM raw.order_lines)) AS distinct_lines,
       count(DISTINCT customer_id) AS customers,
       count(*) FILTER (WHERE customer_id IS NULL) AS lines_without_customer,
       count(DISTINCT invoice_no) AS invoices,
       count(*) FILTER (WHERE invoice_no LIKE 'C%') AS cancellation_lines,
       count(DISTINCT stock_code) AS stock_codes,
       count(DISTINCT country) AS countries,
       count(DISTINCT invoice_ts::DATE) AS days,
       round(sum(quantity * unit_price), 2) AS revenue,
       round(sum(quantity * unit_price) FILTER (WHERE invoice_no NOT LIKE 'C%'), 2) AS revenue_non_cancellation,
       round(sum(quantity * unit_price) FILTER (WHERE strftime(invoice_ts, '%Y-%m') = '2011-11'), 2) AS revenue_2011_11
FROM raw.order_lines";

/// Asserts the reference figures of MISSION.md, exactly.
pub fn assert_reference_figures(db: &Path) {
    let rows = query_json(db, FIGURES_SQL);
    let f = &rows[0];
    let int = |k: &str| f[k].as_i64().unwrap_or_else(|| panic!("{k}: {:?}", f[k]));
    let money = |k: &str| f[k].as_f64().unwrap_or_else(|| panic!("{k}: {:?}", f[k]));
    assert_eq!(int("lines"), 541_909);
    assert_eq!(int("distinct_lines"), 536_641);
    assert_eq!(int("customers"), 4_372);
    assert_eq!(int("lines_without_customer"), 135_080);
    assert_eq!(int("invoices"), 25_900);
    assert_eq!(int("cancellation_lines"), 9_288);
    assert_eq!(int("stock_codes"), 4_070);
    assert_eq!(int("countries"), 38);
    assert_eq!(int("days"), 305);
    assert_eq!(money("revenue"), 9_747_747.93);
    assert_eq!(money("revenue_non_cancellation"), 10_644_560.42);
    assert_eq!(money("revenue_2011_11"), 1_461_756.25);
}

/// The warehouse holding the full data set, built once per test run. Hold the guard
/// while using it: a DuckDB file has one process at a time.
pub fn full_warehouse() -> MutexGuard<'static, PathBuf> {
    static FULL: OnceLock<(tempfile::TempDir, Mutex<PathBuf>)> = OnceLock::new();
    let (_, lock) = FULL.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("full.duckdb");
        run_ok(ecom(&db).arg("ingest").arg(by_day_dir()));
        (dir, Mutex::new(db))
    });
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

/// The full-data warehouse with the bundled models built (once per test run).
pub fn full_marts() -> MutexGuard<'static, PathBuf> {
    static BUILT: OnceLock<()> = OnceLock::new();
    let db = full_warehouse();
    BUILT.get_or_init(|| {
        run_ok(ecom(&db).args(["--quiet", "models", "build"]));
    });
    db
}
