//! `ecom simulate` and `ecom tail` against a real Kafka-protocol broker (Tansu, started
//! by scripts/test.sh; `ECOM_TEST_BROKERS`), on the real data.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{by_day_dir, ecom, query_json, run_ok, scalar, venv_bin};

/// The broker the tests use; missing is a failure, never a skip.
pub(crate) fn brokers() -> String {
    std::env::var("ECOM_TEST_BROKERS")
        .expect("ECOM_TEST_BROKERS is not set: scripts/test.sh starts the Tansu broker and sets it")
}

/// A topic (and group) name no other test or run uses.
pub(crate) fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// Ten days of the data set: 2011-11-01 .. 2011-11-10 (the busiest month).
fn ten_days() -> Vec<PathBuf> {
    (1..=10)
        .map(|d| by_day_dir().join(format!("2011-11-{d:02}.csv")))
        .filter(|p| p.is_file())
        .collect()
}

/// November 2011 (about 85,000 lines): long enough to be killed in the middle.
fn november() -> Vec<PathBuf> {
    (1..=30)
        .map(|d| by_day_dir().join(format!("2011-11-{d:02}.csv")))
        .filter(|p| p.is_file())
        .collect()
}

pub(crate) fn simulate(topic: &str, files: &[PathBuf], extra: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = ecom(&dir.path().join("unused.duckdb"));
    cmd.args([
        "--json",
        "simulate",
        "--brokers",
        &brokers(),
        "--topic",
        topic,
        "--from",
    ])
    .args(files)
    .args(extra);
    serde_json::from_str(&run_ok(&mut cmd)).unwrap()
}

pub(crate) fn tail(db: &Path, topic: &str, group: &str, extra: &[&str]) -> serde_json::Value {
    let mut cmd = ecom(db);
    cmd.args([
        "--json",
        "tail",
        "--brokers",
        &brokers(),
        "--topic",
        topic,
        "--group",
        group,
        "--window",
        "1h",
        "--allowed-lateness",
        "5m",
    ])
    .args(extra);
    if !extra.contains(&"--until-idle") {
        cmd.args(["--until-idle", "4s"]);
    }
    serde_json::from_str(&run_ok(&mut cmd)).unwrap()
}

/// The tail's closed windows, partition by partition, against the same figures computed
/// in batch SQL over the same source lines (ingested into the same warehouse): each line
/// goes to the partition its event was read from, late events are left out, and only
/// windows the partition's watermark has passed are compared.
pub(crate) const MISMATCHES_SQL: &str = "
WITH lines AS (
    SELECT regexp_extract(source_file, '[^/]+$') || ':' || source_line AS event_id, *
    FROM raw.order_lines
),
placed AS (
    SELECT l.*, e.\"partition\" FROM lines l JOIN stream.events e USING (event_id) WHERE NOT e.late
),
batch AS (
    SELECT time_bucket(INTERVAL 1 HOUR, invoice_ts) AS window_start, \"partition\", c.country,
           sum(quantity * unit_price) AS revenue,
           count(DISTINCT invoice_no) FILTER (WHERE invoice_no NOT LIKE 'C%') AS orders,
           sum(quantity) AS items,
           count(DISTINCT customer_id) AS customers,
           count(DISTINCT invoice_no) FILTER (WHERE invoice_no LIKE 'C%') AS cancellations
    FROM placed, LATERAL (SELECT unnest([placed.country, '*']) AS country) c
    GROUP BY ALL
),
closed AS (
    SELECT b.* FROM batch b JOIN stream.offsets o USING (\"partition\")
    WHERE b.window_start + INTERVAL 1 HOUR <= o.watermark
),
streamed AS (
    SELECT window_start, \"partition\", country, revenue, orders, items, customers, cancellations
    FROM stream.window_metrics WHERE window_seconds = 3600
)
SELECT count(*) FROM (
    (SELECT * FROM closed EXCEPT SELECT * FROM streamed)
    UNION ALL
    (SELECT * FROM streamed EXCEPT SELECT * FROM closed)
)";

#[test]
fn tailed_windows_equal_batch_sql_over_the_same_lines_with_late_and_duplicate_events() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let files = november();
    let mut ingest = ecom(&db);
    ingest.arg("ingest").args(&files);
    run_ok(&mut ingest);
    let lines = scalar(&db, "SELECT count(*) FROM raw.order_lines")
        .as_u64()
        .unwrap();

    let topic = unique("raw");
    let sent = simulate(
        &topic,
        &files,
        &[
            "--late-fraction",
            "0.01",
            "--late-by",
            "20m",
            "--duplicate-fraction",
            "0.02",
            "--jitter",
            "30s",
        ],
    );
    let duplicates = sent["duplicates"].as_u64().unwrap();
    assert_eq!(sent["sent"].as_u64().unwrap(), lines + duplicates, "{sent}");
    assert_eq!(sent["delivered"], sent["sent"]);
    assert!(sent["late"].as_u64().unwrap() > 100, "{sent}");

    let status = tail(&db, &topic, &unique("g"), &[]);
    assert_eq!(
        status["messages"].as_u64().unwrap(),
        lines + duplicates,
        "{status}"
    );
    assert_eq!(status["duplicates"].as_u64().unwrap(), duplicates);
    assert_eq!(status["dead_letters"], 0);
    let late = status["late_events"].as_u64().unwrap();
    assert!(
        late > 0,
        "20 minutes late with 5 minutes of lateness: some miss their window"
    );

    assert_eq!(
        scalar(&db, "SELECT count(*) FROM stream.events")
            .as_u64()
            .unwrap(),
        lines
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM stream.late_events")
            .as_u64()
            .unwrap(),
        late
    );
    assert_eq!(
        scalar(&db, MISMATCHES_SQL),
        0,
        "windows differ from batch SQL"
    );
    let closed = scalar(
        &db,
        "SELECT count(*) FROM stream.window_metrics WHERE country = '*'",
    );
    assert!(closed.as_u64().unwrap() > 3 * 80, "{closed} closed windows");
    // Enriched from the marts when they exist; here they do not: the view's enrichment
    // columns are empty, and it has every event.
    let enriched = &query_json(
        &db,
        "SELECT count(*) AS n, count(product_description) AS described FROM stream.events_enriched",
    )[0];
    assert_eq!(
        enriched["n"],
        scalar(&db, "SELECT count(*) FROM stream.events")
    );
    assert_eq!(enriched["described"], 0);

    // Metrics went to the metrics topic too; every closed window is marked published.
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM stream.window_metrics WHERE NOT published"
        ),
        0
    );
}

/// The body of a plain HTTP GET.
fn http_get(addr: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
}

/// Produces raw payloads with the Python client (the broker's own view of bytes), each
/// with its Kafka timestamp (CreateTime, milliseconds).
fn produce_raw(topic: &str, payloads: &[(String, i64)]) {
    let script = r#"
import json, sys
from confluent_kafka import Producer
brokers, topic, payloads = sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())
p = Producer({"bootstrap.servers": brokers})
for i, (payload, timestamp) in enumerate(payloads):
    p.produce(topic, key=f"k{i}", value=payload.encode("utf-8", "surrogateescape"), partition=0, timestamp=timestamp)
p.flush(30)
"#;
    kafka_python(script, &[topic], &payloads);
}

/// Runs a Python script of the test virtualenv (the confluent-kafka client) with the
/// brokers and `args` as its arguments and `input` (JSON) on stdin.
pub(crate) fn kafka_python(script: &str, args: &[&str], input: &impl serde::Serialize) {
    use std::io::Write;
    let mut child = Command::new(venv_bin("python"))
        .args(["-c", script, &brokers()])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(input).unwrap().as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "the Python client failed");
}

#[test]
fn malformed_messages_land_in_dead_letters_with_their_offsets_and_the_stream_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let topic = unique("dlq");
    let good = r#"{"schema_version":1,"event_id":"a.csv:2","event_type":"purchase","event_time":"2011-11-01T08:00:00Z","invoice_no":"570000","stock_code":"85123A","quantity":6,"unit_price":2.55,"customer_id":17850,"country":"United Kingdom"}"#;
    let at = |time: &str| {
        chrono::DateTime::parse_from_rfc3339(&format!("2011-11-01T{time}Z"))
            .unwrap()
            .timestamp_millis()
    };
    let mut payloads: Vec<(String, i64)> = [
        good.to_string(),
        "not json at all".into(),
        r#"{"schema_version":7}"#.into(),
        r#"{"schema_version":1,"event_id":"x"}"#.into(),
        good.replace("\"quantity\":6", "\"quantity\":0")
            .replace("a.csv:2", "a.csv:3"),
        good.replace("570000", "C570001")
            .replace("a.csv:2", "a.csv:4"),
    ]
    .into_iter()
    .map(|p| (p, at("08:00:00")))
    .collect();
    // Well-formed but hostile: 150 purchases at the bounds (quantity 10,000,000 at
    // £1,000,000) in one hour, whose revenue passes DECIMAL(18,3) and 2^63 ...
    for i in 0..150 {
        let poison = good
            .replace("a.csv:2", &format!("poison:{i}"))
            .replace("\"quantity\":6", "\"quantity\":10000000")
            .replace("\"unit_price\":2.55", "\"unit_price\":1000000")
            .replace("United Kingdom", "Hostile")
            .replace("08:00:00Z", "08:10:00Z");
        payloads.push((poison, at("08:10:00")));
    }
    // ... one dated 2099 and one dated 1991 by messages written in 2011 ...
    payloads.push((
        good.replace("a.csv:2", "future")
            .replace("2011-11-01T08:00:00Z", "2099-01-01T00:00:00Z"),
        at("08:20:00"),
    ));
    payloads.push((
        good.replace("a.csv:2", "past")
            .replace("2011-11-01T08:00:00Z", "1991-01-01T00:00:00Z"),
        at("08:20:00"),
    ));
    // ... one whose text holds a NUL and a 100 KB stock code, which the warehouse
    // stores as it is ...
    payloads.push((
        good.replace("a.csv:2", "odd\\u0000text")
            .replace("85123A", &"X".repeat(100_000))
            .replace("United Kingdom", "Odd")
            .replace("08:00:00Z", "08:20:00Z"),
        at("08:20:00"),
    ));
    // ... and a real event that closes the 08:00 window.
    payloads.push((
        good.replace("a.csv:2", "a.csv:5")
            .replace("08:00:00Z", "09:30:00Z"),
        at("09:30:00"),
    ));
    produce_raw(&topic, &payloads);
    let port = 19_700 + (std::process::id() % 200) as u16;
    let addr = format!("127.0.0.1:{port}");
    let child = ecom(&db)
        .args([
            "-q",
            "--json",
            "tail",
            "--brokers",
            &brokers(),
            "--topic",
            &topic,
        ])
        .args([
            "--group",
            &unique("g"),
            "--dlq-topic",
            &format!("{topic}-dlq"),
        ])
        .args(["--until-idle", "6s", "--metrics-addr", &addr])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The live figures in the Prometheus text format, while the tail runs.
    let mut scraped = String::new();
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(200));
        scraped = http_get(&addr, "/metrics").unwrap_or_default();
        // Lag comes with librdkafka's statistics, once a second.
        if scraped.contains("ecom_tail_dead_letters_total 7\n")
            && scraped.contains("ecom_tail_lag{partition=\"0\"} 0\n")
        {
            break;
        }
    }
    assert!(
        scraped.contains("ecom_tail_dead_letters_total 7\n"),
        "{scraped}"
    );
    assert!(
        scraped.contains("ecom_tail_lag{partition=\"0\"} 0\n"),
        "{scraped}"
    );
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["dead_letters"], 7, "{status}");
    assert_eq!(status["events"], 153);
    let dead = query_json(
        &db,
        "SELECT \"offset\", \"key\", reason FROM stream.dead_letters ORDER BY \"offset\"",
    );
    let offsets: Vec<i64> = dead.iter().map(|r| r["offset"].as_i64().unwrap()).collect();
    assert_eq!(offsets, [1, 2, 3, 4, 5, 156, 157]);
    assert_eq!(
        scalar(&db, "SELECT max(length(stock_code)) FROM stream.events"),
        100_000
    );
    let reasons: Vec<&str> = dead.iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert!(reasons[0].starts_with("not JSON"), "{reasons:?}");
    assert!(reasons[1].contains("schema_version 7"), "{reasons:?}");
    assert!(reasons[2].starts_with("wrong schema"), "{reasons:?}");
    assert!(reasons[3].contains("quantity 0"), "{reasons:?}");
    assert!(
        reasons[4].contains("only they, start with C"),
        "{reasons:?}"
    );
    assert!(reasons[5].contains("--max-future-skew"), "{reasons:?}");
    assert!(reasons[6].contains("--max-past-skew"), "{reasons:?}");
    assert_eq!(dead[0]["key"], "k1");
    // The 08:00, 08:10 and 08:20 minutes closed when the 09:30 event moved the
    // watermark to 09:25; the 09:30 minute stays open: stopping a tail is not the end
    // of the stream.
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM stream.window_metrics WHERE country = '*'"
        ),
        3
    );
    // Sums past 2^63 are exact, and the real country's window is its own line alone.
    let revenue = |country: &str| {
        scalar(
            &db,
            &format!(
                "SELECT sum(revenue)::VARCHAR FROM stream.window_metrics WHERE country = '{country}'"
            ),
        )
    };
    assert_eq!(revenue("Hostile"), "1500000000000000.000");
    assert_eq!(revenue("United Kingdom"), "15.300");
    assert_eq!(revenue("Odd"), "15.300");
    assert_eq!(revenue("*"), "1500000000000030.600");
}

#[test]
fn a_quiet_partition_closes_its_open_windows_after_the_idle_timeout() {
    let topic = unique("idle");
    let event = |id: &str, time: &str| {
        let json = format!(
            r#"{{"schema_version":1,"event_id":"{id}","event_type":"purchase","event_time":"2011-11-01T{time}Z","invoice_no":"570000","stock_code":"85123A","quantity":6,"unit_price":2.55,"customer_id":17850,"country":"United Kingdom"}}"#
        );
        let at = chrono::DateTime::parse_from_rfc3339(&format!("2011-11-01T{time}Z"))
            .unwrap()
            .timestamp_millis();
        (json, at)
    };
    produce_raw(&topic, &[event("a", "08:00:00"), event("b", "08:30:00")]);
    let windows = |idle: &str| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("w.duckdb");
        tail(
            &db,
            &topic,
            &unique("g"),
            &["--idle-timeout", idle, "--until-idle", "5s"],
        );
        query_json(
            &db,
            "SELECT window_start::VARCHAR AS start, revenue::VARCHAR AS revenue FROM stream.window_metrics WHERE country = '*'",
        )
    };
    // The 08:00 window stays open while the watermark (08:25) has not passed 09:00 ...
    assert!(windows("off").is_empty());
    // ... and closes by processing time once the partition has been quiet for 1 s.
    let closed = windows("1s");
    assert_eq!(closed.len(), 1, "{closed:?}");
    assert_eq!(closed[0]["start"], "2011-11-01 08:00:00");
    assert_eq!(closed[0]["revenue"], "30.600");
}

/// The tables that must not depend on interruptions.
const FINGERPRINT_SQL: &str = "
SELECT (SELECT md5(string_agg(event_id || '@' || \"partition\" || ':' || \"offset\" || late, ',' ORDER BY \"partition\", \"offset\")) FROM stream.events) AS events,
       (SELECT md5(string_agg(window_start || country || revenue || orders || items || customers || cancellations, ',' ORDER BY window_start, country, window_seconds, hop_seconds)) FROM stream.window_totals) AS windows,
       (SELECT count(*) FROM stream.window_metrics) AS window_rows,
       (SELECT md5(string_agg(event_id, ',' ORDER BY event_id)) FROM stream.late_events) AS late";

/// The number after `name ` in a Prometheus text, when it is there.
fn counter(metrics: &str, name: &str) -> Option<u64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .and_then(|value| value.trim().parse().ok())
}

#[test]
fn kill_9_and_restart_give_the_tables_of_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("kill");
    let flags = [
        "--late-fraction",
        "0.01",
        "--late-by",
        "20m",
        "--duplicate-fraction",
        "0.02",
    ];
    // The producer is held back: each round gets a new slice of November, so every
    // round has work, and the last slice arrives only after the kills.
    let files = november();
    let slices: Vec<&[PathBuf]> = files.chunks(files.len().div_ceil(5)).collect();
    let killed = dir.path().join("killed.duckdb");
    let group = unique("killed");
    // A short session lets the group evict each killed member quickly (Tansu joins in
    // about a second with it), so every round gets partitions.
    let quick = [
        "--consumer-config",
        "session.timeout.ms=2000",
        "heartbeat.interval.ms=500",
    ];
    let mut produced = 0;
    for (round, slice) in slices[..slices.len() - 1].iter().enumerate() {
        produced += simulate(&topic, slice, &flags)["sent"].as_u64().unwrap();
        let addr = format!(
            "127.0.0.1:{}",
            20_000 + (std::process::id() % 500) as u16 * 4 + round as u16
        );
        let mut child = ecom(&killed)
            .args(["-q", "tail", "--brokers", &brokers(), "--topic", &topic])
            .args([
                "--group",
                &group,
                "--window",
                "1h",
                "--allowed-lateness",
                "5m",
            ])
            .args(["--batch-messages", "2000", "--metrics-addr", &addr])
            .args(quick)
            .spawn()
            .unwrap();
        // Killed once this process has committed a batch: by construction mid-stream,
        // whatever the tail's speed.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let metrics = http_get(&addr, "/metrics").unwrap_or_default();
            if counter(&metrics, "ecom_tail_batches_committed_total").is_some_and(|n| n >= 1) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: no batch committed in 60 s:\n{metrics}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let partial = scalar(&killed, "SELECT count(*) FROM stream.events")
        .as_u64()
        .unwrap();
    assert!(
        partial > 0 && partial <= produced,
        "killed in the middle: {partial} events of {produced} produced"
    );
    simulate(&topic, slices[slices.len() - 1], &flags);
    let calm = dir.path().join("calm.duckdb");
    tail(&calm, &topic, &unique("calm"), &[]);
    // Idle only after the last killed member's session has expired and its partitions
    // came back.
    let mut last = quick.to_vec();
    last.extend(["--until-idle", "6s"]);
    tail(&killed, &topic, &group, &last);
    let a = query_json(&calm, FINGERPRINT_SQL);
    let b = query_json(&killed, FINGERPRINT_SQL);
    assert_eq!(a, b);
    assert!(
        scalar(&killed, "SELECT count(*) FROM stream.events")
            .as_u64()
            .unwrap()
            > produced
    );
}

/// Windows of several members' warehouses, deduped by (window, country, partition) and
/// summed: the reading ARCHITECTURE.md describes.
fn merged_windows(dbs: &[&Path], into: &Path) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let attach: String = dbs
        .iter()
        .enumerate()
        .map(|(i, db)| format!("ATTACH '{}' AS m{i} (READ_ONLY);", db.display()))
        .collect();
    let union = (0..dbs.len())
        .map(|i| format!("FROM m{i}.stream.window_metrics"))
        .collect::<Vec<_>>()
        .join(" UNION ALL BY NAME ");
    query_json(
        into,
        &format!(
            "{attach}
             SELECT window_start::VARCHAR AS w, country, sum(revenue)::VARCHAR AS revenue, sum(orders) AS orders,
                    sum(items) AS items, sum(customers) AS customers, sum(cancellations) AS cancellations
             FROM (SELECT DISTINCT ON (window_start, window_end, window_seconds, hop_seconds, country, topic, \"partition\") *
                   FROM ({union}))
             GROUP BY ALL ORDER BY ALL"
        ),
    )
}

/// A member of `group` tailing `topic` until 8 s idle, with a short session so the
/// group notices a dead member quickly; `metrics` serves its live figures.
fn spawn_member(db: &Path, topic: &str, group: &str, metrics: Option<&str>) -> std::process::Child {
    let mut cmd = ecom(db);
    cmd.args([
        "-q",
        "tail",
        "--brokers",
        &brokers(),
        "--topic",
        topic,
        "--group",
        group,
    ])
    .args([
        "--window",
        "1h",
        "--allowed-lateness",
        "5m",
        "--until-idle",
        "8s",
    ])
    .args([
        "--consumer-config",
        "session.timeout.ms=2000",
        "heartbeat.interval.ms=500",
    ])
    .stdout(std::process::Stdio::null());
    if let Some(addr) = metrics {
        cmd.args(["--metrics-addr", addr]);
    }
    cmd.spawn().unwrap()
}

/// November's first day (which creates the topic) and the rest of the month.
fn november_in_two() -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut days = november();
    let rest = days.split_off(1);
    (days, rest)
}

#[test]
fn two_members_of_a_group_split_the_partitions_and_their_windows_sum_to_one_consumers() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("split");
    let disorder = ["--duplicate-fraction", "0.01", "--late-fraction", "0.01"];
    let (first, rest) = november_in_two();
    simulate(&topic, &first, &disorder);
    let group = unique("pair");
    let members: Vec<PathBuf> = (0..2)
        .map(|i| dir.path().join(format!("member-{i}.duckdb")))
        .collect();
    let children: Vec<_> = members
        .iter()
        .map(|db| spawn_member(db, &topic, &group, None))
        .collect();
    // Both joined and were given their partitions before the bulk of the month arrives.
    std::thread::sleep(std::time::Duration::from_millis(4_000));
    simulate(&topic, &rest, &["--seed", "7"]);
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    for db in &members {
        let events = scalar(db, "SELECT count(*) FROM stream.events")
            .as_u64()
            .unwrap();
        assert!(
            events > 10_000,
            "{} read {events} events: the partitions were not split",
            db.display()
        );
    }
    let single = dir.path().join("single.duckdb");
    tail(&single, &topic, &unique("single"), &[]);
    let reader = dir.path().join("reader.duckdb");
    let merged = merged_windows(&[&members[0], &members[1]], &reader);
    let alone = merged_windows(&[&single], &reader);
    assert!(alone.len() > 300, "{} windows", alone.len());
    assert_eq!(merged, alone);
}

#[test]
fn funnel_events_give_views_carts_and_conversion_per_window() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let topic = unique("funnel");
    let day = [by_day_dir().join("2011-11-03.csv")];
    let sent = simulate(&topic, &day, &["--funnel"]);
    let funnel = sent["funnel_events"].as_u64().unwrap();
    assert!(funnel > 2 * 2_000, "a view and a cart per purchase: {sent}");
    let status = tail(&db, &topic, &unique("g"), &[]);
    assert_eq!(status["dead_letters"], 0, "{status}");
    let totals = query_json(
        &db,
        "SELECT sum(views) AS views, sum(carts) AS carts, sum(purchases) AS purchases,
                count(*) FILTER (WHERE conversion IS NOT NULL) AS with_conversion
         FROM stream.window_metrics WHERE country = '*'",
    );
    let t = &totals[0];
    let (views, carts, purchases) = (
        t["views"].as_u64().unwrap(),
        t["carts"].as_u64().unwrap(),
        t["purchases"].as_u64().unwrap(),
    );
    // Every purchase has a view and a cart before it; a third also browse elsewhere.
    assert!(views > purchases && carts > 0 && purchases > 0, "{t:?}");
    assert!(t["with_conversion"].as_u64().unwrap() > 0);
    let conversion = scalar(
        &db,
        "SELECT round(sum(purchases) / sum(views), 2) FROM stream.window_metrics WHERE country = '*'",
    );
    let c = conversion.as_f64().unwrap();
    assert!((0.5..1.0).contains(&c), "purchases per view {c}");
}

/// A second Tansu broker, on its own port, storing in S3 (moto): it keeps topics and
/// messages across a restart.
struct S3Broker {
    port: u16,
    bucket: String,
    child: std::process::Child,
}

impl S3Broker {
    fn start(port: u16, bucket: &str) -> Self {
        let bin = std::env::var("TANSU_BIN")
            .expect("TANSU_BIN is not set: scripts/test.sh finds the Tansu binary");
        let endpoint = std::env::var("ECOM_TEST_S3_ENDPOINT")
            .expect("ECOM_TEST_S3_ENDPOINT is not set: scripts/test.sh starts the moto S3 server");
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(bin)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", &format!("s3://{bucket}/")])
            .env("AWS_ENDPOINT", &endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ALLOW_HTTP", "true")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Self {
            port,
            bucket: bucket.to_string(),
            child,
        }
    }

    fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for S3Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

fn create_bucket(bucket: &str) {
    let endpoint = std::env::var("ECOM_TEST_S3_ENDPOINT").expect("ECOM_TEST_S3_ENDPOINT");
    let script = "import boto3, sys; boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id='testing', aws_secret_access_key='testing', region_name='us-east-1').create_bucket(Bucket=sys.argv[2])";
    let status = Command::new(venv_bin("python"))
        .args(["-c", script, &endpoint, bucket])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_broker_restart_in_the_middle_of_a_tail_is_reported_and_recovered_from() {
    let dir = tempfile::tempdir().unwrap();
    let bucket = unique("tansu").to_lowercase();
    create_bucket(&bucket);
    let port = 19_100 + (std::process::id() % 500) as u16;
    let mut broker = S3Broker::start(port, &bucket);
    let topic = unique("outage");
    let files = ten_days();
    let mut cmd = ecom(&dir.path().join("unused.duckdb"));
    cmd.args([
        "-q",
        "simulate",
        "--brokers",
        &broker.brokers(),
        "--topic",
        &topic,
        "--from",
    ])
    .args(&files[..5]);
    run_ok(&mut cmd);

    let db = dir.path().join("w.duckdb");
    let group = unique("g");
    let quick = [
        "--consumer-config",
        "session.timeout.ms=2000",
        "heartbeat.interval.ms=500",
    ];
    let child = ecom(&db)
        .args([
            "-q",
            "--json",
            "tail",
            "--brokers",
            &broker.brokers(),
            "--topic",
            &topic,
            "--group",
            &group,
        ])
        .args(["--window", "1h", "--until-idle", "12s"])
        .args(quick)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(4_000));
    broker.stop();
    std::thread::sleep(std::time::Duration::from_millis(3_000));
    let restarted = S3Broker::start(port, &broker.bucket);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        status["broker_errors"].as_u64().unwrap() > 0,
        "the outage was reported: {status}"
    );

    let calm = dir.path().join("calm.duckdb");
    let mut calm_tail = ecom(&calm);
    calm_tail
        .args([
            "-q",
            "tail",
            "--brokers",
            &restarted.brokers(),
            "--topic",
            &topic,
            "--group",
            &unique("calm"),
        ])
        .args(["--window", "1h", "--until-idle", "5s"]);
    run_ok(&mut calm_tail);
    let lines = scalar(&calm, "SELECT count(*) FROM stream.events")
        .as_u64()
        .unwrap();
    assert!(lines > 10_000, "{lines}");
    assert_eq!(
        query_json(&db, FINGERPRINT_SQL),
        query_json(&calm, FINGERPRINT_SQL)
    );
}

#[test]
fn an_event_file_replays_into_kafka_and_events_are_enriched_from_the_marts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let day = by_day_dir().join("2011-11-03.csv");
    run_ok(ecom(&db).arg("ingest").arg(&day));
    run_ok(ecom(&db).args(["-q", "models", "build"]));

    let file = dir.path().join("events.jsonl");
    let mut to_file = ecom(&db);
    to_file
        .args(["--json", "simulate", "--to-file"])
        .arg(&file)
        .arg("--from")
        .arg(&day);
    let written: serde_json::Value = serde_json::from_str(&run_ok(&mut to_file)).unwrap();
    let lines = std::fs::read_to_string(&file).unwrap().lines().count() as u64;
    assert_eq!(written["sent"].as_u64().unwrap(), lines);
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM raw.order_lines")
            .as_u64()
            .unwrap(),
        lines
    );

    let topic = unique("file");
    let replayed = simulate(&topic, &[file], &[]);
    assert_eq!(replayed["delivered"].as_u64().unwrap(), lines);
    tail(&db, &topic, &unique("g"), &[]);
    // Every field of the enriched view filled exactly where the marts know the answer.
    let e = &query_json(
        &db,
        "SELECT count(*) AS events,
                count(e.product_description) AS described, count(p.description) AS describable,
                count(e.customer_first_purchase) AS first_purchase, count(c.first_purchase_ts) AS known_customers,
                count(e.country_region) AS region
         FROM stream.events_enriched e
         LEFT JOIN marts.dim_product p USING (stock_code)
         LEFT JOIN marts.dim_customer c ON c.customer_id::BIGINT = e.customer_id",
    )[0];
    assert_eq!(e["events"].as_u64().unwrap(), lines);
    assert_eq!(e["described"], e["describable"], "{e:?}");
    assert_eq!(e["first_purchase"], e["known_customers"], "{e:?}");
    assert_eq!(e["region"], e["events"], "{e:?}");
    assert!(e["described"].as_u64().unwrap() > lines - 10, "{e:?}");
}

#[test]
fn a_member_killed_mid_run_has_its_partitions_taken_over_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("takeover");
    let (first, rest) = november_in_two();
    simulate(&topic, &first, &["--duplicate-fraction", "0.01"]);
    let group = unique("pair");
    let members: Vec<PathBuf> = (0..2)
        .map(|i| dir.path().join(format!("member-{i}.duckdb")))
        .collect();
    let addr = format!("127.0.0.1:{}", 19_900 + (std::process::id() % 90) as u16);
    let mut survivor = spawn_member(&members[0], &topic, &group, None);
    let mut victim = spawn_member(&members[1], &topic, &group, Some(&addr));
    std::thread::sleep(std::time::Duration::from_millis(4_000));
    let mut producer = ecom(&dir.path().join("unused.duckdb"))
        .args([
            "-q",
            "simulate",
            "--brokers",
            &brokers(),
            "--topic",
            &topic,
            "--seed",
            "7",
            "--from",
        ])
        .args(&rest)
        .spawn()
        .unwrap();
    // Kill the victim once it is into the bulk of the month, without a word.
    let mut seen = 0;
    for _ in 0..400 {
        let text = http_get(&addr, "/metrics").unwrap_or_default();
        seen = text
            .lines()
            .find_map(|l| l.strip_prefix("ecom_tail_events_total "))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(seen);
        if seen > 3_000 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    victim.kill().unwrap();
    victim.wait().unwrap();
    assert!(
        seen > 3_000,
        "the victim had partitions and was at work: {seen} events"
    );
    assert!(producer.wait().unwrap().success());
    assert!(survivor.wait().unwrap().success());

    let single = dir.path().join("single.duckdb");
    tail(&single, &topic, &unique("single"), &[]);
    let reader = dir.path().join("reader.duckdb");
    assert_eq!(
        merged_windows(&[&members[0], &members[1]], &reader),
        merged_windows(&[&single], &reader)
    );
}
