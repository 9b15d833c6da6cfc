//! The SQL editor: selection, find/replace and go-to-line prompts, bracket matching,
//! formatting and one result per statement, snapshotted at 80×24 and 160×48 (with the
//! editor's highlights marked under the text, since snapshots are text), and end to end
//! in tmux on the full data set.

use std::time::{Duration, Instant};

use ecom::tui::action::{Action, EditCommand};
use ecom::tui::app::App;
use ecom::tui::layout::areas;
use ecom::tui::theme;
use ecom::tui::ui::draw;
use ecom::warehouse::{Warehouse, pager};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Modifier;

use crate::common::*;
use crate::tmux::Session;
use crate::tui_support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// The screen as text, each editor row followed by a row marking its highlights:
/// `s` selected, `m` a find match, `b` a matched bracket.
fn render_marked(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let editor = areas(Rect::new(0, 0, width, height)).editor;
    let mut text = String::new();
    for y in 0..height {
        let line: String = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
        text.push_str(line.trim_end());
        text.push('\n');
        if y <= editor.y || y + 1 >= editor.bottom() {
            continue;
        }
        let marks: String = (0..width)
            .map(|x| {
                let cell = &buffer[(x, y)];
                let inside = x > editor.x && x + 1 < editor.right();
                if !inside {
                    ' '
                } else if cell.modifier.contains(Modifier::UNDERLINED) {
                    'b'
                } else if Some(cell.bg) == theme::search_match().bg {
                    'm'
                } else if Some(cell.bg) == theme::selected().bg {
                    's'
                } else {
                    ' '
                }
            })
            .collect();
        if !marks.trim().is_empty() {
            text.push_str(&format!("{}\n", marks.trim_end()));
        }
    }
    text
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// An app on an empty warehouse, editing `sql`.
fn editing(sql: &str, width: u16, height: u16) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, width, height);
    app.update(Action::EnterInsert);
    app.sql.editor.set_text(sql);
    (dir, app)
}

const QUERY: &str = "SELECT country, count(*) AS lines\nFROM raw.order_lines\nWHERE country <> 'United Kingdom'\nGROUP BY country";

#[test]
fn a_selection_is_highlighted() {
    for (w, h) in SIZES {
        let (_dir, mut app) = editing(QUERY, w, h);
        app.sql.editor.click(0, 7);
        app.sql.editor.drag_to(1, 4);
        let screen = render_marked(&app, w, h);
        assert!(screen.contains("       sssssssss"), "{screen}");
        insta::assert_snapshot!(format!("editor_selection_{w}x{h}"), screen);
    }
}

#[test]
fn the_find_and_replace_prompts_highlight_the_matches() {
    for (w, h) in SIZES {
        let (_dir, mut app) = editing(QUERY, w, h);
        app.sql.editor.click(0, 0);
        app.update(Action::Edit(EditCommand::Find));
        for c in "country".chars() {
            app.update(Action::PromptKey(key(KeyCode::Char(c))));
        }
        let screen = render_marked(&app, w, h);
        assert!(screen.contains("Find: country"), "{screen}");
        assert!(screen.contains("sssssss"), "the match found is selected");
        assert!(screen.contains("mmmmmmm"), "the other matches are marked");
        insta::assert_snapshot!(format!("editor_find_{w}x{h}"), screen);
        app.update(Action::PromptKey(key(KeyCode::Esc)));
        app.update(Action::Edit(EditCommand::Replace));
        app.update(Action::PromptKey(key(KeyCode::Tab)));
        for c in "nation".chars() {
            app.update(Action::PromptKey(key(KeyCode::Char(c))));
        }
        let screen = render_marked(&app, w, h);
        assert!(
            screen.contains("Replace: country  with: nation"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("editor_replace_{w}x{h}"), screen);
    }
}

#[test]
fn the_go_to_line_prompt() {
    for (w, h) in SIZES {
        let (_dir, mut app) = editing(QUERY, w, h);
        app.update(Action::Edit(EditCommand::GoToLine));
        app.update(Action::PromptKey(key(KeyCode::Char('3'))));
        let screen = render_marked(&app, w, h);
        assert!(screen.contains("Go to line (1–4): 3"), "{screen}");
        insta::assert_snapshot!(format!("editor_go_to_line_{w}x{h}"), screen);
        app.update(Action::PromptKey(key(KeyCode::Enter)));
        assert_eq!(app.sql.editor.cursor(), (2, 0));
    }
}

#[test]
fn the_bracket_matching_the_cursors_is_marked() {
    for (w, h) in SIZES {
        let (_dir, mut app) = editing(
            "SELECT sum(quantity * (unit_price + 1))\nFROM raw.order_lines",
            w,
            h,
        );
        app.sql.editor.click(0, 10);
        let screen = render_marked(&app, w, h);
        assert!(screen.matches('b').count() >= 2, "{screen}");
        insta::assert_snapshot!(format!("editor_brackets_{w}x{h}"), screen);
    }
}

#[test]
fn format_lays_the_sql_out_as_one_undo_step() {
    for (w, h) in SIZES {
        let sql = "select country, count(*) as n from raw.order_lines where unit_price::double > 1 group by country";
        let (_dir, mut app) = editing(sql, w, h);
        app.update(Action::Edit(EditCommand::FormatSql));
        let screen = render_marked(&app, w, h);
        assert!(screen.contains("unit_price::double > 1"), "{screen}");
        insta::assert_snapshot!(format!("editor_formatted_{w}x{h}"), screen);
        app.update(Action::Edit(EditCommand::Undo));
        assert_eq!(app.sql.editor.text(), sql);
    }
}

#[test]
fn each_statement_gets_its_own_result_tab() {
    for (w, h) in SIZES {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
        let mut app = app_on(&wh, w, h);
        app.sql.editor.set_text(
            "select 1 as a;\n-- the second; with a comment\nselect 'it''s; two' as b, 2 as n;\nselect 3 as c",
        );
        let effects = app.update(Action::RunQuery);
        let ran = work_off(&mut app, &wh, effects);
        assert_eq!(ran, vec![(1, 1), (2, 1), (3, 1)], "own query ids, in order");
        assert!(app.sql.running.is_none());
        let screen = render(&app, w, h);
        assert!(screen.contains("Result [1] | 2 | 3: 1 rows"), "{screen}");
        insta::assert_snapshot!(format!("editor_result_tabs_{w}x{h}"), screen);
        // The result come to the front asks for its page, by its own query id.
        let page = app.update(Action::SwitchResult(1));
        assert_eq!(app.sql.grid.result.as_ref().unwrap().columns[0].name, "b");
        assert_eq!(
            page,
            vec![ecom::tui::effect::Effect::FetchPage {
                query_id: 2,
                start: 0,
                limit: 500
            }]
        );
        let second = pager::run(wh.conn(), "select 'it''s; two' as b, 2 as n", "second").unwrap();
        app.update(Action::PageLoaded {
            query_id: 2,
            start: 0,
            rows: pager::page(wh.conn(), &second, 0, 500).unwrap(),
        });
        let screen = render(&app, w, h);
        assert!(screen.contains("Result 1 | [2] | 3"), "{screen}");
        assert!(screen.contains("it's; two"), "{screen}");
        // Running again drops the old results; one statement gives one plain result.
        app.sql.editor.click(3, 3);
        let effects = app.update(Action::RunStatement);
        assert_eq!(work_off(&mut app, &wh, effects), vec![(4, 1)]);
        let screen = render(&app, w, h);
        assert!(screen.contains("Results: 1 rows"), "{screen}");
    }
}

#[test]
fn a_failing_statement_stops_the_run_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let mut app = app_on(&wh, 80, 24);
    app.sql
        .editor
        .set_text("select 1 as a;\n\nselect nope;\nselect 3 as c;");
    let effects = app.update(Action::RunQuery);
    let ids: Vec<u64> = effects
        .iter()
        .filter_map(|e| match e {
            ecom::tui::effect::Effect::RunQuery { statements, .. } => {
                Some(statements.iter().map(|s| s.id).collect::<Vec<_>>())
            }
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(ids, vec![1, 2, 3]);
    app.update(Action::QueryFinished(
        1,
        Ok(ecom::tui::grid::GridResult {
            query_id: 1,
            columns: vec![],
            total_rows: 1,
            elapsed_ms: 1,
        }),
    ));
    // Esc cancels the statement running and the ones waiting.
    assert_eq!(
        app.update(Action::Escape),
        vec![
            ecom::tui::effect::Effect::InterruptQuery(2),
            ecom::tui::effect::Effect::InterruptQuery(3)
        ]
    );
    app.update(Action::QueryFinished(
        2,
        Err("column nope not found".into()),
    ));
    assert_eq!(
        app.status.text,
        "statement 2 of 3 (line 3) failed: column nope not found"
    );
    assert!(app.sql.running.is_none());
    assert_eq!(app.sql.results.tabs.len(), 2, "statement 3 never ran");
}

#[test]
fn editing_in_tmux_runs_a_statement_undoes_and_runs_a_script() {
    let db = full_warehouse();
    let session = Session::start("editor", &db, (120, 36), "");
    session.wait_for("541,909");
    // Replace the starter query by three statements (Ctrl+A selects all, typing
    // replaces the selection). A trailing blank keeps tmux from reading `;` as its own.
    session.keys(&["i"]);
    session.wait_for(" INSERT ");
    session.keys(&["C-a", "select 1 as a; ", "Enter"]);
    session.keys(&["select count(*) as n from raw.order_lines; ", "Enter"]);
    session.keys(&["select 3 as c; "]);
    session.wait_for("select 3 as c;");
    // The cursor in the second statement; F9 (Ctrl+Enter's stand-in) runs only it.
    session.keys(&["Up", "F9"]);
    let screen = session.wait_for("541909");
    assert!(screen.contains("Results: 1 rows"), "{screen}");
    assert!(!screen.contains("Result [1]"), "{screen}");
    // Undo brings deleted text back.
    session.keys(&["i"]);
    session.wait_for(" INSERT ");
    session.keys(&["C-a", "BSpace"]);
    session.wait_until("the text deleted", |s| !s.contains("raw.order_lines; "));
    session.keys(&["C-z"]);
    session.wait_for("select count(*) as n from raw.order_lines;");
    // F5 runs all three: three result tabs, switched with ) on the results.
    session.keys(&["F5"]);
    let screen = session.wait_for("Result [1] | 2 | 3");
    assert!(screen.contains("1 rows"), "{screen}");
    session.wait_for(" NORMAL ");
    // The tabs show as soon as the script starts: `)` waits for the last result.
    session.wait_for("result 3 of 3: ");
    session.keys(&[")"]);
    session.wait_for("Result 1 | [2] | 3");
    // The second result's page arrives after its tab shows.
    session.wait_for("541909");
    session.quit();
}

#[test]
fn a_megabyte_paste_is_one_step_and_draws_fast() {
    let (_dir, mut app) = editing("-- before", 80, 24);
    let script = "select 'it''s; £' as y, (1 + 2) as z;\n".repeat(30_000);
    assert!(script.len() > 1_000_000);
    let started = Instant::now();
    app.update(Action::Paste(script.clone()));
    let screen = render(&app, 80, 24);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(screen.contains("select 'it''s; £' as y"), "{screen}");
    assert_eq!(app.sql.editor.lines().len(), 30_001);
    // The last statement runs on its own; the whole script would run each one.
    let effects = app.update(Action::RunStatement);
    let statements: Vec<usize> = effects
        .iter()
        .filter_map(|e| match e {
            ecom::tui::effect::Effect::RunQuery { statements, .. } => Some(statements.len()),
            _ => None,
        })
        .collect();
    assert_eq!(statements, vec![1]);
    app.update(Action::Escape);
    app.update(Action::Edit(EditCommand::Undo));
    assert_eq!(app.sql.editor.text(), "-- before");
}
