//! `ecom alerts`: rules over the real data notify real receivers on loopback (HTTP
//! servers written here, a shell command, the log), once per change, across restarts.

mod hook;
mod kafka;
mod scheduled;
mod shorthands;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::{by_day_dir, ecom, query_json};
use hook::Hook;

/// A warehouse of the first days of December 2010 (real data), in `dir`.
fn december(dir: &Path) -> PathBuf {
    let db = dir.join("w.duckdb");
    let files: Vec<PathBuf> = (1..=19)
        .map(|d| by_day_dir().join(format!("2010-12-{d:02}.csv")))
        .filter(|p| p.is_file())
        .collect();
    crate::common::run_ok(ecom(&db).arg("ingest").args(&files));
    db
}

const SLOW_DAY: &str = "select cast(invoice_ts as date) as day, sum(quantity * unit_price) as revenue \
                        from raw.order_lines group by 1 having revenue < 30000";

fn write_alerts(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("alerts.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn alerts(db: &Path, file: &Path, args: &[&str]) -> Output {
    ecom(db)
        .arg("--alerts")
        .arg(file)
        .arg("alerts")
        .args(args)
        .output()
        .unwrap()
}

/// `ecom alerts check`, asserting its exit code; returns stdout and stderr.
fn check(db: &Path, file: &Path, code: i32) -> (String, String) {
    let out = alerts(db, file, &["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

fn ls_json(db: &Path, file: &Path) -> serde_json::Value {
    let out = alerts(db, file, &["--json", "ls"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn rule<'a>(ls: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    ls["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap()
}

fn days(notification: &serde_json::Value) -> Vec<String> {
    let mut days: Vec<String> = notification["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["labels"]["day"].as_str().unwrap().to_string())
        .collect();
    days.sort();
    days
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The slow-day rule with one webhook receiver, `ops`, at `url`.
fn slow_day_to(url: &str) -> String {
    format!(
        "[[receivers]]\nname = \"ops\"\nwebhook = \"{url}\"\n\n[[rules]]\nname = \"slow-day\"\nsql = \"{SLOW_DAY}\"\nreceivers = [\"ops\"]\n"
    )
}

#[test]
fn slow_days_fire_exactly_as_batch_sql_says_and_a_second_check_notifies_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let db = december(dir.path());
    let hook = Hook::start(|_, _| Some(200));
    let file = write_alerts(dir.path(), &slow_day_to(&hook.url("/hook")));
    let expected: Vec<String> = query_json(
        &db,
        "SELECT cast(invoice_ts AS DATE)::VARCHAR AS day FROM raw.order_lines GROUP BY 1 \
         HAVING sum(quantity * unit_price) < 30000 ORDER BY 1",
    )
    .iter()
    .map(|r| r["day"].as_str().unwrap().to_string())
    .collect();
    assert_eq!(expected, ["2010-12-12", "2010-12-15", "2010-12-19"]);

    check(&db, &file, 3);
    let sent = hook.to("/hook");
    assert_eq!(sent.len(), 1, "one notification for all the slow days");
    let body = sent[0].json();
    assert_eq!(body["rule"], "slow-day");
    assert_eq!(body["status"], "firing");
    assert_eq!(body["severity"], "warning");
    assert_eq!(body["test"], false);
    assert_eq!(days(&body), expected);
    assert_eq!(
        sent[0].header("x-ecom-notification-id"),
        body["id"].as_str()
    );
    let revenue = query_json(
        &db,
        "SELECT sum(quantity * unit_price)::VARCHAR AS r FROM raw.order_lines \
         WHERE cast(invoice_ts AS DATE) = DATE '2010-12-19'",
    )[0]["r"]
        .clone();
    let dec19 = body["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["labels"]["day"] == "2010-12-19")
        .unwrap();
    assert_eq!(dec19["labels"]["revenue"], revenue);

    check(&db, &file, 3);
    assert_eq!(hook.count(), 1, "nothing new fired: nobody is notified");
    let ls = ls_json(&db, &file);
    assert_eq!(rule(&ls, "slow-day")["firing"], 3);
    assert_eq!(rule(&ls, "slow-day")["undelivered"], 0);
}

#[test]
fn a_kill_during_delivery_sends_no_new_notification_only_the_same_id_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = december(dir.path());
    let release = Arc::new(AtomicUsize::new(0));
    let answer = Arc::clone(&release);
    // `/slow` holds its first request (the process is killed meanwhile), then answers.
    let hook = Hook::start(move |path, nth| match (path, nth) {
        ("/slow", 0) if answer.load(Ordering::SeqCst) == 0 => None,
        _ => Some(200),
    });
    let file = write_alerts(
        dir.path(),
        &format!(
            "[[receivers]]\nname = \"fast\"\nwebhook = \"{}\"\n\n[[receivers]]\nname = \"slow\"\nwebhook = \"{}\"\ntimeout = \"10min\"\n\n\
             [[rules]]\nname = \"a-slow-day\"\nsql = \"{SLOW_DAY}\"\nreceivers = [\"fast\"]\n\n\
             [[rules]]\nname = \"b-many-lines\"\nsql = \"select count(*) as n from raw.order_lines having n > 1000\"\nreceivers = [\"slow\"]\n",
            hook.url("/fast"),
            hook.url("/slow")
        ),
    );
    let mut child = ecom(&db)
        .arg("--alerts")
        .arg(&file)
        .args(["alerts", "check"])
        .spawn()
        .unwrap();
    wait_for("the slow receiver's request", || {
        !hook.to("/slow").is_empty()
    });
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    release.store(1, Ordering::SeqCst);

    check(&db, &file, 3);
    check(&db, &file, 3);
    let fast = hook.to("/fast");
    assert_eq!(
        fast.len(),
        1,
        "the first rule's notification was marked delivered before the kill"
    );
    let slow = hook.to("/slow");
    assert_eq!(slow.len(), 2, "sent once before the kill, once after");
    let ids: Vec<_> = slow.iter().map(|r| r.json()["id"].clone()).collect();
    assert_eq!(
        ids[0], ids[1],
        "the repeat carries the same id, for the receiver to drop"
    );
    assert_eq!(
        slow[0].header("x-ecom-notification-id"),
        slow[1].header("x-ecom-notification-id")
    );
    assert_eq!(
        slow[1].json()["instances"][0]["labels"]["n"],
        scalar_text(&db, "SELECT count(*)::VARCHAR FROM raw.order_lines")
    );
}

fn scalar_text(db: &Path, sql: &str) -> serde_json::Value {
    crate::common::scalar(db, sql)
}

#[test]
fn a_failing_receiver_is_retried_and_one_that_never_answers_is_visible() {
    let dir = tempfile::tempdir().unwrap();
    let db = december(dir.path());
    let hook = Hook::start(|path, nth| match path {
        "/flaky" if nth < 2 => Some(500),
        "/down" => Some(500),
        _ => Some(200),
    });
    let file = write_alerts(
        dir.path(),
        &format!(
            "[[receivers]]\nname = \"flaky\"\nwebhook = \"{}\"\nbackoff = \"10ms\"\n\n\
             [[receivers]]\nname = \"down\"\nwebhook = \"{}\"\nretries = 1\nbackoff = \"10ms\"\n\n\
             [[rules]]\nname = \"slow-day\"\nsql = \"{SLOW_DAY}\"\nreceivers = [\"flaky\"]\n\n\
             [[rules]]\nname = \"lines\"\nmetric = \"select count(*) from raw.order_lines\"\nabove = 10\nreceivers = [\"down\"]\n",
            hook.url("/flaky"),
            hook.url("/down")
        ),
    );
    let out = alerts(&db, &file, &["--json", "check"]);
    assert_eq!(out.status.code(), Some(3));
    let evaluation: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let flaky = hook.to("/flaky");
    assert_eq!(flaky.len(), 3, "500, 500, then 200");
    assert!(
        flaky
            .iter()
            .all(|r| r.json()["id"] == flaky[0].json()["id"])
    );
    let delivery = |receiver: &str| {
        evaluation["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["receiver"] == receiver)
            .unwrap()
            .clone()
    };
    assert_eq!(delivery("flaky")["attempts"], 3);
    assert_eq!(delivery("flaky")["delivered"], true);
    assert_eq!(delivery("down")["attempts"], 2);
    assert_eq!(delivery("down")["delivered"], false);
    assert!(
        stderr.contains("not delivered after 2 attempts"),
        "{stderr}"
    );
    assert!(stderr.contains("HTTP 500"), "{stderr}");

    let ls = ls_json(&db, &file);
    assert_eq!(rule(&ls, "lines")["undelivered"], 1);
    assert!(
        rule(&ls, "lines")["last_failure"]
            .as_str()
            .unwrap()
            .starts_with("down: HTTP 500")
    );
    assert_eq!(rule(&ls, "slow-day")["undelivered"], 0);
    let table = String::from_utf8_lossy(&alerts(&db, &file, &["ls"]).stdout).to_string();
    assert!(table.contains("1 undelivered; down: HTTP 500"), "{table}");

    // The next evaluation retries the same notification, and only it.
    check(&db, &file, 3);
    let down = hook.to("/down");
    assert_eq!(down.len(), 4);
    assert!(down.iter().all(|r| r.json()["id"] == down[0].json()["id"]));
    assert_eq!(hook.to("/flaky").len(), 3);
}

#[test]
fn the_signature_header_is_the_hmac_of_the_body() {
    let dir = tempfile::tempdir().unwrap();
    let db = december(dir.path());
    let hook = Hook::start(|_, _| Some(200));
    let file = write_alerts(
        dir.path(),
        &format!(
            "[[receivers]]\nname = \"signed\"\nwebhook = \"{}\"\nsecret_env = \"ALERT_TEST_SECRET\"\nheaders = {{ x-team = \"data\" }}\n\n\
             [[rules]]\nname = \"slow-day\"\nsql = \"{SLOW_DAY}\"\nreceivers = [\"signed\"]\n",
            hook.url("/signed")
        ),
    );
    let out = ecom(&db)
        .env("ALERT_TEST_SECRET", "correct horse")
        .arg("--alerts")
        .arg(&file)
        .args(["alerts", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let sent = &hook.to("/signed")[0];
    assert_eq!(sent.header("x-team"), Some("data"));
    let signature = sent.header("x-ecom-signature").unwrap();
    let hex = signature.strip_prefix("sha256=").unwrap();
    let tag: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"correct horse");
    ring::hmac::verify(&key, sent.body.as_bytes(), &tag).expect("the signature verifies");
    let wrong = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"wrong");
    assert!(ring::hmac::verify(&wrong, sent.body.as_bytes(), &tag).is_err());
}

#[test]
fn for_keeps_an_instance_pending_then_it_fires_and_it_resolves_when_it_clears() {
    let dir = tempfile::tempdir().unwrap();
    let db = december(dir.path());
    let hook = Hook::start(|_, _| Some(200));
    let rules = |threshold: u32| {
        format!(
            "[[receivers]]\nname = \"ops\"\nwebhook = \"{}\"\n\n[[rules]]\nname = \"slow-day\"\n\
             sql = \"select cast(invoice_ts as date) as day, sum(quantity * unit_price) as revenue from raw.order_lines group by 1 having revenue < {threshold}\"\n\
             for = \"1s\"\nseverity = \"critical\"\nsummary = \"a slow day\"\nreceivers = [\"ops\"]\n",
            hook.url("/ops")
        )
    };
    let file = write_alerts(dir.path(), &rules(30000));
    let (stdout, _) = check(&db, &file, 0);
    assert!(
        stdout.contains("slow-day: 0 firing (0 new), 3 pending"),
        "{stdout}"
    );
    assert_eq!(hook.count(), 0, "pending sends nothing");
    assert_eq!(rule(&ls_json(&db, &file), "slow-day")["pending"], 3);

    std::thread::sleep(Duration::from_millis(1100));
    check(&db, &file, 3);
    let sent = hook.to("/ops");
    assert_eq!(sent.len(), 1);
    let firing = sent[0].json();
    assert_eq!(firing["status"], "firing");
    assert_eq!(firing["severity"], "critical");
    assert_eq!(firing["summary"], "a slow day");
    assert_eq!(days(&firing), ["2010-12-12", "2010-12-15", "2010-12-19"]);

    // A lower threshold: two of the three days clear.
    write_alerts(dir.path(), &rules(10000));
    check(&db, &file, 3);
    let sent = hook.to("/ops");
    assert_eq!(sent.len(), 2);
    let resolved = sent[1].json();
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(days(&resolved), ["2010-12-12", "2010-12-15"]);
    assert_ne!(resolved["id"], firing["id"]);

    write_alerts(dir.path(), &rules(1));
    check(&db, &file, 0);
    let sent = hook.to("/ops");
    assert_eq!(days(&sent[2].json()), ["2010-12-19"]);
    assert_eq!(sent[2].json()["status"], "resolved");

    let out = alerts(&db, &file, &["--json", "history", "slow-day"]);
    let history: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let transitions: Vec<String> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["labels"]["day"] == "2010-12-19")
        .map(|h| {
            format!(
                "{}>{}",
                h["from"].as_str().unwrap(),
                h["to"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        transitions,
        ["firing>resolved", "pending>firing", "inactive>pending"]
    );
}

#[test]
fn command_and_log_receivers_get_the_notification() {
    let dir = tempfile::tempdir().unwrap();
    let db = december(dir.path());
    let out_file = dir.path().join("got.json");
    let file = write_alerts(
        dir.path(),
        &format!(
            "[[receivers]]\nname = \"script\"\ncommand = \"cat > '{}'\"\n\n[[receivers]]\nname = \"failing\"\ncommand = \"echo nope >&2; exit 7\"\nretries = 0\n\n\
             [[receivers]]\nname = \"log\"\nlog = true\n\n\
             [[rules]]\nname = \"slow-day\"\nsql = \"{SLOW_DAY}\"\nreceivers = [\"script\", \"log\"]\n\n\
             [[rules]]\nname = \"lines\"\nmetric = \"select count(*) from raw.order_lines\"\nabove = 10\nreceivers = [\"failing\"]\n",
            out_file.display()
        ),
    );
    let (stdout, stderr) = check(&db, &file, 3);
    let got: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(got["rule"], "slow-day");
    assert_eq!(got["receiver"], "script");
    assert_eq!(days(&got), ["2010-12-12", "2010-12-15", "2010-12-19"]);
    let logged = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("{\"id\"") && l.contains("\"receiver\":\"log\""))
        .unwrap_or_else(|| panic!("the log receiver's notification is printed:\n{stdout}"));
    let logged: serde_json::Value = serde_json::from_str(logged.trim()).unwrap();
    assert_eq!(days(&logged), days(&got));
    assert!(
        stderr.contains("command exited with exit status: 7: nope"),
        "{stderr}"
    );
}

#[test]
fn a_broken_alerts_file_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let receiver = "[[receivers]]\nname = \"ops\"\nlog = true\n\n";
    let cases = [
        (
            format!(
                "{receiver}[[rules]]\nname = \"r\"\nsql = \"select 1\"\nreceivers = [\"nobody\"]\n"
            ),
            8,
            "no receiver named `nobody`",
        ),
        (
            format!(
                "{receiver}[[rules]]\nname = \"r\"\nsql = \"select 1\"\n\n[[rules]]\nname = \"r\"\nsql = \"select 2\"\n"
            ),
            10,
            "a second rule named `r`",
        ),
        (
            format!(
                "{receiver}[[rules]]\nname = \"r\"\nsql = \"select 1\"\nfor = \"10 parsecs\"\n"
            ),
            8,
            "for = \"10 parsecs\"",
        ),
        (
            format!(
                "{receiver}[[rules]]\nname = \"r\"\nsql = \"select 1\"\nmetric = \"select 2\"\n"
            ),
            6,
            "exactly one of sql, metric",
        ),
        (
            format!("{receiver}[[rules]]\nname = \"r\"\nsql = \"select 1\nreceivers = []\n"),
            7,
            "",
        ),
        (
            format!(
                "{receiver}[[rules]]\nname = \"r\"\nsql = \"select 1\"\nrecievers = [\"ops\"]\n"
            ),
            8,
            "recievers",
        ),
    ];
    for (text, line, says) in cases {
        let file = write_alerts(dir.path(), &text);
        let out = alerts(&db, &file, &["check"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{text}\n{stderr}");
        assert!(
            stderr.contains(&format!("alerts.toml line {line}: ")),
            "{text}\n{stderr}"
        );
        assert!(stderr.contains(says), "{text}\n{stderr}");
    }
    let out = ecom(&db)
        .args(["--alerts", "/nonexistent/alerts.toml", "alerts", "ls"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a named file must exist");
}

#[test]
fn a_silence_suppresses_until_it_is_cleared_or_expires() {
    let dir = tempfile::tempdir().unwrap();
    let db = december(dir.path());
    let hook = Hook::start(|_, _| Some(200));
    let file = write_alerts(
        dir.path(),
        &format!(
            "[[receivers]]\nname = \"ops\"\nwebhook = \"{}\"\n\n\
             [[rules]]\nname = \"cleared\"\nsql = \"{SLOW_DAY}\"\nreceivers = [\"ops\"]\n\n\
             [[rules]]\nname = \"expires\"\nmetric = \"select count(*) from raw.order_lines\"\nabove = 10\nreceivers = [\"ops\"]\n",
            hook.url("/ops")
        ),
    );
    for (rule_name, length) in [("cleared", "1h"), ("expires", "1s")] {
        let out = alerts(&db, &file, &["silence", rule_name, "--for", length]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (stdout, _) = check(&db, &file, 0);
    assert!(
        stdout.contains("cleared: 3 firing (3 new), 0 pending, 0 resolved (silenced until"),
        "{stdout}"
    );
    assert_eq!(hook.count(), 0, "silenced rules send nothing");
    let ls = ls_json(&db, &file);
    assert!(rule(&ls, "cleared")["silenced_until"].is_string());
    assert_eq!(rule(&ls, "cleared")["firing"], 3);
    let table = String::from_utf8_lossy(&alerts(&db, &file, &["ls"]).stdout).to_string();
    assert!(table.contains("sends nothing"), "{table}");

    std::thread::sleep(Duration::from_millis(1100));
    check(&db, &file, 3);
    let sent = hook.to("/ops");
    assert_eq!(
        sent.len(),
        1,
        "the expired silence lets the still-firing instance through"
    );
    assert_eq!(sent[0].json()["rule"], "expires");

    let out = alerts(&db, &file, &["silence", "cleared", "--clear"]);
    assert!(out.status.success());
    check(&db, &file, 3);
    let sent = hook.to("/ops");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].json()["rule"], "cleared");
    assert_eq!(
        days(&sent[1].json()),
        ["2010-12-12", "2010-12-15", "2010-12-19"]
    );
    check(&db, &file, 3);
    assert_eq!(hook.count(), 2);

    let out = alerts(&db, &file, &["silence", "nope"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn test_sends_a_test_notification_without_touching_state() {
    let dir = tempfile::tempdir().unwrap();
    let db = december(dir.path());
    let hook = Hook::start(|_, _| Some(200));
    let file = write_alerts(dir.path(), &slow_day_to(&hook.url("/ops")));
    let out = alerts(&db, &file, &["test", "slow-day"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = hook.to("/ops");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].json()["test"], true);
    assert_eq!(
        days(&sent[0].json()),
        ["2010-12-12", "2010-12-15", "2010-12-19"]
    );
    assert_eq!(rule(&ls_json(&db, &file), "slow-day")["firing"], 0);
    check(&db, &file, 3);
    assert_eq!(hook.count(), 2, "the real evaluation still notifies");
}
