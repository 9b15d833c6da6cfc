//! A team beside one running ecom: `ecom serve --tail` is the single writer, fed by
//! `ecom simulate`, while two workbenches (`--remote`, in tmux) and `ecom query
//! --remote` read it at once and see the figures move as events arrive.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{by_day_dir, ecom, run_ok};
use crate::serve::{Server, token};
use crate::stream::{brokers, unique};
use crate::tmux::Session;

/// `SELECT count(*)` of the server's `stream.events`, through `ecom query --remote`.
fn remote_events(server: &Server, db: &std::path::Path, token: &str) -> i64 {
    let out = run_ok(ecom(db).args([
        "--remote",
        &server.base,
        "--token",
        token,
        "--json",
        "query",
        "SELECT count(*) AS n FROM stream.events",
    ]));
    let rows: serde_json::Value = serde_json::from_str(&out).expect("JSON rows");
    rows[0]["n"].as_i64().expect("a count")
}

/// The number in the first row of a one-column result grid (`┃1  1234 ┃`).
fn grid_count(screen: &str) -> Option<i64> {
    screen.lines().find_map(|line| {
        let (_, grid) = line.split_once('┃')?;
        let cells: Vec<&str> = grid.trim_end_matches('┃').split_whitespace().collect();
        (cells.len() == 2 && cells[0] == "1").then(|| cells[1].parse().ok())?
    })
}

#[test]
fn two_remote_workbenches_and_a_remote_query_watch_a_serving_tail_as_simulate_feeds_it() {
    let topic = unique("remote-team");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.duckdb");
    let querier = token(&db, "analyst", "query");
    let admin = token(&db, "lead", "admin");
    let tail = format!(
        "--brokers {} --topic {topic} --group {topic} --window 1h --metrics-topic '' \
         --consumer-config session.timeout.ms=2000 heartbeat.interval.ms=500",
        brokers()
    );
    let server = Server::start(&db, &["--tail", &tail]);
    // Events arrive over about twenty seconds while everybody reads.
    let day = by_day_dir().join("2011-11-03.csv");
    let simulate = ecom(&dir.path().join("unused.duckdb"))
        .args([
            "--json",
            "simulate",
            "--brokers",
            &brokers(),
            "--topic",
            &topic,
        ])
        .args(["--rate", "150", "--from"])
        .arg(&day)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ecom simulate starts");

    let analyst = Session::start_remote("remote-a", &db, &server.base, &querier, (120, 32));
    let lead = Session::start_remote("remote-b", &db, &server.base, &admin, (120, 32));
    analyst.wait_for("(read-only)");
    lead.wait_for("(admin)");

    // The analyst's SQL tab runs on the server: its count grows between two runs.
    analyst.keys(&["i"]);
    analyst.wait_for(" INSERT ");
    analyst.keys(&["C-a", "select count(*) as n from stream.events "]);
    analyst.keys(&["F5"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let first = loop {
        let screen = analyst.wait_for("Results: 1 rows");
        match grid_count(&screen) {
            Some(n) if n > 0 => break n,
            _ => {
                assert!(Instant::now() < deadline, "no events landed:\n{screen}");
                std::thread::sleep(Duration::from_millis(500));
                analyst.keys(&["F5"]);
            }
        }
    };
    // Meanwhile a headless remote query and the lead's Stream screen read the same
    // server.
    let headless_first = remote_events(&server, &db, &querier);
    lead.keys(&["5"]);
    lead.wait_for("Stream");
    let mut later = first;
    let deadline = Instant::now() + Duration::from_secs(60);
    while later <= first {
        assert!(Instant::now() < deadline, "the count stayed at {first}");
        std::thread::sleep(Duration::from_millis(700));
        analyst.keys(&["F5"]);
        std::thread::sleep(Duration::from_millis(300));
        later = grid_count(&analyst.screen()).unwrap_or(first);
    }
    assert!(later > first, "{first} then {later}");
    let headless_later = remote_events(&server, &db, &querier);
    // The lead's Stream screen shows the server's closed windows of the simulated day.
    lead.wait_for("11-03 ");
    assert!(headless_later >= headless_first);

    // A query token cannot start a build: the job is refused in the workbench, and the
    // API refuses it too.
    analyst.keys(&["3"]);
    analyst.wait_for("Models");
    analyst.keys(&["b"]);
    analyst.keys(&["4"]);
    analyst.wait_for("admin token");
    let refused = server
        .client
        .post(format!("{}/api/v1/jobs", server.base))
        .bearer_auth(&querier)
        .json(&serde_json::json!({"kind": "models", "select": []}))
        .send()
        .unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::FORBIDDEN);

    // Everything the query route refuses is refused in the workbench with its sentence.
    analyst.keys(&["2", "i"]);
    analyst.wait_for(" INSERT ");
    analyst.keys(&["C-a", "select * from read_csv('/etc/passwd') "]);
    analyst.keys(&["F5"]);
    analyst.wait_for("is not allowed here");

    // When simulate is done, every event it sent is in the server and reads the same
    // through the remote query.
    let sent: serde_json::Value = {
        let out = simulate.wait_with_output().expect("simulate ends");
        serde_json::from_slice(&out.stdout).expect("simulate's JSON")
    };
    let events = sent["sent"].as_i64().expect("events sent");
    let deadline = Instant::now() + Duration::from_secs(60);
    while remote_events(&server, &db, &querier) != events {
        assert!(Instant::now() < deadline, "not every event landed");
        std::thread::sleep(Duration::from_millis(300));
    }
    let local = "SELECT count(*) AS n FROM stream.events";
    analyst.quit();
    lead.quit();
    assert_eq!(server.terminate(), Some(0));
    // The warehouse is free again: the server's file holds the same count.
    let out = run_ok(ecom(&db).args(["--json", "query", local]));
    assert!(out.contains(&format!("\"n\":{events}")), "{out}");
}

/// `ecom query --remote` with `args`, as text (stdout, stderr).
fn remote_query(
    server: &Server,
    db: &std::path::Path,
    token: &str,
    args: &[&str],
) -> (String, String) {
    let out = ecom(db)
        .args(["--remote", &server.base, "--token", token, "query"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_remote_query_writes_every_format_as_a_local_one_does_and_status_reads_the_server() {
    let db = crate::common::full_warehouse();
    let sql = "SELECT country, count(*) AS lines, sum(quantity * unit_price) AS revenue, \
               min(invoice_ts) AS first_sale FROM raw.order_lines GROUP BY 1 ORDER BY 3 DESC";
    let local = |format: &str| run_ok(ecom(&db).args(["query", "--format", format, sql]));
    let (csv, json, table) = (local("csv"), local("json"), local("table"));
    let querier = token(&db, "remote-formats", "query");
    let server = Server::start(&db, &[]);
    for (format, expected) in [("csv", &csv), ("json", &json), ("table", &table)] {
        let (out, err) = remote_query(&server, &db, &querier, &["--format", format, sql]);
        assert_eq!(&out, expected, "--format {format}");
        assert!(err.is_empty(), "{err}");
    }
    assert!(csv.contains("United Kingdom"), "{csv}");
    // --auto-refresh through the server: every answer is the local one.
    let refresh = [
        "--auto-refresh",
        "1",
        "--times",
        "2",
        "--format",
        "json",
        sql,
    ];
    let (out, err) = remote_query(&server, &db, &querier, &refresh);
    let local_rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    let answers: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(answers.len(), 2, "{out}{err}");
    for answer in &answers {
        assert_eq!(answer["rows"], local_rows);
    }
    // Parquet is written from the rows kept as they arrived.
    let parquet = tempfile::tempdir().unwrap();
    let file = parquet.path().join("countries.parquet");
    remote_query(
        &server,
        &db,
        &querier,
        &["--output", file.to_str().unwrap(), sql],
    );
    // A cut answer is said on stderr, with the rows it holds.
    let (out, err) = remote_query(
        &server,
        &db,
        &querier,
        &[
            "--limit",
            "5",
            "--format",
            "csv",
            "SELECT invoice_no FROM raw.order_lines",
        ],
    );
    assert_eq!(out.lines().count(), 6, "{out}");
    assert!(err.contains("the first 5 rows only"), "{err}");
    // What the query route refuses is refused with the server's sentence (exit 1).
    let refused = ecom(&db)
        .args(["--remote", &server.base, "--token", &querier, "query"])
        .arg("SELECT * FROM read_csv('/etc/passwd')")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("is not allowed here") && stderr.contains("HTTP 403"),
        "{stderr}"
    );
    let bad = ecom(&db)
        .args([
            "--remote",
            &server.base,
            "--token",
            "nope",
            "query",
            "SELECT 1",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("HTTP 401"));
    // `status --remote` lists what the server serves, with the rows.
    let status: serde_json::Value = serde_json::from_str(&run_ok(ecom(&db).args([
        "--remote",
        &server.base,
        "--token",
        &querier,
        "--json",
        "status",
    ])))
    .unwrap();
    assert_eq!(status["admin"], false);
    assert_eq!(status["health"]["status"], "ok");
    let order_lines = status["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["schema"] == "raw" && r["name"] == "order_lines")
        .expect("raw.order_lines is listed");
    assert_eq!(order_lines["rows"], 541_909);
    assert_eq!(server.terminate(), Some(0));
    let from_parquet = run_ok(ecom(&db).args([
        "query",
        "--format",
        "csv",
        &format!(
            "SELECT country, lines, revenue, first_sale FROM read_parquet('{}')",
            file.display()
        ),
    ]));
    assert_eq!(from_parquet, csv, "the Parquet file holds the same rows");
}
