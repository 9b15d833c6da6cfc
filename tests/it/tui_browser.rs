//! The Stream screen's topic browser: snapshots from plain state (no broker) built from
//! real order lines, and one end-to-end run of the real binary in tmux against the
//! Tansu broker (`ECOM_TEST_BROKERS`, missing is a failure).

use std::collections::BTreeMap;
use std::time::Duration;

use ecom::stream::browse::{
    BrowseError, BrowseSummary, BrowsedMessage, GroupLag, GroupPartition, PartitionOffsets,
    TopicSummary,
};
use ecom::tui::action::Action;
use ecom::tui::app::App;
use ecom::tui::failure::Failure;
use ecom::tui::screen::Screen;
use ecom::tui::screens::browser::BrowseCommand;
use ecom::tui::topic_reader::BrowseReport;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::common::{ecom, run_ok};
use crate::kafka_browse::{PARTITIONS, Row, day_rows, produce_with_python};
use crate::stream::{brokers, unique};
use crate::tmux::Session;
use crate::tui_support::render;

const TOPIC: &str = "uk-retail-raw";
const SIZE: (u16, u16) = (110, 30);

/// 2011-11-01's order lines, spread over the partitions as the fixture topic has them.
fn placed_rows() -> Vec<Row> {
    day_rows("2011-11-01")
        .into_iter()
        .enumerate()
        .map(|(i, row)| Row {
            partition: i % PARTITIONS,
            ..row
        })
        .collect()
}

/// The messages a read of `rows` gives, offsets counted per partition.
fn messages(rows: &[Row]) -> Vec<BrowsedMessage> {
    let mut next = BTreeMap::new();
    rows.iter()
        .map(|r| {
            let offset = next.entry(r.partition).or_insert(0);
            *offset += 1;
            let headers = r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), Some(v.clone())))
                .collect();
            BrowsedMessage::decode(
                TOPIC,
                r.partition as i32,
                *offset - 1,
                Some(r.millis),
                r.key.as_deref().map(str::as_bytes),
                headers,
                Some(r.value.to_string().as_bytes()),
            )
        })
        .collect()
}

/// The topics of a broker holding `rows` in `TOPIC`, read by two groups.
fn topics(rows: &[Row]) -> Vec<TopicSummary> {
    let ends: Vec<i64> = (0..PARTITIONS)
        .map(|p| rows.iter().filter(|r| r.partition == p).count() as i64)
        .collect();
    let group = |name: &str, state: &str, committed: &dyn Fn(i64) -> Option<i64>| {
        let partitions: Vec<GroupPartition> = ends
            .iter()
            .enumerate()
            .map(|(p, end)| {
                let c = committed(*end);
                GroupPartition {
                    partition: p as i32,
                    committed: c,
                    end: *end,
                    lag: end - c.unwrap_or(0),
                }
            })
            .collect();
        GroupLag {
            group: name.into(),
            state: state.into(),
            lag: partitions.iter().map(|p| p.lag).sum(),
            partitions,
        }
    };
    let raw = TopicSummary {
        topic: TOPIC.into(),
        partitions: ends
            .iter()
            .enumerate()
            .map(|(p, end)| PartitionOffsets {
                partition: p as i32,
                start: 0,
                end: *end,
            })
            .collect(),
        messages: rows.len() as i64,
        groups: vec![
            group("ecom-workbench", "Stable", &|end| Some(end)),
            group("nightly-audit", "Empty", &|_| Some(100)),
        ],
    };
    let metrics = TopicSummary {
        topic: "uk-retail-metrics".into(),
        partitions: vec![PartitionOffsets {
            partition: 0,
            start: 0,
            end: 48,
        }],
        messages: 48,
        groups: Vec::new(),
    };
    vec![metrics, raw]
}

fn key(code: KeyCode) -> Action {
    Action::BrowseKey(KeyEvent::new(code, KeyModifiers::NONE))
}

/// The workbench on screen 5 with the browser listing `topics`, `TOPIC` selected.
fn browsing(topics: Vec<TopicSummary>) -> App {
    let mut app = App::new("demo.duckdb".into(), 500);
    app.update(Action::Resize(SIZE.0, SIZE.1));
    app.stream.brokers = "127.0.0.1:9092".into();
    app.update(Action::Browse(BrowseCommand::Topics));
    assert_eq!(app.screen, Screen::Stream, "b brings the Stream screen");
    app.update(Action::Browsed(BrowseReport::Topics(Ok(topics))));
    app.update(Action::Move(1));
    app
}

/// The session the browser reads now.
fn session(app: &App) -> u64 {
    let browser = app.stream.browser.as_ref().unwrap();
    browser.list.as_ref().unwrap().session
}

#[test]
fn browser_snapshots_topics_messages_detail_prompt_and_errors() {
    let rows = placed_rows();
    let mut app = browsing(topics(&rows));
    let (w, h) = SIZE;
    let listed = render(&app, w, h);
    assert!(listed.contains("nightly-audit"), "{listed}");
    insta::assert_snapshot!("browser_topics", listed);

    // Enter (the newest page), from the beginning, then the filter prompt.
    app.update(Action::Browse(BrowseCommand::Select));
    app.update(Action::Browse(BrowseCommand::Start));
    for c in "beginning".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.update(key(KeyCode::Enter));
    app.update(Action::Browse(BrowseCommand::Filter));
    for c in r#".country == "France""#.chars() {
        app.update(key(KeyCode::Char(c)));
    }
    insta::assert_snapshot!("browser_filter_prompt", render(&app, w, h));
    app.update(key(KeyCode::Enter));
    let france: Vec<BrowsedMessage> = messages(&rows)
        .into_iter()
        .filter(|m| m.value["country"] == "France")
        .collect();
    let read = session(&app);
    app.update(Action::Browsed(BrowseReport::Opened(read)));
    app.update(Action::Browsed(BrowseReport::Batch {
        session: read,
        messages: france.clone(),
    }));
    app.update(Action::Browsed(BrowseReport::Ended {
        session: read,
        result: Ok(BrowseSummary {
            read: rows.len() as u64,
            matched: france.len() as u64,
        }),
    }));
    app.update(Action::Move(2));
    let list = render(&app, w, h);
    assert!(
        list.contains(&format!("· {} message(s)", france.len())),
        "{list}"
    );
    insta::assert_snapshot!("browser_messages", list);

    app.update(Action::Browse(BrowseCommand::Select));
    let detail = render(&app, w, h);
    assert!(detail.contains("  source: 2011-11-01.csv"), "{detail}");
    assert!(detail.contains("\"country\": \"France\""), "{detail}");
    insta::assert_snapshot!("browser_detail", detail);

    // A filter that does not parse, said under the list; a read that failed, in its place.
    app.update(Action::Escape);
    app.update(Action::Browse(BrowseCommand::Start));
    for c in "2011-11-01T12:00:00Z".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.update(key(KeyCode::Enter));
    let failed = session(&app);
    let gone = BrowseError::NoSuchTopic(TOPIC.into());
    app.update(Action::Browsed(BrowseReport::Ended {
        session: failed,
        result: Err(Failure::of(gone)),
    }));
    app.update(Action::Browse(BrowseCommand::Filter));
    let clear = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    app.update(Action::BrowseKey(clear));
    for c in ".quantity >".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.update(key(KeyCode::Enter));
    let errors = render(&app, w, h);
    assert!(errors.contains("does not exist on the broker"), "{errors}");
    assert!(
        errors.contains("the value to compare with is missing"),
        "{errors}"
    );
    insta::assert_snapshot!("browser_errors", errors);

    // Esc: the topics, then the tail's screen again.
    app.update(Action::Escape);
    assert!(app.stream.browser.as_ref().unwrap().list.is_none());
    app.update(Action::Escape);
    assert!(app.stream.browser.is_none());
    assert_eq!(app.screen, Screen::Stream);
}

/// Presses Esc and waits, so tmux does not read it with the next key as Alt+key.
fn escape(session: &Session) {
    session.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(400));
}

/// Moves the topic list's selection down to `topic` (the broker holds other tests' topics).
fn select_topic(session: &Session, topic: &str) {
    for _ in 0..200 {
        let screen = session.screen();
        if screen.lines().any(|l| l.contains('▸') && l.contains(topic)) {
            return;
        }
        session.keys(&["j"]);
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{topic} never selected:\n{}", session.screen());
}

#[test]
fn browse_filter_open_and_export_a_topic_in_tmux() {
    let topic = unique("tui-browse");
    let rows = placed_rows();
    produce_with_python(&topic, &[&rows]);
    let france = rows
        .iter()
        .filter(|r| r.value["country"] == "France")
        .count();
    assert!(france > 50, "{france} French lines");

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let env = format!("ECOM_BROKERS={}", brokers());
    let session = Session::start("browser", &db, (140, 40), &env);
    session.wait_for("Catalog");
    session.keys(&["5"]);
    session.wait_for("b browses topics");
    session.keys(&["b"]);
    session.wait_for(&format!("Kafka topics on {}", brokers()));
    session.wait_for("the groups' lag is their committed offsets");
    select_topic(&session, &topic);
    let listed = session.screen();
    println!("{listed}");
    assert!(
        listed.contains(&format!("Consumer groups on {topic}")),
        "{listed}"
    );

    // From the beginning, every line; then only France's.
    session.keys(&["s"]);
    session.wait_for("start at: newest, beginning");
    session.keys(&["-l", "beginning"]);
    session.keys(&["Enter"]);
    // A page at a time: n reads the next.
    let pages = std::cell::Cell::new(1);
    let all = session.wait_until("the end of the topic", |screen| {
        if screen.contains("n reads the next page") {
            pages.set(pages.get() + 1);
            session.keys(&["n"]);
            std::thread::sleep(Duration::from_millis(300));
        }
        screen.contains("read to the end: 1,786 of 1,786 message(s)")
    });
    assert!(all.contains("· 1,786 message(s)"), "{all}");
    assert_eq!(pages.get(), 4, "pages of 500 messages");
    session.keys(&["/"]);
    session.wait_for("filter, as --filter");
    session.keys(&["-l", r#".country == "France""#]);
    session.keys(&["Enter"]);
    let shown = session.wait_for(&format!("· {france} message(s)"));
    println!("{shown}");
    assert!(
        shown.contains(&format!("read to the end: {france} of 1,786 message(s)")),
        "{shown}"
    );
    assert!(shown.contains(r#"filter .country == "France""#), "{shown}");

    // One message, decoded with its headers and key.
    session.keys(&["Enter"]);
    let detail = session.wait_for("\"country\": \"France\"");
    println!("{detail}");
    assert!(detail.contains("  source: 2011-11-01.csv"), "{detail}");
    assert!(
        detail.contains(&format!("{topic} · partition ")),
        "{detail}"
    );
    escape(&session);
    session.wait_for("x: export");

    // Export what is listed, then compare with `ecom kafka browse --json`.
    let file = dir.path().join("france.jsonl");
    session.keys(&["x"]);
    session.wait_for("export the listed messages");
    session.keys(&["C-u"]);
    session.keys(&["-l", &file.display().to_string()]);
    session.keys(&["Enter"]);
    let written = session.wait_for(&format!("wrote {france} message(s) to"));
    println!("{written}");
    session.quit();
    let exported = std::fs::read_to_string(&file).unwrap();
    assert_eq!(exported.lines().count(), france);
    let mut cmd = ecom(&dir.path().join("unused.duckdb"));
    cmd.args(["kafka", "browse", &topic, "--brokers", &brokers(), "--json"])
        .args(["--filter", r#".country == "France""#]);
    let mut cli: Vec<String> = run_ok(&mut cmd).lines().map(String::from).collect();
    let mut ours: Vec<String> = exported.lines().map(String::from).collect();
    cli.sort();
    ours.sort();
    assert_eq!(
        ours, cli,
        "the export's lines are `ecom kafka browse --json`'s"
    );
}
