use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use super::*;
use crate::stream::browse::{PartitionOffsets, StartAt};

fn topic(name: &str, partitions: i32, end: i64) -> TopicSummary {
    TopicSummary {
        topic: name.into(),
        partitions: (0..partitions)
            .map(|partition| PartitionOffsets {
                partition,
                start: 0,
                end,
            })
            .collect(),
        messages: end * partitions as i64,
        groups: Vec::new(),
    }
}

fn message(offset: i64, country: &str) -> BrowsedMessage {
    let value = format!(r#"{{"country":"{country}"}}"#);
    BrowsedMessage::decode(
        "orders",
        0,
        offset,
        None,
        None,
        Vec::new(),
        Some(value.as_bytes()),
    )
}

/// A browser listing two topics, `orders` (3 partitions) selected.
fn listing() -> (TopicBrowser, Status) {
    let (mut browser, effect) = TopicBrowser::open("127.0.0.1:9092");
    assert_eq!(effect, Effect::Browse(BrowseJob::Topics));
    let mut status = Status::default();
    let topics = vec![topic("audit", 1, 5), topic("orders", 3, 100)];
    browser.update(
        Action::Browsed(BrowseReport::Topics(Ok(topics))),
        &mut status,
    );
    browser.update(Action::Move(1), &mut status);
    browser.update(Action::Move(5), &mut status);
    assert_eq!(browser.selected, 1, "the selection stays on the list");
    (browser, status)
}

/// The read a list of effects starts: (session, options, page).
fn read_of(effects: &[Effect]) -> (u64, BrowseOptions, Option<u64>) {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Browse(BrowseJob::Read {
                session,
                options,
                page,
            }) => Some((*session, (**options).clone(), *page)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no read in {effects:?}"))
}

fn type_text(browser: &mut TopicBrowser, status: &mut Status, text: &str) -> Vec<Effect> {
    for c in text.chars() {
        let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert!(browser.update(Action::BrowseKey(key), status).is_empty());
    }
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    browser.update(Action::BrowseKey(enter), status)
}

#[test]
fn enter_reads_the_newest_page_of_the_selected_topic_and_esc_steps_back() {
    let (mut browser, mut status) = listing();
    let effects = browser.update(Action::Browse(BrowseCommand::Select), &mut status);
    let (session, options, page) = read_of(&effects);
    assert_eq!((options.topic.as_str(), page), ("orders", Some(PAGE)));
    // The newest page shared among the three partitions.
    assert_eq!((options.start, options.follow), (StartAt::Last(167), false));
    browser.update(
        Action::Browsed(BrowseReport::Batch {
            session,
            messages: (0..3).map(|o| message(o, "France")).collect(),
        }),
        &mut status,
    );
    browser.update(Action::Move(1), &mut status);
    browser.update(Action::Browse(BrowseCommand::Select), &mut status);
    let list = browser.list.as_ref().unwrap();
    assert_eq!((list.selected, list.detail), (1, Some(0)));
    // Esc: the message closes, then the list (its read stops), then the browser.
    assert_eq!(browser.back(), Some(vec![]));
    assert_eq!(
        browser.back(),
        Some(vec![Effect::Browse(BrowseJob::Stop(session))])
    );
    assert!(browser.list.is_none());
    assert_eq!(browser.back(), None);
}

#[test]
fn a_filter_restarts_the_read_with_it_and_a_bad_one_is_said_in_place() {
    let (mut browser, mut status) = listing();
    let first = read_of(&browser.update(Action::Browse(BrowseCommand::Select), &mut status)).0;
    browser.update(Action::Browse(BrowseCommand::Filter), &mut status);
    assert!(browser.prompt.is_some());
    let effects = type_text(&mut browser, &mut status, r#".country == "France""#);
    assert_eq!(effects[0], Effect::Browse(BrowseJob::Stop(first)));
    let (second, options, _) = read_of(&effects);
    assert_eq!(second, first + 1);
    let filter = options.filter.expect("the filter goes to the reader");
    assert!(filter.matches(&message(0, "France")) && !filter.matches(&message(1, "Spain")));
    let list = browser.list.as_ref().unwrap();
    assert_eq!(list.filter.as_deref(), Some(r#".country == "France""#));
    // A late batch of the stopped read is dropped.
    browser.update(
        Action::Browsed(BrowseReport::Batch {
            session: first,
            messages: vec![message(9, "Spain")],
        }),
        &mut status,
    );
    assert!(browser.list.as_ref().unwrap().kept.is_empty());

    // A filter that does not parse leaves the read as it is and says why.
    browser.update(Action::Browse(BrowseCommand::Filter), &mut status);
    let backspace = KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE);
    for _ in 0..40 {
        browser.update(Action::BrowseKey(backspace), &mut status);
    }
    assert!(type_text(&mut browser, &mut status, ".country ==").is_empty());
    assert_eq!(browser.list.as_ref().unwrap().session, second);
    let note = browser.note.clone().unwrap().unwrap_err();
    assert!(note.as_str().contains("value to compare"), "{note}");
    // An empty filter reads everything again; a start keeps the filter.
    browser.update(Action::Browse(BrowseCommand::Start), &mut status);
    let (_, options, page) = read_of(&type_text(&mut browser, &mut status, "end"));
    assert_eq!(
        (options.start, options.follow, page),
        (StartAt::End, true, None)
    );
    assert!(options.filter.is_some());
    browser.update(Action::Browse(BrowseCommand::Filter), &mut status);
    for _ in 0..40 {
        browser.update(Action::BrowseKey(backspace), &mut status);
    }
    let (_, options, _) = read_of(&type_text(&mut browser, &mut status, ""));
    assert_eq!(options.filter, None);
}

#[test]
fn a_follow_keeps_the_last_ten_thousand_and_stays_on_the_newest() {
    let (mut browser, mut status) = listing();
    browser.update(Action::Browse(BrowseCommand::Start), &mut status);
    let (session, ..) = read_of(&type_text(&mut browser, &mut status, "follow"));
    browser.update(Action::Browsed(BrowseReport::Opened(session)), &mut status);
    assert_eq!(browser.list.as_ref().unwrap().state, ReadState::Following);
    for batch in 0..41 {
        let messages = (0..256).map(|i| message(batch * 256 + i, "UK")).collect();
        browser.update(
            Action::Browsed(BrowseReport::Batch { session, messages }),
            &mut status,
        );
    }
    let list = browser.list.as_ref().unwrap();
    assert_eq!(list.kept.len(), KEPT);
    assert_eq!(list.dropped, 41 * 256 - KEPT as u64);
    assert_eq!(list.matched(), 41 * 256);
    assert_eq!(list.kept[0].offset, list.dropped as i64);
    assert_eq!(list.selected, KEPT - 1, "on the newest");
    // Moved up, the selection stays on its message as newer ones come.
    browser.update(Action::Move(-10), &mut status);
    let kept = browser
        .list
        .as_ref()
        .unwrap()
        .selected_message()
        .unwrap()
        .offset;
    browser.update(
        Action::Browsed(BrowseReport::Batch {
            session,
            messages: vec![message(99_999, "UK")],
        }),
        &mut status,
    );
    let list = browser.list.as_ref().unwrap();
    assert_eq!(list.selected_message().unwrap().offset, kept);
}

#[test]
fn pages_go_on_when_asked_and_the_export_takes_what_is_listed() {
    let (mut browser, mut status) = listing();
    let (session, ..) =
        read_of(&browser.update(Action::Browse(BrowseCommand::Select), &mut status));
    assert!(
        browser
            .update(Action::Browse(BrowseCommand::NextPage), &mut status)
            .is_empty(),
        "no page waits yet"
    );
    browser.update(
        Action::Browsed(BrowseReport::Batch {
            session,
            messages: vec![message(0, "France"), message(1, "France")],
        }),
        &mut status,
    );
    browser.update(
        Action::Browsed(BrowseReport::PageFull(session)),
        &mut status,
    );
    assert_eq!(
        browser.update(Action::Browse(BrowseCommand::NextPage), &mut status),
        vec![Effect::Browse(BrowseJob::More(session))]
    );
    browser.update(Action::Browse(BrowseCommand::Export), &mut status);
    assert_eq!(browser.prompt.as_ref().unwrap().text, "orders.jsonl");
    let clear = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    browser.update(Action::BrowseKey(clear), &mut status);
    let effects = type_text(&mut browser, &mut status, "out.jsonl");
    let Some(Effect::Browse(BrowseJob::Export { path, messages })) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_eq!((path.as_str(), messages.len()), ("out.jsonl", 2));
    browser.update(
        Action::Browsed(BrowseReport::Exported(Ok(
            "wrote 2 message(s) to out.jsonl".into(),
        ))),
        &mut status,
    );
    assert_eq!(status.text, "wrote 2 message(s) to out.jsonl");
    browser.update(
        Action::Browsed(BrowseReport::Ended {
            session,
            result: Err(Failure(
                "topic \"orders\" does not exist on the broker".into(),
            )),
        }),
        &mut status,
    );
    assert!(matches!(
        &browser.list.as_ref().unwrap().state,
        ReadState::Failed(why) if why.contains("does not exist")
    ));
}
