//! The workbench rendered into ratatui's TestBackend and snapshotted with insta, on an
//! empty warehouse and on one holding the sample.

use ecom::ingest::{IngestOptions, ingest};
use ecom::jobs::{CancelToken, NoProgress};
use ecom::tui::action::Action;
use ecom::tui::app::App;
use ecom::tui::failure::Failure;
use ecom::tui::grid::GridResult;
use ecom::tui::keymap::bindings;
use ecom::tui::ui::draw;
use ecom::warehouse::pager;
use ecom::warehouse::{Warehouse, catalog};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::tui_support::*;

#[test]
fn empty_warehouse_offers_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let app = app_on(&wh, 100, 30);
    insta::assert_snapshot!("empty_warehouse", render(&app, 100, 30));
}

#[test]
fn loaded_warehouse_with_a_result_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    ingest(
        wh.conn(),
        vec![ecom::sample::source()],
        &IngestOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    let (width, height) = (110, 32);
    let mut app = app_on(&wh, width, height);
    // Run the starter query the way the worker does, with a fixed elapsed time.
    let effects = app.update(Action::RunQuery);
    let sql = effects
        .iter()
        .find_map(|e| match e {
            ecom::tui::effect::Effect::RunQuery { statements, .. } => {
                Some(statements[0].sql.clone())
            }
            _ => None,
        })
        .expect("a query to run");
    assert!(
        matches!(effects[0], ecom::tui::effect::Effect::SaveHistory(_)),
        "kept in the history"
    );
    let result = pager::run(wh.conn(), &sql, &pager::result_table(1, 0)).unwrap();
    let effects = app.update(Action::QueryFinished(
        1,
        Ok(GridResult {
            query_id: 1,
            columns: result.columns.clone(),
            total_rows: result.total_rows,
            elapsed_ms: 12,
        }),
    ));
    let page = effects
        .iter()
        .find_map(|e| match e {
            ecom::tui::effect::Effect::FetchPage { start, limit, .. } => Some((*start, *limit)),
            _ => None,
        })
        .expect("the grid asks for its first page");
    let rows = pager::page(wh.conn(), &result, page.0, page.1).unwrap();
    app.update(Action::PageLoaded {
        query_id: 1,
        start: page.0,
        rows,
    });
    app.update(Action::Move(3));
    insta::assert_snapshot!("loaded_with_result", render(&app, width, height));
    app.update(Action::ToggleHelp);
    insta::assert_snapshot!("help_overlay", render(&app, width, height));
}

#[test]
fn dashboard_and_data_quality_screens() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_with_models(dir.path());
    // Relative names, so the snapshot does not depend on where the repository lives.
    for name in ["malformed.csv", "not-data.csv"] {
        std::fs::copy(crate::common::fixture(name), dir.path().join(name)).unwrap();
    }
    crate::common::run_code(
        crate::common::ecom(&db).current_dir(dir.path()).args([
            "ingest",
            "malformed.csv",
            "not-data.csv",
        ]),
        1,
    );
    let wh = Warehouse::open(&db).unwrap();
    let (width, height) = (110, 32);
    let mut app = app_on(&wh, width, height);
    let effects = app.update(Action::ShowScreen(ecom::tui::screen::Screen::Dashboard));
    assert!(
        matches!(&effects[..], [ecom::tui::effect::Effect::Dashboard(_)]),
        "the overview's variables are asked for first: {effects:?}"
    );
    work_off_dashboard(&mut app, &wh, effects);
    insta::assert_snapshot!("dashboard", render(&app, width, height));
    // `f` filters to the top country, `p` narrows the period; each runs the panels again.
    let country = scalar_text(
        &wh,
        "SELECT country FROM marts.fact_sales GROUP BY 1 ORDER BY sum(revenue) DESC LIMIT 1",
    );
    let effects = app.update(Action::DashboardCountry);
    work_off_dashboard(&mut app, &wh, effects);
    assert_eq!(
        app.dashboard.selection.get("country"),
        Some(country.as_str())
    );
    let expected = scalar_f64(
        &wh,
        &format!("SELECT sum(revenue)::DOUBLE FROM marts.fact_sales WHERE country = '{country}'"),
    );
    let Some(Ok(ecom::dashboards::Figure::Kpi {
        value: Some(revenue),
        ..
    })) = &app.dashboard.panels[0].figure
    else {
        panic!("{:?}", app.dashboard.panels[0])
    };
    assert!((revenue - expected).abs() < 0.01);
    let effects = app.update(Action::DashboardPeriod);
    work_off_dashboard(&mut app, &wh, effects);
    assert_eq!(app.dashboard.selection.get("period"), Some("last-year"));
    app.update(Action::ShowScreen(ecom::tui::screen::Screen::Quality));
    wh.conn()
        .execute_batch(
            "INSERT INTO stream.dead_letters VALUES
                ('uk-retail-raw', 0, 17, 'k', '{', 'not JSON: EOF while parsing an object at line 1 column 1', now()::TIMESTAMP),
                ('uk-retail-raw', 2, 90, 'k', '{}', 'not JSON: missing field', now()::TIMESTAMP)",
        )
        .unwrap();
    app.update(Action::QualityLoaded(
        catalog::quality(wh.conn()).map_err(Failure::of),
    ));
    let screen = render(&app, width, height);
    assert!(screen.contains("Quantity"), "{screen}");
    assert!(screen.contains("not-data.csv"), "{screen}");
    assert!(
        screen.contains("Dead letters: 2") && screen.contains("not JSON"),
        "{screen}"
    );
    insta::assert_snapshot!("data_quality", screen);
}

#[test]
fn models_and_jobs_screens_start_watch_and_cancel_builds() {
    use ecom::jobs::{Progress, Unit};
    use ecom::models::overview::{ModelRow, TestRow};
    use ecom::tui::action::BuildScope;
    use ecom::tui::effect::Effect;
    use ecom::tui::jobs::JobState;
    use ecom::tui::screen::Screen;
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let (width, height) = (100, 24);
    let mut app = app_on(&wh, width, height);
    assert_eq!(
        app.update(Action::ShowScreen(Screen::Models)),
        vec![Effect::LoadModels]
    );
    let row = |name: &str, tree: &str, parents: &[&str]| ModelRow {
        name: name.into(),
        resource_type: "model".into(),
        materialized: "table".into(),
        schema: "marts".into(),
        tree: tree.into(),
        parents: parents.iter().map(|p| p.to_string()).collect(),
        children: Vec::new(),
        last_status: Some("success".into()),
        last_rows: Some(38),
        last_run_at: Some("2026-11-30T04:00:00Z".into()),
        last_seconds: Some(0.25),
        compiled: Some(format!("select country_key, country\nfrom main.{name}")),
        tests: vec![
            TestRow {
                name: format!("not_null_{name}_country_key"),
                status: Some("pass".into()),
                failures: Some(0),
                message: None,
            },
            TestRow {
                name: format!("unique_{name}_country"),
                status: Some("fail".into()),
                failures: Some(2),
                message: Some("Got 2 results, configured to fail if != 0".into()),
            },
        ],
    };
    app.update(Action::ModelsLoaded(Ok(vec![
        row("stg_order_lines", "", &["online_retail.order_lines"]),
        row(
            "dim_country",
            "└─ ",
            &["stg_order_lines", "country_regions"],
        ),
    ])));
    app.update(Action::Move(1));
    insta::assert_snapshot!("models_screen", render(&app, width, height));
    let effects = app.update(Action::BuildModels(BuildScope::WithParents));
    assert_eq!(
        effects,
        vec![Effect::StartModels {
            job: 1,
            select: vec!["+dim_country".into()]
        }]
    );
    app.update(Action::ShowScreen(Screen::Jobs));
    app.update(Action::JobProgress(
        1,
        Progress::new("models", 3, Some(10), Unit::Steps)
            .with_message("3 of 10 OK table model marts.dim_country (38 rows) in 0.01s"),
    ));
    assert_eq!(app.update(Action::CancelJob), vec![Effect::CancelJob(1)]);
    assert_eq!(app.jobs[0].state, JobState::Cancelling);
    app.update(Action::JobFinished(
        1,
        Err("cancelled after 3 nodes".into()),
    ));
    assert_eq!(
        app.jobs[0].state,
        JobState::Failed("cancelled after 3 nodes".into())
    );
    let screen = render(&app, width, height);
    assert!(
        screen.contains("failed: cancelled after 3 nodes"),
        "{screen}"
    );
    assert!(
        screen.contains("3 of 10 OK table model marts.dim_country"),
        "{screen}"
    );
}

#[test]
fn number_keys_switch_screens_and_screen_keys_win() {
    use ecom::tui::action::BuildScope;
    use ecom::tui::keymap::action_for;
    use ecom::tui::screen::Screen;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 80, 24);
    let bindings = bindings();
    let key = |c: KeyCode| KeyEvent::new(c, KeyModifiers::NONE);
    assert_eq!(
        action_for(&app.key_context(), &bindings, key(KeyCode::Char('3'))),
        Some(Action::ShowScreen(Screen::Models))
    );
    app.update(Action::ShowScreen(Screen::Models));
    assert_eq!(
        action_for(&app.key_context(), &bindings, key(KeyCode::Enter)),
        Some(Action::BuildModels(BuildScope::Node))
    );
    assert_eq!(
        action_for(&app.key_context(), &bindings, key(KeyCode::Char('j'))),
        Some(Action::Move(1))
    );
    app.update(Action::ShowScreen(Screen::Sql));
    app.update(Action::EnterInsert);
    assert_eq!(
        action_for(&app.key_context(), &bindings, key(KeyCode::Char('3'))),
        Some(Action::EditorKey(key(KeyCode::Char('3')))),
        "digits are text while editing"
    );
    assert_eq!(
        action_for(&app.key_context(), &bindings, key(KeyCode::Esc)),
        Some(Action::Escape)
    );
}

#[test]
fn the_palette_finds_and_runs_actions() {
    use ecom::tui::effect::Effect;
    use ecom::tui::keymap::action_for;
    use ecom::tui::screen::Screen;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 100, 30);
    let bindings = bindings();
    let press = |app: &mut App, code: KeyCode, modifiers: KeyModifiers| {
        let action = action_for(
            &app.key_context(),
            &bindings,
            KeyEvent::new(code, modifiers),
        )
        .expect("bound");
        app.update(action)
    };
    press(&mut app, KeyCode::Char('p'), KeyModifiers::CONTROL);
    assert!(app.palette.is_some());
    for c in "qualit".chars() {
        press(&mut app, KeyCode::Char(c), KeyModifiers::NONE);
    }
    insta::assert_snapshot!("palette", render(&app, 100, 30));
    let effects = press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(app.screen, Screen::Quality);
    assert_eq!(effects, vec![Effect::LoadQuality]);
    assert!(app.palette.is_none());
    // Esc closes it without running anything.
    press(&mut app, KeyCode::Char(':'), KeyModifiers::NONE);
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(app.palette.is_none());
    assert_eq!(app.screen, Screen::Quality);
}

#[test]
fn no_color_keeps_selection_visible_without_colours() {
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 80, 24);
    app.theme.no_color = true;
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| draw(f, &app)).unwrap();
    let buffer = terminal.backend().buffer();
    assert!(
        buffer
            .content
            .iter()
            .all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset)
    );
    assert!(
        buffer
            .content
            .iter()
            .any(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED)),
        "highlights become reverse video"
    );
}

#[test]
fn shift_t_switches_to_colours_that_read_on_a_light_background() {
    use ecom::tui::keymap::action_for;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::style::Color;
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 80, 24);
    let colours = |app: &App| {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal.draw(|f| draw(f, app)).unwrap();
        // Foregrounds drawn straight on the terminal's background.
        terminal
            .backend()
            .buffer()
            .content
            .iter()
            .filter(|c| c.bg == Color::Reset)
            .map(|c| c.fg)
            .collect::<Vec<_>>()
    };
    assert!(
        colours(&app).contains(&Color::Cyan),
        "the dark theme's accent"
    );
    let key = KeyEvent::new(KeyCode::Char('T'), KeyModifiers::SHIFT);
    let toggle = action_for(&app.key_context(), &bindings(), key).unwrap();
    assert_eq!(toggle, Action::ToggleTheme);
    app.update(toggle);
    assert!(app.theme.light);
    let light = colours(&app);
    for unreadable in [Color::Yellow, Color::Cyan, Color::White, Color::Reset] {
        assert!(
            !light.contains(&unreadable),
            "{unreadable:?} on a light background"
        );
    }
    assert!(light.contains(&Color::Blue) && light.contains(&Color::Black));
}

#[test]
fn mouse_toggle_scroll_and_suspend_keys() {
    use ecom::tui::effect::Effect;
    use ecom::tui::keymap::{action_for, mouse_action};
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 80, 24);
    let bindings = bindings();
    let wheel = |kind| MouseEvent {
        kind,
        column: 10,
        row: 10,
        modifiers: KeyModifiers::NONE,
    };
    assert_eq!(
        mouse_action(&app.key_context(), wheel(MouseEventKind::ScrollDown)),
        Some(Action::Move(3))
    );
    let suspend = action_for(
        &app.key_context(),
        &bindings,
        KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL),
    )
    .unwrap();
    assert_eq!(app.update(suspend), vec![Effect::Suspend]);
    let toggle = action_for(
        &app.key_context(),
        &bindings,
        KeyEvent::new(KeyCode::Char('m'), KeyModifiers::NONE),
    )
    .unwrap();
    assert_eq!(app.update(toggle), vec![Effect::SetMouse(false)]);
    assert_eq!(
        mouse_action(&app.key_context(), wheel(MouseEventKind::ScrollUp)),
        None,
        "off means off"
    );
}

#[test]
fn history_steps_through_earlier_queries() {
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 80, 24);
    app.sql.history = vec!["SELECT 1".into(), "SELECT 2".into()];
    app.update(Action::History(-1));
    assert_eq!(app.sql.editor.text(), "SELECT 2");
    app.update(Action::History(-1));
    app.update(Action::History(-1));
    assert_eq!(app.sql.editor.text(), "SELECT 1", "stops at the oldest");
    app.update(Action::History(1));
    assert_eq!(app.sql.editor.text(), "SELECT 2");
    // Running a query adds it once, and only once in a row.
    app.sql.editor.set_text("SELECT 3");
    let effects = app.update(Action::RunQuery);
    assert!(effects.contains(&ecom::tui::effect::Effect::SaveHistory("SELECT 3".into())));
    app.update(Action::QueryFinished(1, Err("x".into())));
    let effects = app.update(Action::RunQuery);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, ecom::tui::effect::Effect::SaveHistory(_)))
    );
    assert_eq!(app.sql.history.len(), 3);
}

fn scalar_text(wh: &Warehouse, sql: &str) -> String {
    wh.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn scalar_f64(wh: &Warehouse, sql: &str) -> f64 {
    wh.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn sorting_cycles_ascending_descending_and_off() {
    use ecom::tui::effect::Effect;
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 80, 24);
    app.sql.editor.set_text("SELECT 1 AS a;");
    app.update(Action::RunQuery);
    app.update(Action::QueryFinished(
        1,
        Ok(GridResult {
            query_id: 1,
            columns: pager::run(wh.conn(), "SELECT 1 AS a", "a").unwrap().columns,
            total_rows: 1,
            elapsed_ms: 1,
        }),
    ));
    // `o` sorts the current column as a view of the result (the query never runs
    // again): ascending, descending, then the result's own order.
    use ecom::tui::grid::jobs::{GridAnswer, GridJob};
    use ecom::warehouse::view::ViewStep;
    let sort = |app: &mut App| {
        let (id, steps) = app
            .update(Action::SortResults)
            .into_iter()
            .find_map(|e| match e {
                Effect::GridJob {
                    id,
                    job: GridJob::View { steps, .. },
                } => Some((id, steps)),
                _ => None,
            })
            .unwrap();
        let result = app.sql.grid.base.clone().unwrap();
        app.update(Action::GridJobDone(
            id,
            Ok(GridAnswer::View {
                result,
                steps: steps.clone(),
            }),
        ));
        steps
    };
    let by = |descending| {
        vec![ViewStep::Sort {
            column: "a".into(),
            descending,
        }]
    };
    assert_eq!(sort(&mut app), by(false));
    assert_eq!(sort(&mut app), by(true));
    assert_eq!(sort(&mut app), vec![]);
    assert_eq!(app.sql.grid.sort(), None);
}

#[test]
fn tab_completes_keywords_tables_and_columns() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 80, 24);
    let type_text = |app: &mut App, text: &str| {
        for c in text.chars() {
            let code = if c == '\t' {
                KeyCode::Tab
            } else {
                KeyCode::Char(c)
            };
            app.update(Action::EditorKey(KeyEvent::new(code, KeyModifiers::NONE)));
        }
    };
    app.sql.editor.set_text("");
    app.update(Action::EnterInsert);
    type_text(&mut app, "sel\t stock_c\t fro\t raw.order_l\t");
    assert_eq!(
        app.sql.editor.text(),
        "select stock_code from raw.order_lines"
    );
    type_text(&mut app, "\t");
    assert!(
        app.sql.editor.text().ends_with("raw.order_lines  "),
        "nothing left to complete: Tab indents"
    );
}

#[test]
fn ml_screen_shows_segments_anomalies_and_runs_and_reruns_jobs() {
    use ecom::tui::effect::Effect;
    use ecom::tui::keymap::action_for;
    use ecom::tui::screen::Screen;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 80, 24);
    let bindings = bindings();
    let key = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    assert_eq!(
        action_for(&app.key_context(), &bindings, key('6')),
        Some(Action::ShowScreen(Screen::Ml))
    );
    assert_eq!(
        app.update(Action::ShowScreen(Screen::Ml)),
        vec![Effect::LoadMl]
    );
    app.update(Action::MlLoaded(Box::new(
        ecom::ml::summary::summary(wh.conn()).map_err(Failure::of),
    )));
    let empty = render(&app, 80, 24);
    assert!(empty.contains("Not run yet"), "{empty}");
    insta::assert_snapshot!("ml_empty", empty);

    for (c, model) in [
        ('s', ecom::ml::MlModel::Segment),
        ('c', ecom::ml::MlModel::Recommend),
        ('a', ecom::ml::MlModel::Anomalies),
    ] {
        let action = action_for(&app.key_context(), &bindings, key(c)).unwrap();
        assert_eq!(action, Action::RunMl(model));
        let effects = app.update(action);
        assert!(
            matches!(effects[..], [Effect::StartMl { model: m, .. }] if m == model),
            "{effects:?}"
        );
    }
    assert_eq!(app.jobs.len(), 3);

    // The tables the jobs write, in their shapes.
    wh.conn()
        .execute_batch(
            "CREATE TABLE ml.segment_profiles AS SELECT * FROM (VALUES
                ('champions', 716, 12.0, 13.7, 7463.0, 0.645), ('hibernating', 1548, 192.0, 1.3, 348.0, 0.065))
                t(segment, size, recency_days, frequency, monetary, revenue_share);
             CREATE TABLE ml.anomalies AS SELECT * FROM (VALUES
                ('daily_revenue', 'net revenue', TIMESTAMP '2011-01-05', -32.5, 'net revenue -1,570 is below the 23,926 expected', -1570.0, 23926.0, NULL, NULL, NULL))
                t(kind, what, \"when\", score, reason, value, expected, invoice_no, stock_code, customer_id);
             CREATE TABLE marts.sales_daily AS
                SELECT DATE '2010-12-31' + i::INTEGER AS sales_date,
                       CASE WHEN i = 5 THEN -1570.43 ELSE 20000 + 4000 * sin(i) END::DECIMAL(38,3) AS net_revenue
                FROM range(1, 40) r(i);",
        )
        .unwrap();
    app.update(Action::MlLoaded(Box::new(
        ecom::ml::summary::summary(wh.conn()).map_err(Failure::of),
    )));
    app.update(Action::Resize(120, 30));
    let screen = render(&app, 120, 30);
    assert!(
        screen.contains("champions") && screen.contains("-32.5"),
        "{screen}"
    );
    insta::assert_snapshot!("ml_screen", screen);

    // `/` opens the lookup box; typed keys go to it, Enter asks the worker.
    let slash = action_for(&app.key_context(), &bindings, key('/')).unwrap();
    assert_eq!(slash, Action::StartLookup);
    app.update(slash);
    for c in "17850".chars() {
        let action = action_for(&app.key_context(), &bindings, key(c)).unwrap();
        assert!(matches!(action, Action::LookupKey(_)), "{action:?}");
        app.update(action);
    }
    let typing = render(&app, 120, 30);
    assert!(typing.contains("> 17850"), "{typing}");
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    let effects = app.update(action_for(&app.key_context(), &bindings, enter).unwrap());
    assert_eq!(effects, vec![Effect::Lookup("17850".into())]);
    app.update(Action::LookupAnswered(Ok((
        "Recommended for customer 17850".into(),
        vec![ecom::ml::recommend::Suggestion {
            rank: 1,
            stock_code: "22632".into(),
            description: Some("HAND WARMER RED POLKA DOT".into()),
            score: 0.42,
        }],
    ))));
    let answered = render(&app, 120, 30);
    assert!(answered.contains("HAND WARMER RED POLKA DOT"), "{answered}");
    insta::assert_snapshot!("ml_lookup", answered);
}

#[test]
fn stream_screen_starts_and_stops_the_tail_and_shows_its_figures() {
    use ecom::stream::tail::{PartitionStatus, TailStatus};
    use ecom::tui::effect::Effect;
    use ecom::tui::keymap::action_for;
    use ecom::tui::screen::Screen;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 80, 24);
    app.stream.target = "uk-retail-raw on 127.0.0.1:9092 (group ecom-workbench)".into();
    let bindings = bindings();
    let key = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    assert_eq!(
        action_for(&app.key_context(), &bindings, key('5')),
        Some(Action::ShowScreen(Screen::Stream))
    );
    assert_eq!(
        app.update(Action::ShowScreen(Screen::Stream)),
        vec![Effect::LoadStream]
    );
    app.update(Action::StreamLoaded(
        ecom::stream::recent::load(wh.conn(), 12).map_err(Failure::of),
    ));
    let stopped = render(&app, 80, 24);
    assert!(
        stopped.contains("stopped") && stopped.contains("t starts"),
        "{stopped}"
    );
    insta::assert_snapshot!("stream_stopped", stopped);

    // t starts the tail as a job; the same key stops it.
    let start = action_for(&app.key_context(), &bindings, key('t')).unwrap();
    assert_eq!(start, Action::ToggleTail);
    let effects = app.update(start);
    let [Effect::StartTail { job }] = effects[..] else {
        panic!("{effects:?}")
    };
    assert_eq!(app.jobs[0].name, "tail");

    // What the tail publishes, and the rows it wrote, in their shapes.
    for rate in [0.0, 1200.0, 5400.0, 8100.0, 7600.0] {
        app.update(Action::TailStatus(Box::new(TailStatus {
            messages: 20_000,
            events: 19_950,
            duplicates: 40,
            late_events: 7,
            dead_letters: 3,
            windows_emitted: 96,
            events_per_second: rate,
            partitions: vec![PartitionStatus {
                partition: 0,
                next_offset: 6_702,
                lag: Some(118),
                watermark: chrono::NaiveDate::from_ymd_opt(2011, 11, 1)
                    .unwrap()
                    .and_hms_opt(9, 55, 0),
            }],
            ..TailStatus::default()
        })));
    }
    wh.conn()
        .execute_batch(
            "INSERT INTO stream.window_metrics (window_start, window_end, country, revenue, orders, items, customers,
                 cancellations, views, carts, purchases, conversion, window_seconds, hop_seconds, topic, \"partition\", closed_at, published)
             VALUES (TIMESTAMP '2011-11-01 09:00', TIMESTAMP '2011-11-01 09:01', '*', 812.45, 6, 402, 5, 0, 0, 0, 6, NULL, 60, 60, 't', 0, now()::TIMESTAMP, true);
             INSERT INTO stream.dead_letters VALUES ('t', 1, 4411, 'k', 'not json', 'not JSON: expected value at line 1 column 1', now()::TIMESTAMP);
             INSERT INTO stream.late_events VALUES ('t', 2, 977, '2011-11-01.csv:1203', TIMESTAMP '2011-11-01 08:40', TIMESTAMP '2011-11-01 08:50', 'window closed', now()::TIMESTAMP);",
        )
        .unwrap();
    app.update(Action::StreamLoaded(
        ecom::stream::recent::load(wh.conn(), 12).map_err(Failure::of),
    ));
    let running = render(&app, 80, 24);
    assert!(
        running.contains("running") && running.contains("t stops"),
        "{running}"
    );
    insta::assert_snapshot!("stream_running", running);
    app.update(Action::Resize(140, 40));
    let large = render(&app, 140, 40);
    assert!(
        large.contains("812.45")
            && large.contains("not JSON")
            && large.contains("2011-11-01.csv:1203"),
        "{large}"
    );
    insta::assert_snapshot!("stream_running_large", large);

    // Enter on the selected window lists its events in a new SQL tab: those from its
    // start, up to but not at its end.
    wh.conn()
        .execute_batch(
            "INSERT INTO stream.events (topic, \"partition\", \"offset\", event_id, event_type, event_time,
                 invoice_no, stock_code, quantity, unit_price, revenue, customer_id, country, late, received_at)
             SELECT 't', 0, n, 'e' || n, 'purchase', ts, 'I' || n, 'S1', 2, 1.5, 3.0, 1, 'France', false, now()::TIMESTAMP
             FROM (VALUES (1, TIMESTAMP '2011-11-01 09:00:00'), (2, TIMESTAMP '2011-11-01 09:00:59'),
                          (3, TIMESTAMP '2011-11-01 09:01:00'), (4, TIMESTAMP '2011-11-01 08:59:59')) AS e(n, ts);",
        )
        .unwrap();
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    let drill = action_for(&app.key_context(), &bindings, enter).unwrap();
    assert_eq!(drill, Action::DrillDown);
    let effects = app.update(drill);
    let Some(Effect::RunQuery { statements, .. }) = effects.last() else {
        panic!("{effects:?}");
    };
    assert_eq!(app.screen, Screen::Sql);
    let offsets: Vec<i64> = {
        let mut stmt = wh.conn().prepare(&statements[0].sql).unwrap();
        stmt.query_map([], |r| r.get::<_, i64>("offset"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(offsets, vec![1, 2], "{}", statements[0].sql);
    app.update(Action::ShowScreen(Screen::Stream));

    assert_eq!(app.update(Action::ToggleTail), vec![Effect::CancelJob(job)]);
    app.update(Action::JobFinished(job, Ok("stopped".into())));
    assert!(app.stream.job.is_none());
}

#[test]
fn y_copies_the_row_and_shift_y_one_cell_through_osc_52() {
    use ecom::tui::effect::Effect;
    use ecom::tui::focus::Pane;
    use ecom::tui::keymap::action_for;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 80, 24);
    show_result(
        &mut app,
        &wh,
        "SELECT 'United Kingdom' AS country, 42 AS lines",
    );
    app.sql.focus = Pane::Grid;
    let bindings = bindings();
    let row = action_for(
        &app.key_context(),
        &bindings,
        KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE),
    )
    .unwrap();
    assert_eq!(
        app.update(row),
        vec![Effect::Copy("United Kingdom\t42".into())]
    );
    let cell = action_for(
        &app.key_context(),
        &bindings,
        KeyEvent::new(KeyCode::Char('Y'), KeyModifiers::SHIFT),
    )
    .unwrap();
    assert_eq!(cell, Action::CopyCell);
    assert_eq!(
        app.update(cell),
        vec![Effect::Copy("United Kingdom".into())]
    );
    app.update(Action::ScrollColumns(1));
    assert_eq!(
        app.update(Action::CopyCell),
        vec![Effect::Copy("42".into())]
    );
}

#[test]
fn greater_and_less_than_resize_the_first_visible_column() {
    use ecom::tui::focus::Pane;
    use ecom::tui::keymap::action_for;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 100, 24);
    show_result(&mut app, &wh, "SELECT 'France' AS country, 42 AS lines");
    app.sql.focus = Pane::Grid;
    // Where the second column's header starts, on the grid's header line.
    let lines_at = |app: &App| {
        let screen = render(app, 100, 24);
        let header = screen
            .lines()
            .find(|l| l.contains("country") && !l.contains("SELECT"))
            .unwrap()
            .to_string();
        {
            let country = header.find("country").unwrap();
            header[country..].find("lines").unwrap()
        }
    };
    let before = lines_at(&app);
    let wider = action_for(
        &app.key_context(),
        &bindings(),
        KeyEvent::new(KeyCode::Char('>'), KeyModifiers::NONE),
    )
    .unwrap();
    assert_eq!(wider, Action::ResizeColumn(4));
    app.update(wider.clone());
    app.update(wider);
    assert_eq!(lines_at(&app), before + 8);
    let narrower = action_for(
        &app.key_context(),
        &bindings(),
        KeyEvent::new(KeyCode::Char('<'), KeyModifiers::NONE),
    )
    .unwrap();
    app.update(narrower);
    assert_eq!(lines_at(&app), before + 4);
}

#[test]
fn every_screen_at_80x24_and_at_a_large_size_on_the_sample() {
    use ecom::tui::screen::Screen;
    let dir = tempfile::tempdir().unwrap();
    let db = sample_with_models(dir.path());
    let wh = Warehouse::open(&db).unwrap();
    let mut app = app_on(&wh, 80, 24);
    let effects = app.update(Action::ShowScreen(Screen::Dashboard));
    work_off_dashboard(&mut app, &wh, effects);
    // What ran in the warehouse (the sample's ingest), with its clock fixed.
    let mut recent = ecom::warehouse::history::recent_runs(wh.conn(), 50).unwrap();
    assert_eq!(recent.len(), 1, "{recent:?}");
    assert_eq!(
        (recent[0].kind.as_str(), recent[0].status.as_str()),
        ("ingest", "ok")
    );
    assert_eq!(recent[0].rows, Some(5_090));
    for run in &mut recent {
        run.started_at = chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
            .unwrap()
            .and_hms_opt(4, 0, 0)
            .unwrap();
        run.seconds = Some(0.4);
    }
    app.update(Action::RecentRunsLoaded(Ok(recent)));
    app.update(Action::QualityLoaded(
        catalog::quality(wh.conn()).map_err(Failure::of),
    ));
    app.update(Action::MlLoaded(Box::new(
        ecom::ml::summary::summary(wh.conn()).map_err(Failure::of),
    )));
    app.update(Action::StreamLoaded(
        ecom::stream::recent::load(wh.conn(), 12).map_err(Failure::of),
    ));
    // The bundled project's real tree and last run, with the run's times fixed.
    let project = ecom::models::bundled::unpacked(&db).unwrap();
    let mut rows = ecom::models::overview::load(&project).unwrap();
    assert!(rows.len() > 5, "{rows:?}");
    assert_eq!(rows[0].tree, "", "a root first");
    assert!(
        rows.iter().any(|r| r.tree.ends_with("└─ ")),
        "nodes hang under their parents"
    );
    assert!(
        rows.iter()
            .all(|r| r.last_status.as_deref() == Some("success")),
        "the build ran every node"
    );
    for row in &mut rows {
        row.last_run_at = Some("2026-11-30T04:00:00Z".into());
        row.last_seconds = Some(0.05);
    }
    app.update(Action::ModelsLoaded(Ok(rows)));
    show_result(
        &mut app,
        &wh,
        "SELECT country, count(*) AS lines FROM raw.order_lines GROUP BY 1 ORDER BY 2 DESC",
    );
    for (screen, _, name) in Screen::TABS {
        app.screen = screen;
        for (width, height) in [(80, 24), (160, 48)] {
            app.update(Action::Resize(width, height));
            let text = render(&app, width, height);
            assert!(text.contains(name), "{name} at {width}×{height}:\n{text}");
            insta::assert_snapshot!(
                format!("every_screen_{:?}_{width}x{height}", screen).to_lowercase(),
                text
            );
        }
    }
}

#[test]
fn sql_tabs_keep_their_own_editor_and_result() {
    use ecom::tui::effect::Effect;
    use ecom::tui::keymap::action_for;
    use ecom::tui::screen::Screen;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 80, 24);
    let bindings = bindings();
    let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    let plain = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    assert_eq!(app.screen, Screen::Sql);
    assert_eq!(
        action_for(&app.key_context(), &bindings, ctrl('t')),
        Some(Action::NewSqlTab)
    );

    app.sql
        .editor
        .set_text("SELECT 'first' AS tab FROM range(3)");
    let effects = app.update(Action::RunQuery);
    assert_eq!(work_off(&mut app, &wh, effects), vec![(1, 1)]);
    assert_eq!(app.sql.grid.total_rows(), 3);

    app.update(Action::NewSqlTab);
    assert_eq!(app.sql.editor.text(), "", "a new tab starts empty");
    assert!(app.sql.grid.result.is_none());
    app.sql.editor.set_text("SELECT 'second' AS tab, 2 AS n");
    app.update(Action::Escape);
    let effects = app.update(Action::RunQuery);
    assert_eq!(
        work_off(&mut app, &wh, effects),
        vec![(2, 2)],
        "the second tab has its own result slot"
    );
    insta::assert_snapshot!("sql_tabs_80x24", render(&app, 80, 24));

    // A query of the first tab finishing while the second is in front lands in the first.
    assert_eq!(
        action_for(&app.key_context(), &bindings, plain('{')),
        Some(Action::SwitchSqlTab(-1))
    );
    app.update(Action::SwitchSqlTab(-1));
    assert_eq!(app.sql.editor.text(), "SELECT 'first' AS tab FROM range(3)");
    assert_eq!(
        app.sql.grid.total_rows(),
        3,
        "the first tab's result is still there"
    );
    assert_eq!(app.sql.grid.window.rows[0][0], "first");
    app.sql.editor.set_text("SELECT 'first again' AS tab");
    let effects = app.update(Action::RunQuery);
    app.update(Action::SwitchSqlTab(1));
    assert_eq!(app.sql.grid.window.rows[0][0], "second");
    work_off(&mut app, &wh, effects);
    assert_eq!(
        app.sql.grid.window.rows[0][0], "second",
        "the front tab is untouched"
    );
    let page = app.update(Action::SwitchSqlTab(1));
    assert_eq!(app.sql.grid.total_rows(), 1);
    assert!(
        page.iter().any(|e| matches!(e, Effect::FetchPage { .. })),
        "the tab asks for the page of its new result when it comes to the front: {page:?}"
    );

    // Closing a tab drops its result in the worker; the last tab stays.
    app.update(Action::SwitchSqlTab(1));
    let effects = app.update(Action::CloseSqlTab);
    assert!(
        effects.contains(&Effect::DiscardResult { slot: 2 }),
        "{effects:?}"
    );
    assert_eq!(app.sql.tabs.tabs.len(), 1);
    assert!(app.update(Action::CloseSqlTab).is_empty());
    assert_eq!(app.sql.tabs.tabs.len(), 1);
}

#[test]
fn help_lists_every_screen_from_any_screen_and_scrolls_by_page() {
    use ecom::tui::action::HelpScroll;
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let (width, height) = (80, 24);
    let mut app = app_on(&wh, width, height);
    app.update(Action::ShowScreen(ecom::tui::screen::Screen::Models));
    app.update(Action::ToggleHelp);
    let first = render(&app, width, height);
    insta::assert_snapshot!("help_80x24_top", first);
    assert!(
        first.contains("Everywhere") && first.contains("rows 1–"),
        "{first}"
    );
    // Page by page to the end: every screen's section shows on the way.
    let mut seen = first.clone();
    for _ in 0..40 {
        app.update(Action::ScrollHelp(HelpScroll::Pages(1)));
        seen.push_str(&render(&app, width, height));
    }
    for title in [
        "1 Dashboard screen",
        "2 SQL: editor",
        "2 SQL: while editing SQL",
        "2 SQL: chart of a result",
        "2 SQL: results grid",
        "2 SQL: catalog",
        "3 Models screen",
        "4 Jobs screen",
        "5 Stream screen",
        "6 ML screen",
    ] {
        assert!(seen.contains(title), "no `{title}` section in the help");
    }
    let last = render(&app, width, height);
    insta::assert_snapshot!("help_80x24_end", last);
    app.update(Action::ScrollHelp(HelpScroll::Start));
    assert_eq!(render(&app, width, height), first);
    app.update(Action::ToggleHelp);
    app.update(Action::ToggleHelp);
    assert_eq!(render(&app, width, height), first, "reopened at the top");
    app.update(Action::Resize(160, 48));
    insta::assert_snapshot!("help_160x48", render(&app, 160, 48));
}
