//! The topic receiver and evaluation beside `ecom tail`, against the test broker
//! (Tansu, `ECOM_TEST_BROKERS`).

use std::time::Duration;

use rdkafka::Message;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

use super::{Hook, SLOW_DAY, days, december, ls_json, rule, write_alerts};
use crate::common::{by_day_dir, ecom, query_json, run_ok};
use crate::stream::{brokers, simulate, unique};

/// Every message of `topic` (one partition) as JSON, read from the beginning.
fn messages(topic: &str, expected: usize) -> Vec<serde_json::Value> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", unique("alerts-reader"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let started = std::time::Instant::now();
    while out.len() < expected && started.elapsed() < Duration::from_secs(60) {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
            out.push(serde_json::from_slice(message.payload().unwrap()).unwrap());
        }
    }
    out
}

#[test]
fn the_topic_receiver_produces_the_notification() {
    let dir = tempfile::tempdir().unwrap();
    let db = december(dir.path());
    let topic = unique("alerts");
    let file = write_alerts(
        dir.path(),
        &format!(
            "[[receivers]]\nname = \"kafka\"\ntopic = \"{topic}\"\nbrokers = \"{}\"\n\n\
             [[rules]]\nname = \"slow-day\"\nsql = \"{SLOW_DAY}\"\nreceivers = [\"kafka\"]\n",
            brokers()
        ),
    );
    super::check(&db, &file, 3);
    let got = messages(&topic, 1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["rule"], "slow-day");
    assert_eq!(got[0]["receiver"], "kafka");
    assert_eq!(days(&got[0]), ["2010-12-12", "2010-12-15", "2010-12-19"]);
}

#[test]
fn tail_evaluates_beside_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let topic = unique("alerts-tail");
    simulate(&topic, &[by_day_dir().join("2010-12-01.csv")], &[]);
    let hook = Hook::start(|_, _| Some(200));
    let file = write_alerts(
        dir.path(),
        &format!(
            "[settings]\ninterval = \"100ms\"\n\n[[receivers]]\nname = \"ops\"\nwebhook = \"{}\"\n\n\
             [[rules]]\nname = \"events\"\nsql = \"select topic, count(*) as events from stream.events group by topic\"\nreceivers = [\"ops\"]\n\n\
             [[rules]]\nname = \"busy-window\"\nwindow = \"orders\"\nabove = 0\n",
            hook.url("/ops")
        ),
    );
    run_ok(ecom(&db).arg("--alerts").arg(&file).args([
        "tail",
        "--brokers",
        &brokers(),
        "--topic",
        &topic,
        "--group",
        &unique("g"),
        "--until-idle",
        "3s",
        "--window",
        "1h",
    ]));
    let sent = hook.to("/ops");
    assert_eq!(sent.len(), 1, "one instance (the topic), notified once");
    assert_eq!(
        sent[0].json()["instances"][0]["labels"]["topic"],
        topic.as_str()
    );
    assert_eq!(rule(&ls_json(&db, &file), "events")["firing"], 1);

    // The window rule: the countries with orders in the latest closed hour.
    let out = super::alerts(&db, &file, &["--json", "check"]);
    assert_eq!(out.status.code(), Some(3));
    let evaluation: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut countries: Vec<String> = evaluation["rules"][1]["firing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["labels"]["country"].as_str().unwrap().to_string())
        .collect();
    countries.sort();
    let expected: Vec<String> = query_json(
        &db,
        "SELECT country FROM stream.window_totals WHERE orders > 0 AND window_end = \
         (SELECT max(window_end) FROM stream.window_totals) ORDER BY country",
    )
    .iter()
    .map(|r| r["country"].as_str().unwrap().to_string())
    .collect();
    assert!(!expected.is_empty());
    assert_eq!(countries, expected);
}
