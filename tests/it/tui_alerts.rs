//! Screen 8, alerts, over the state `ecom alerts check` left in a warehouse of five real
//! days: the rules with their state, the selected rule's SQL and its history; the keys
//! that silence, check and drill into a rule.

use std::path::{Path, PathBuf};

use ecom::tui::action::Action;
use ecom::tui::app::App;
use ecom::tui::effect::Effect;
use ecom::tui::screen::Screen;
use ecom::tui::screens::alerts::AlertsView;
use ecom::warehouse::Warehouse;

use crate::common::{by_day_dir, ecom, run_code, run_ok};
use crate::tui_support::{app_on_raw, render};

const DAYS: [&str; 5] = [
    "2010-12-01",
    "2010-12-02",
    "2010-12-03",
    "2010-12-05",
    "2010-12-06",
];

const RULES: &str = r#"
[[receivers]]
name = "ops-log"
log = true

[[rules]]
name = "slow-day"
severity = "critical"
sql = "select cast(invoice_ts as date) as day, round(sum(quantity * unit_price), 2) as revenue from raw.order_lines group by 1 having revenue < 50000 order by 1"
receivers = ["ops-log"]

[[rules]]
name = "big-invoice"
for = "1h"
sql = "select invoice_no, round(sum(quantity * unit_price), 2) as total from raw.order_lines group by 1 having total > 5000 order by 1"
receivers = ["ops-log"]

[[rules]]
name = "negative-stock"
sql = "select stock_code from raw.order_lines where quantity < -100000"
receivers = ["ops-log"]
"#;

/// Five real days in a warehouse, the rules beside it, checked once by the CLI.
fn checked(dir: &Path) -> (PathBuf, PathBuf) {
    let db = dir.join("w.duckdb");
    let files: Vec<PathBuf> = DAYS
        .iter()
        .map(|d| by_day_dir().join(format!("{d}.csv")))
        .collect();
    run_ok(ecom(&db).arg("ingest").args(&files));
    let rules = dir.join("alerts.toml");
    std::fs::write(&rules, RULES).unwrap();
    run_code(
        ecom(&db)
            .arg("--alerts")
            .arg(&rules)
            .args(["alerts", "check"]),
        3,
    );
    (db, rules)
}

/// What the worker answers for the file.
fn loaded(wh: &Warehouse, rules: &Path) -> Action {
    Action::AlertsLoaded(Box::new(AlertsView::load(wh.conn(), rules)))
}

fn alerts_app(wh: &Warehouse, rules: &Path, width: u16, height: u16) -> App {
    let mut app = app_on_raw(wh, width, height);
    app.alerts.file = rules.to_path_buf();
    let effects = app.update(Action::ShowScreen(Screen::Alerts));
    assert_eq!(effects, vec![Effect::LoadAlerts(rules.to_path_buf())]);
    app.update(loaded(wh, rules));
    app
}

/// The screen with its clock times, durations and temporary folder replaced, so it
/// compares.
fn stable(screen: String, dir: &Path) -> String {
    let mut out = String::new();
    let chars: Vec<char> = screen
        .replace(&dir.display().to_string(), "TMP")
        .chars()
        .collect();
    let shape = "dddd-dd-dd dd:dd:dd";
    let mut i = 0;
    while i < chars.len() {
        let fits = i + shape.len() <= chars.len()
            && shape.chars().zip(&chars[i..]).all(|(s, c)| {
                if s == 'd' {
                    c.is_ascii_digit()
                } else {
                    s == *c
                }
            });
        if fits {
            out.push_str("YYYY-MM-DD hh:mm:ss");
            i += shape.len();
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    // How long the evaluation took varies from run to run.
    match out.split_once("evaluation took ") {
        Some((before, after)) => {
            let rest = after.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{before}evaluation took N{rest}")
        }
        None => out,
    }
}

#[test]
fn the_alerts_screen_shows_each_rules_state_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let (db, rules) = checked(dir.path());
    let wh = Warehouse::open(&db).unwrap();
    let mut app = alerts_app(&wh, &rules, 120, 32);
    let screen = stable(render(&app, 120, 32), dir.path());
    // The three days under £50,000 fire; the big invoices wait out their hour.
    assert!(screen.contains("firing 3"), "{screen}");
    assert!(
        screen.contains("day=2010-12-05 revenue=31383.95"),
        "{screen}"
    );
    insta::assert_snapshot!("alerts_screen", screen);
    app.update(Action::Move(1));
    let pending = stable(render(&app, 120, 32), dir.path());
    assert!(pending.contains("pending"), "{pending}");
    insta::assert_snapshot!("alerts_screen_pending_rule", pending);
}

#[test]
fn keys_silence_check_and_drill_into_the_selected_rule() {
    let dir = tempfile::tempdir().unwrap();
    let (db, rules) = checked(dir.path());
    let wh = Warehouse::open(&db).unwrap();
    let mut app = alerts_app(&wh, &rules, 100, 30);
    let before = chrono::Utc::now();
    let effects = app.update(Action::SilenceAlert(false));
    let [
        Effect::SilenceAlert {
            rule,
            until: Some(until),
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(rule, "slow-day");
    let hour = (*until - before).num_minutes();
    assert!((59..=61).contains(&hour), "{hour}");
    // The worker's part, done here with the library: the rule reads as silenced.
    ecom::alerts::silence(wh.conn(), rule, *until).unwrap();
    app.update(loaded(&wh, &rules));
    assert!(render(&app, 100, 30).contains("firing 3 · silenced"));
    let effects = app.update(Action::UnsilenceAlert);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::SilenceAlert { until: None, .. }]
        ),
        "{effects:?}"
    );

    let effects = app.update(Action::CheckAlerts);
    assert!(
        matches!(effects.as_slice(), [Effect::StartAlertsCheck { file, .. }] if *file == rules),
        "{effects:?}"
    );
    assert_eq!(app.jobs.list[0].name, "alerts check");

    // Enter opens a SQL tab running the rule's SQL: its rows are the firing days.
    let effects = app.update(Action::DrillDown);
    assert_eq!(app.screen, Screen::Sql);
    let sql = effects
        .iter()
        .find_map(|e| match e {
            Effect::RunQuery { statements, .. } => Some(statements[0].sql.clone()),
            _ => None,
        })
        .expect("the tab runs the rule");
    let days: Vec<String> = wh
        .conn()
        .prepare(&sql)
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(days, ["2010-12-02", "2010-12-03", "2010-12-05"]);
}

#[test]
fn a_missing_or_broken_file_says_so_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let wh = Warehouse::open(&db).unwrap();
    let mut app = app_on_raw(&wh, 100, 30);
    app.alerts.file = dir.path().join("alerts.toml");
    app.update(Action::ShowScreen(Screen::Alerts));
    app.update(Action::AlertsLoaded(Box::new(Ok(None))));
    let missing = stable(render(&app, 100, 30), dir.path());
    assert!(
        missing.contains("No alerts file at TMP/alerts.toml."),
        "{missing}"
    );
    std::fs::write(
        dir.path().join("alerts.toml"),
        "[[rules]]\nname = \"x\"\nsql = 1\n",
    )
    .unwrap();
    let error = ecom::alerts::AlertsFile::load(&dir.path().join("alerts.toml")).unwrap_err();
    app.update(Action::AlertsLoaded(Box::new(Err(
        ecom::tui::failure::Failure::of(error),
    ))));
    let broken = stable(render(&app, 100, 30), dir.path());
    assert!(broken.contains("TMP/alerts.toml line 3"), "{broken}");
    insta::assert_snapshot!("alerts_screen_broken_file", broken);
}
