//! Faults landed where they mean to by construction: `kill -9` of a model build after
//! its N-th finished node and of an export after its first table, and a disk that fills
//! during an ingest. After each, running the same command again gives exactly what an
//! uninterrupted run gives.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::*;

/// November 2011: enough work that a kill lands in the middle.
fn november_files() -> Vec<PathBuf> {
    (1..=30)
        .map(|d| by_day_dir().join(format!("2011-11-{d:02}.csv")))
        .filter(|p| p.is_file())
        .collect()
}

/// What the marts hold, to compare an interrupted build with an uninterrupted one.
const MARTS_SQL: &str = "
SELECT (SELECT count(*) FROM marts.fact_sales) AS lines,
       (SELECT round(sum(revenue), 2) FROM marts.fact_sales) AS revenue,
       (SELECT count(*) FROM marts.dim_customer) AS customers,
       (SELECT round(sum(net_revenue), 2) FROM marts.sales_daily) AS daily,
       (SELECT count(*) FROM marts.sales_by_country) AS countries";

/// Spawns `ecom ARGS` and SIGKILLs it once `wanted` lines of its stderr satisfy `done`.
fn kill_after(db: &Path, args: &[&str], wanted: usize, done: impl Fn(&str) -> bool) {
    let mut child = ecom(db)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = 0;
    for line in stderr.lines() {
        if done(&line.unwrap()) {
            seen += 1;
            if seen == wanted {
                break;
            }
        }
    }
    assert_eq!(seen, wanted, "the command ended before it could be killed");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

#[test]
fn a_model_build_killed_after_its_40th_node_rebuilds_to_the_same_marts() {
    let dir = tempfile::tempdir().unwrap();
    let (calm, killed) = (
        dir.path().join("calm.duckdb"),
        dir.path().join("killed.duckdb"),
    );
    for db in [&calm, &killed] {
        run_ok(ecom(db).arg("--quiet").arg("ingest").args(november_files()));
    }
    run_ok(ecom(&calm).args(["--quiet", "models", "build"]));
    kill_after(
        &killed,
        &["models", "build", "--threads", "1"],
        40,
        |line| line.contains(" of ") && (line.contains(" OK ") || line.contains(" PASS ")),
    );
    run_ok(ecom(&killed).args(["--quiet", "models", "build"]));
    assert_eq!(query_json(&killed, MARTS_SQL), query_json(&calm, MARTS_SQL));
}

#[test]
fn an_export_killed_after_its_first_table_reruns_to_a_complete_lake() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let lake = dir.path().join("lake");
    run_ok(
        ecom(&db)
            .arg("--quiet")
            .arg("ingest")
            .args(november_files()),
    );
    run_ok(ecom(&db).args(["--quiet", "models", "build"]));
    let to = lake.display().to_string();
    kill_after(&db, &["export", "--to", &to], 1, |line| {
        line.contains(" files, ")
    });
    run_ok(ecom(&db).args(["--quiet", "export", "--to", &to]));
    let scratch = dir.path().join("reader.duckdb");
    let read_back = query_json(
        &scratch,
        &format!(
            "SELECT count(*) AS n, round(sum(quantity * unit_price), 2) AS revenue \
             FROM read_parquet('{to}/raw/order_lines/**/*.parquet')"
        ),
    );
    let expected = query_json(
        &db,
        "SELECT count(*) AS n, round(sum(quantity * unit_price), 2) AS revenue FROM raw.order_lines",
    );
    assert_eq!(read_back, expected);
    for table in ["raw/order_lines", "marts/fact_sales", "marts/sales_daily"] {
        assert!(
            lake.join(table).join("_manifest.json").is_file(),
            "{table} has its manifest"
        );
    }
}

/// A tmpfs of `size` mounted at `at`, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    /// `None`, with the reason printed, where this machine cannot mount one.
    fn mount(at: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Self(at.to_path_buf())),
            Ok(out) => {
                eprintln!(
                    "skipped: cannot mount a small disk here (needs root): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: no mount command: {e}");
                None
            }
        }
    }

    fn grow(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_disk_that_fills_during_an_ingest_fails_clearly_and_a_rerun_completes() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&dir.path().join("disk"), "6m") else {
        return;
    };
    let db = dir.path().join("disk/w.duckdb");
    let out = ecom(&db).arg("ingest").arg(by_day_dir()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("space") || stderr.contains("No space"),
        "says the disk is full: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    disk.grow("512m");
    run_ok(ecom(&db).arg("--quiet").arg("ingest").arg(by_day_dir()));
    assert_reference_figures(&db);
}
