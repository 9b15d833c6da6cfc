//! `ecom kafka topics|browse|produce` against the real Tansu broker (scripts/test.sh;
//! `ECOM_TEST_BROKERS`, missing is a failure), on a topic the Python confluent-kafka
//! client produced from real order lines, with keys, headers and timestamps.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::common::{by_day_dir, ecom, run_code, run_ok};
use crate::stream::{brokers, kafka_python, unique};

pub(crate) const PARTITIONS: usize = 3;

/// One order line as produced: partition, key, headers, timestamp and JSON value.
pub(crate) struct Row {
    pub(crate) partition: usize,
    pub(crate) key: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) millis: i64,
    pub(crate) value: Value,
}

/// The fixture topic: 2011-11-01 then 2011-11-02, produced as two batches.
struct Fixture {
    topic: String,
    rows: Vec<Row>,
    /// Messages per partition.
    sizes: Vec<i64>,
    /// The first millisecond of the second batch (2011-11-02 00:00 UTC).
    second_batch: i64,
}

/// The rows of one day's file, in time order (each partition's timestamps then never go
/// back, as a time seek assumes), all in partition 0 until placed.
pub(crate) fn day_rows(day: &str) -> Vec<Row> {
    let file = format!("{day}.csv");
    let mut reader = csv::Reader::from_path(by_day_dir().join(&file)).unwrap();
    let mut rows: Vec<_> = reader
        .records()
        .enumerate()
        .map(|(i, r)| {
            let r = r.unwrap();
            let time = chrono::NaiveDateTime::parse_from_str(&r[4], "%Y-%m-%d %H:%M:%S").unwrap();
            let customer = r[6].parse::<f64>().ok().map(|c| c as i64);
            let value = json!({
                "invoice_no": &r[0],
                "stock_code": &r[1],
                "description": &r[2],
                "quantity": r[3].parse::<i64>().unwrap(),
                "invoice_date": &r[4],
                "unit_price": r[5].parse::<f64>().unwrap(),
                "customer_id": customer,
                "country": &r[7],
            });
            let headers = vec![
                ("source".to_string(), file.clone()),
                ("line".to_string(), (i + 2).to_string()),
            ];
            Row {
                partition: 0,
                key: customer.map(|c| c.to_string()),
                headers,
                millis: time.and_utc().timestamp_millis(),
                value,
            }
        })
        .collect();
    rows.sort_by_key(|r| r.millis);
    rows
}

/// Produces `batches` with the Python client, flushing after each (the topic gets
/// `PARTITIONS` partitions first).
pub(crate) fn produce_with_python(topic: &str, batches: &[&[Row]]) {
    let script = r#"
import json, sys
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
brokers, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
admin = AdminClient({"bootstrap.servers": brokers})
for f in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
    f.result()
p = Producer({"bootstrap.servers": brokers})
for batch in json.loads(sys.stdin.read()):
    for m in batch:
        p.produce(topic, key=m["key"], value=m["value"], partition=m["partition"],
                  timestamp=m["timestamp"], headers=[tuple(h) for h in m["headers"]])
    assert p.flush(30) == 0
"#;
    let payload: Vec<Vec<Value>> = batches
        .iter()
        .map(|batch| {
            batch
                .iter()
                .map(|r| {
                    json!({"key": r.key, "value": r.value.to_string(), "partition": r.partition,
                           "timestamp": r.millis, "headers": r.headers})
                })
                .collect()
        })
        .collect();
    kafka_python(script, &[topic, &PARTITIONS.to_string()], &payload);
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut rows = Vec::new();
        let mut first_of_second = 0;
        for (n, day) in ["2011-11-01", "2011-11-02"].into_iter().enumerate() {
            if n == 1 {
                first_of_second = rows.len();
            }
            for row in day_rows(day) {
                let partition = rows.len() % PARTITIONS;
                rows.push(Row { partition, ..row });
            }
        }
        let topic = unique("browse");
        let (first, second) = rows.split_at(first_of_second);
        produce_with_python(&topic, &[first, second]);
        let mut sizes = vec![0; PARTITIONS];
        for r in &rows {
            sizes[r.partition] += 1;
        }
        Fixture {
            topic,
            rows,
            sizes,
            second_batch: chrono::DateTime::parse_from_rfc3339("2011-11-02T00:00:00Z")
                .unwrap()
                .timestamp_millis(),
        }
    })
}

/// `ecom kafka browse TOPIC --json` with `extra`, parsed line by line.
fn browse(topic: &str, extra: &[&str]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = ecom(&dir.path().join("unused.duckdb"));
    cmd.args(["kafka", "browse", topic, "--brokers", &brokers(), "--json"])
        .args(extra);
    run_ok(&mut cmd)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn count_where(pred: impl Fn(&Row) -> bool) -> usize {
    fixture().rows.iter().filter(|r| pred(r)).count()
}

#[test]
fn browse_json_gives_every_message_with_its_key_headers_timestamp_and_value() {
    let f = fixture();
    let messages = browse(&f.topic, &[]);
    assert_eq!(messages.len(), f.rows.len());
    // Each partition in offset order, each message the row produced there.
    let mut by_partition: BTreeMap<usize, Vec<&Row>> = BTreeMap::new();
    for r in &f.rows {
        by_partition.entry(r.partition).or_default().push(r);
    }
    let mut seen = 0;
    for m in &messages {
        let p = m["partition"].as_u64().unwrap() as usize;
        let offset = m["offset"].as_u64().unwrap() as usize;
        let row = by_partition[&p][offset];
        assert_eq!(m["topic"], f.topic.as_str());
        assert_eq!(m["value"], row.value, "{m}");
        assert_eq!(m["key"], json!(row.key));
        let headers: BTreeMap<String, String> = row.headers.iter().cloned().collect();
        assert_eq!(m["headers"], json!(headers));
        let stamp = chrono::DateTime::parse_from_rfc3339(m["timestamp"].as_str().unwrap()).unwrap();
        assert_eq!(stamp.timestamp_millis(), row.millis);
        seen += 1;
    }
    assert_eq!(seen, f.rows.len());
    // A line without a customer has no key.
    assert!(messages.iter().any(|m| m["key"].is_null()));
}

#[test]
fn filters_and_limit_count_what_the_source_rows_say() {
    let f = fixture();
    let france = count_where(|r| r.value["country"] == "France");
    assert!(france > 50, "{france} French lines");
    assert_eq!(
        browse(&f.topic, &["--filter", r#".country == "France""#]).len(),
        france
    );
    assert_eq!(
        browse(&f.topic, &["--filter", r#".country != "France""#]).len(),
        f.rows.len() - france
    );
    assert_eq!(
        browse(&f.topic, &["--filter", ".quantity >= 24"]).len(),
        count_where(|r| r.value["quantity"].as_i64().unwrap() >= 24)
    );
    let customer = f.rows[0].key.clone().unwrap();
    let keyed = browse(&f.topic, &["--filter", &format!(r#"key == "{customer}""#)]);
    assert_eq!(
        keyed.len(),
        count_where(|r| r.key.as_deref() == Some(&customer))
    );
    assert!(
        keyed
            .iter()
            .all(|m| m["value"]["customer_id"] == json!(customer.parse::<i64>().unwrap()))
    );
    assert_eq!(
        browse(&f.topic, &["--filter", "HEART"]).len(),
        count_where(|r| r.value.to_string().contains("HEART"))
    );
    // --limit counts the messages that pass the filter.
    let limited = browse(
        &f.topic,
        &["--filter", r#".country == "France""#, "--limit", "7"],
    );
    assert_eq!(limited.len(), 7);
    assert!(limited.iter().all(|m| m["value"]["country"] == "France"));
    assert_eq!(browse(&f.topic, &["--limit", "5"]).len(), 5);
}

#[test]
fn from_offset_reads_the_rest_of_a_partition() {
    let f = fixture();
    let messages = browse(&f.topic, &["--partition", "1", "--from-offset", "100"]);
    assert_eq!(messages.len() as i64, f.sizes[1] - 100);
    assert_eq!(messages[0]["offset"], 100);
    assert!(messages.iter().all(|m| m["partition"] == 1));
    // Past the end: nothing, and no wait.
    assert!(browse(&f.topic, &["--from-offset", "1000000"]).is_empty());
}

#[test]
fn from_time_starts_at_the_second_batch_by_binary_search() {
    let f = fixture();
    let messages = browse(&f.topic, &["--from-time", "2011-11-02T00:00:00Z"]);
    assert_eq!(messages.len(), count_where(|r| r.millis >= f.second_batch));
    assert!(messages.iter().all(|m| {
        m["value"]["invoice_date"]
            .as_str()
            .unwrap()
            .starts_with("2011-11-02")
    }));
    // A time inside the first batch: from the first line stamped at or after it.
    let noon = chrono::DateTime::parse_from_rfc3339("2011-11-01T12:00:00Z")
        .unwrap()
        .timestamp_millis();
    assert_eq!(
        browse(&f.topic, &["--from-time", "2011-11-01T12:00:00Z"]).len(),
        count_where(|r| r.millis >= noon)
    );
}

#[test]
fn readable_output_shows_the_header_line_headers_and_pretty_value() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = ecom(&dir.path().join("unused.duckdb"));
    cmd.args(["kafka", "browse", &f.topic, "--brokers", &brokers()])
        .args(["--partition", "0", "--limit", "1"]);
    let text = run_ok(&mut cmd);
    let row = &f.rows[0];
    let key = row.key.as_deref().unwrap();
    assert!(
        text.starts_with("── partition 0 · offset 0 · 2011-11-01T"),
        "{text}"
    );
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with(&format!("· key {key}")),
        "{text}"
    );
    // Headers in name order, then the value.
    let line = &row.headers[1].1;
    assert!(
        text.contains(&format!("\n  line: {line}\n  source: 2011-11-01.csv\n{{\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  \"country\": \"{}\"",
            row.value["country"].as_str().unwrap()
        )),
        "{text}"
    );
}

#[test]
fn topics_json_shows_end_offsets_and_the_lag_of_two_groups_and_browse_commits_nothing() {
    let f = fixture();
    // One group consumed everything, one the first 100 messages of each partition.
    let script = r#"
import json, sys
from confluent_kafka import Consumer, TopicPartition
brokers, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
counts = json.loads(sys.stdin.read())
c = Consumer({"bootstrap.servers": brokers, "group.id": group, "enable.auto.commit": False})
c.assign([TopicPartition(topic, p, 0) for p in range(len(counts))])
left = {p: n for p, n in enumerate(counts)}
while any(left.values()):
    m = c.poll(1.0)
    if m is None or m.error() or left[m.partition()] == 0:
        continue
    left[m.partition()] -= 1
    if left[m.partition()] == 0:
        c.commit(message=m, asynchronous=False)
c.close()
"#;
    let all = unique("g-all");
    let some = unique("g-some");
    kafka_python(script, &[&f.topic, &all], &f.sizes);
    kafka_python(script, &[&f.topic, &some], &vec![100; PARTITIONS]);
    browse(&f.topic, &["--limit", "10"]);

    let dir = tempfile::tempdir().unwrap();
    let mut cmd = ecom(&dir.path().join("unused.duckdb"));
    cmd.args(["kafka", "topics", "--brokers", &brokers(), "--json"]);
    let topics: Value = serde_json::from_str(&run_ok(&mut cmd)).unwrap();
    let topic = topics
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == f.topic.as_str())
        .unwrap_or_else(|| panic!("{} is missing from {topics}", f.topic));
    let ends: Vec<i64> = topic["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["end"].as_i64().unwrap())
        .collect();
    assert_eq!(ends, f.sizes);
    assert_eq!(topic["messages"], f.rows.len());
    let groups: BTreeMap<String, &Value> = topic["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["group"].as_str().unwrap().to_string(), g))
        .collect();
    // Only the two groups: browsing committed nothing.
    assert_eq!(groups.keys().collect::<Vec<_>>(), [&all, &some]);
    assert_eq!(groups[&all]["lag"], 0);
    let committed: Vec<i64> = groups[&all]["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["committed"].as_i64().unwrap())
        .collect();
    assert_eq!(committed, f.sizes);
    assert_eq!(
        groups[&some]["lag"],
        f.sizes.iter().map(|s| s - 100).sum::<i64>()
    );
    for p in groups[&some]["partitions"].as_array().unwrap() {
        assert_eq!(p["committed"], 100);
        assert_eq!(p["lag"], p["end"].as_i64().unwrap() - 100);
    }

    // The readable form lists the same.
    let mut cmd = ecom(&dir.path().join("unused.duckdb"));
    cmd.args(["kafka", "topics", &f.topic, "--brokers", &brokers()]);
    let text = run_ok(&mut cmd);
    assert!(text.contains(&all) && text.contains(&some), "{text}");
}

/// `ecom kafka produce TOPIC` with `extra`, `input` on standard input.
fn produce_stdin(topic: &str, extra: &[&str], input: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = ecom(&dir.path().join("unused.duckdb"))
        .args(["-q", "kafka", "produce", topic, "--brokers", &brokers()])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    assert!(child.wait_with_output().unwrap().status.success());
}

#[test]
fn produce_then_browse_round_trips_with_keys_from_a_field() {
    let rows = day_rows("2011-11-03");
    let lines: Vec<String> = rows.iter().take(200).map(|r| r.value.to_string()).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lines.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n\n").unwrap();
    let topic = unique("produced");
    let mut cmd = ecom(&dir.path().join("unused.duckdb"));
    cmd.args([
        "--json",
        "kafka",
        "produce",
        &topic,
        "--brokers",
        &brokers(),
    ])
    .args(["--key-field", ".customer_id"])
    .arg(&file);
    let summary: Value = serde_json::from_str(&run_ok(&mut cmd)).unwrap();
    assert_eq!(summary["delivered"], 200);
    assert_eq!(summary["blank_lines"], 1);
    // From standard input too, without keys.
    produce_stdin(&topic, &[], "{\"extra\":1}\nplain text\n");

    let messages = browse(&topic, &[]);
    assert_eq!(messages.len(), 202);
    for (m, row) in messages.iter().zip(&rows[..200]) {
        assert_eq!(m["value"], row.value);
        assert_eq!(m["key"], json!(row.key));
    }
    assert_eq!(messages[200]["value"], json!({"extra": 1}));
    assert_eq!(messages[200]["key"], Value::Null);
    assert_eq!(messages[201]["value"], "plain text");
}

#[test]
fn from_end_follow_sees_a_message_produced_after_it_started() {
    let topic = unique("follow");
    let dir = tempfile::tempdir().unwrap();
    let produce = |line: &str| produce_stdin(&topic, &["--key-field", "id"], line);
    produce("{\"id\":\"before\"}\n");
    let mut child = ecom(&dir.path().join("unused.duckdb"))
        .args(["kafka", "browse", &topic, "--brokers", &brokers(), "--json"])
        .args(["--from-end", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The browser says where it reads from once its partitions are assigned.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    stderr.read_line(&mut said).unwrap();
    assert!(said.starts_with("reading "), "{said}");
    assert!(said.contains("0: 1..1"), "{said}");
    produce("{\"id\":\"after\",\"n\":2}\n");
    let (sender, received) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let line = received.recv_timeout(std::time::Duration::from_secs(60));
    child.kill().unwrap();
    child.wait().unwrap();
    let message: Value = serde_json::from_str(&line.expect("a message within a minute")).unwrap();
    assert_eq!(message["key"], "after");
    assert_eq!(message["offset"], 1);
    assert_eq!(message["value"], json!({"id": "after", "n": 2}));
}

#[test]
fn mistakes_are_reported_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut cmd = ecom(&dir.path().join("unused.duckdb"));
        cmd.arg("kafka").args(args).args(["--brokers", &brokers()]);
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let missing = unique("missing");
    assert!(run(&["browse", &missing]).contains("does not exist"));
    let f = fixture();
    assert!(run(&["browse", &f.topic, "--filter", ".country"]).contains("comparison is missing"));
    assert!(run(&["browse", &f.topic, "--partition", "7"]).contains("has no partition 7"));
    assert!(run(&["browse", &f.topic, "--from-time", "yesterday"]).contains("RFC 3339"));
    // Two starting points are a usage error.
    let mut cmd = ecom(&dir.path().join("unused.duckdb"));
    cmd.args(["kafka", "browse", &f.topic, "--brokers", &brokers()])
        .args(["--from-end", "--from-offset", "3"]);
    run_code(&mut cmd, 2);
}
