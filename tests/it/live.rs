//! Live SQL (issue #24): a SQL tab that refreshes itself, and `ecom query
//! --auto-refresh`, on real data; in tmux, a tab counting `stream.events` while the
//! workbench's own tail writes them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ecom::tui::action::Action;
use ecom::tui::effect::Effect;
use ecom::warehouse::Warehouse;

use crate::common::*;
use crate::stream::{brokers, unique};
use crate::tmux::Session;
use crate::tui_support::*;

/// A warehouse holding two real days (2010-12-01 and 02): its line and invoice counts.
fn two_days(dir: &Path) -> (PathBuf, u64, u64) {
    let db = dir.join("w.duckdb");
    let days = ["2010-12-01.csv", "2010-12-02.csv"].map(|d| by_day_dir().join(d));
    run_ok(ecom(&db).arg("ingest").args(days));
    let count = |sql: &str| scalar(&db, sql).as_u64().unwrap();
    let lines = count("SELECT count(*) FROM raw.order_lines");
    let invoices = count("SELECT count(DISTINCT invoice_no) FROM raw.order_lines");
    (db, lines, invoices)
}

const COUNTS: &str =
    "SELECT count(*) AS lines, count(DISTINCT invoice_no) AS invoices FROM raw.order_lines";

#[test]
fn query_auto_refresh_prints_every_answer_as_help_says() {
    let dir = tempfile::tempdir().unwrap();
    let (db, lines, invoices) = two_days(dir.path());
    let refresh = ["query", "--auto-refresh", "1", "--times", "3"];
    // CSV: one header, one row per answer, each after its time.
    let csv = run_ok(ecom(&db).args(refresh).args(["--format", "csv", COUNTS]));
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 4, "{csv}");
    assert_eq!(rows[0], "refreshed_at,lines,invoices");
    let mut times = Vec::new();
    for row in &rows[1..] {
        let (at, counts) = row.split_once(',').unwrap();
        assert_eq!(counts, format!("{lines},{invoices}"), "{csv}");
        times.push(chrono::DateTime::parse_from_rfc3339(at).unwrap());
    }
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{csv}");
    // JSON lines: one document per answer, numbered.
    let json = run_ok(ecom(&db).args(refresh).args(["--format", "json", COUNTS]));
    let answers: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 3, "{json}");
    for (n, answer) in answers.iter().enumerate() {
        assert_eq!(answer["answer"], n as u64 + 1);
        assert_eq!(answer["rows"][0]["lines"], lines);
        assert_eq!(answer["rows"][0]["invoices"], invoices);
        assert!(answer["refreshed_at"].is_string());
    }
    // A table per answer, each after a line with its time.
    let table = run_ok(ecom(&db).args(refresh).arg(COUNTS));
    assert_eq!(table.matches("-- ").count(), 3, "{table}");
    assert!(table.contains(" · answer 3\n"), "{table}");
    assert_eq!(table.matches("(1 row)").count(), 3, "{table}");
    // What it refuses, in a sentence: exit 2 for a usage error, 1 for a write.
    let refused = |args: &[&str], code: i32| {
        let out = ecom(&db).arg("query").args(args).output().unwrap();
        let said = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(code), "{said}");
        said
    };
    let said = refused(&["--auto-refresh", "0", COUNTS], 2);
    assert!(said.contains("1 second at least"), "{said}");
    let said = refused(&["--auto-refresh", "soon", COUNTS], 2);
    assert!(
        said.contains("seconds (5) or a duration (5s, 1m)"),
        "{said}"
    );
    let said = refused(&["--auto-refresh", "5", "CREATE TABLE t AS SELECT 1"], 1);
    assert!(
        said.contains("reads only") && said.contains("CREATE"),
        "{said}"
    );
    refused(&["--times", "3", COUNTS], 2);
    // The help says what is printed.
    let help = run_ok(ecom(&db).args(["query", "--help"]));
    assert!(
        help.contains("--auto-refresh <N>") && help.contains("JSON lines"),
        "{help}"
    );
}

#[test]
fn a_refreshing_tab_shows_it_in_its_title_and_a_failure_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _, _) = two_days(dir.path());
    let wh = Warehouse::open(&db).unwrap();
    let (width, height) = (100, 24);
    let mut app = app_on_raw(&wh, width, height);
    app.sql.editor.set_text(
        "SELECT country, count(*) AS lines FROM raw.order_lines GROUP BY ALL ORDER BY lines DESC",
    );
    let run = app.update(Action::RunQuery);
    work_off(&mut app, &wh, run);
    app.update(Action::Move(2));
    app.update(Action::SetAutoRefresh("5s".into()));
    let refresh = app.sql.tick(Instant::now());
    assert!(matches!(
        refresh[..],
        [Effect::RunQuery { fresh: false, .. }]
    ));
    work_off(&mut app, &wh, refresh);
    assert_eq!(app.sql.grid.selected, 2, "the place survives the refresh");
    let fixed = chrono::NaiveDate::from_ymd_opt(2026, 12, 5)
        .unwrap()
        .and_hms_opt(14, 3, 7)
        .unwrap()
        .and_local_timezone(chrono::Local)
        .unwrap();
    let front = app.sql.tabs.active;
    app.sql.tabs.tabs[front].refresh.as_mut().unwrap().finished = Some(fixed);
    let screen = render(&app, width, height);
    assert!(screen.contains("Results ⟳ 5s · 14:03:07: "), "{screen}");
    insta::assert_snapshot!("live_sql_tab_refreshing", screen);
    // A refresh that fails shows in place; the rows stay.
    let Some(Effect::RunQuery { statements, .. }) = app
        .sql
        .tick(Instant::now() + std::time::Duration::from_secs(5))
        .pop()
    else {
        panic!("a refresh is due")
    };
    app.update(Action::QueryFinished(
        statements[0].id,
        Err("IO Error: Could not set lock on file".into()),
    ));
    app.sql.tabs.tabs[front].refresh.as_mut().unwrap().finished = Some(fixed);
    let screen = render(&app, width, height);
    assert!(
        screen.contains("⟳ refresh failed, retrying: IO Error"),
        "{screen}"
    );
    insta::assert_snapshot!("live_sql_tab_refresh_failed", screen);
}

/// The count in the first row of the results grid (`┃1    1,234`), if shown.
fn first_count(screen: &str) -> Option<u64> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    // The grid's title `┏ Results ⟳ 1s…`: its left border's column and its line.
    let (y, x) = lines.iter().enumerate().find_map(|(y, line)| {
        let text: String = line.iter().collect();
        let at = text.find("Results ⟳ 1s")?;
        Some((y, text[..at].chars().count().checked_sub(2)?))
    })?;
    // Under the header: the row number, then the count.
    let row: String = lines.get(y + 2)?.iter().skip(x).collect();
    let mut cells = row
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .split_whitespace();
    let count = (cells.next() == Some("1"))
        .then(|| cells.next())
        .flatten()?;
    count.replace(',', "").parse().ok()
}

#[test]
fn a_tab_counting_stream_events_grows_while_the_workbench_tails_in_tmux() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    run_ok(ecom(&db).arg("ingest").arg(sample_csv()));
    let topic = unique("live-sql");
    // The topic exists, with a first few events, before the tail subscribes.
    crate::stream::simulate(
        &topic,
        &[by_day_dir().join("2010-12-01.csv")],
        &["--limit", "100"],
    );
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[tui.stream]\nbrokers = \"{}\"\ntopic = \"{topic}\"\ngroup = \"{topic}-group\"\n",
            brokers()
        ),
    )
    .unwrap();
    let home = dir.path().join("home");
    let session = Session::run(
        "live",
        (120, 30),
        &format!("XDG_STATE_HOME={}", home.display()),
        &format!("--db {} --config {}", db.display(), config.display()),
    );
    session.wait_for("order_lines");
    // The tail on screen 5, then a tab counting what it writes, refreshed every second.
    session.keys(&["5"]);
    session.wait_for("Tail of");
    session.keys(&["t"]);
    let tailing = session.wait_until("the tail to run", |s| s.contains("running"));
    eprintln!("{tailing}");
    session.keys(&["2"]);
    session.wait_for("Catalog");
    session.keys(&["C-t"]);
    session.wait_for("SQL 1 [2]");
    session.keys(&["SELECT count(*) AS events FROM stream.events"]);
    session.keys(&["F5"]);
    session.wait_for("Results: 1 rows");
    session.keys(&[":"]);
    session.wait_for("Command palette");
    session.keys(&["auto-refresh 1"]);
    session.wait_for("> auto-refresh 1");
    session.keys(&["Enter"]);
    session.wait_for("Results ⟳ 1s");
    // Feed the topic slowly; no more keys: the count must grow on its own.
    let mut simulate = std::process::Command::new(assert_cmd::cargo::cargo_bin("ecom"))
        .args(["--db"])
        .arg(dir.path().join("unused.duckdb"))
        .args(["simulate", "--brokers", &brokers(), "--topic", &topic])
        .args(["--rate", "100", "--limit", "1500", "--from"])
        .arg(by_day_dir().join("2010-12-01.csv"))
        .env("XDG_STATE_HOME", &home)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let first = session.wait_until("a first count above zero", |s| {
        first_count(s).is_some_and(|n| n > 0)
    });
    let seen = first_count(&first).unwrap();
    eprintln!("{first}");
    let later = session.wait_until("the count to grow", |s| {
        first_count(s).is_some_and(|n| n > seen)
    });
    eprintln!("{later}");
    assert!(later.contains("SQL 1 [2]⟳"), "{later}");
    let _ = simulate.wait();
    session.quit();
}
