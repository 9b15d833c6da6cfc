//! The results grid on the full data set: the current cell and frozen columns, views
//! (filter chips, a sort) built by DuckDB, finding text, the column profile; rendered
//! at 80×24 and 160×48 and driven end to end in tmux. The grid's jobs run through the
//! worker's own `ResultStore` on the warehouse's connection, as the workbench runs them.

use ecom::tui::ResultStore;
use ecom::tui::action::Action;
use ecom::tui::app::App;
use ecom::tui::effect::Effect;
use ecom::tui::grid::jobs::GridAnswer;
use ecom::tui::keymap::{action_for, bindings};
use ecom::tui::ui::draw;
use ecom::warehouse::{Warehouse, pager};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;

use crate::common::*;
use crate::tmux::Session;
use crate::tui_support::{app_on_raw, query_finished, render};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// The app on the full warehouse and the worker's results, as the event loop drives them.
struct Bench {
    app: App,
    wh: Warehouse,
    store: ResultStore,
}

impl Bench {
    fn new(wh: Warehouse, (width, height): (u16, u16)) -> Self {
        let app = app_on_raw(&wh, width, height);
        Self {
            app,
            wh,
            store: ResultStore::default(),
        }
    }

    /// Runs `sql` from the editor and shows its result with its first page.
    fn query(&mut self, sql: &str) {
        self.app.sql.editor.set_text(sql);
        let effects = self.app.update(Action::RunQuery);
        self.perform(effects);
    }

    /// Presses the key of `c` (the keymap decides the action), doing what it asks.
    fn key(&mut self, code: KeyCode) {
        let modifiers = match code {
            KeyCode::Char(c) if c.is_uppercase() => KeyModifiers::SHIFT,
            _ => KeyModifiers::NONE,
        };
        let action = action_for(
            &self.app.key_context(),
            &bindings(),
            KeyEvent::new(code, modifiers),
        );
        if let Some(action) = action {
            let effects = self.app.update(action);
            self.perform(effects);
        }
    }

    fn keys(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Does the worker's part of `effects` (queries, pages, grid jobs) and feeds the
    /// answers back; views get a fixed elapsed time so the screens compare.
    fn perform(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            let action = match effect {
                Effect::RunQuery {
                    slot, statements, ..
                } => {
                    for statement in statements {
                        let table = pager::result_table(slot, statement.result);
                        let result = pager::run(self.wh.conn(), &statement.sql, &table).unwrap();
                        let finished = query_finished(statement.id, &result);
                        let key = (slot, statement.result);
                        self.store.insert(self.wh.conn(), key, statement.id, result);
                        let more = self.app.update(finished);
                        self.perform(more);
                    }
                    continue;
                }
                Effect::FetchPage {
                    query_id,
                    start,
                    limit,
                } => {
                    let result = self.store.get(query_id).unwrap();
                    let rows = pager::page(self.wh.conn(), result, start, limit).unwrap();
                    Action::PageLoaded {
                        query_id,
                        start,
                        rows,
                    }
                }
                Effect::GridJob { id, job } => {
                    let mut answer = self.store.run_grid_job(self.wh.conn(), id, job);
                    if let Ok(GridAnswer::View { result, .. }) = &mut answer {
                        result.elapsed_ms = 1;
                    }
                    Action::GridJobDone(id, answer)
                }
                _ => continue,
            };
            let more = self.app.update(action);
            self.perform(more);
        }
    }

    fn status(&self) -> &str {
        &self.app.status.text
    }
}

/// The text drawn on a `background` colour below the title row, row by row.
fn text_on(app: &App, (width, height): (u16, u16), background: Color) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer();
    (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .filter(|&(_, y)| y > 0)
        .filter(|&xy| buffer[xy].bg == background)
        .map(|xy| buffer[xy].symbol().to_string())
        .collect()
}

fn order_lines(size: (u16, u16)) -> (Bench, impl Drop) {
    let db = full_warehouse();
    let wh = Warehouse::open(&db).unwrap();
    let mut bench = Bench::new(wh, size);
    bench.query("FROM raw.order_lines ORDER BY source_file, source_line");
    (bench, db)
}

#[test]
fn current_cell_and_frozen_columns() {
    for size in SIZES {
        let (mut b, _db) = order_lines(size);
        // To the stock code, freeze up to it, then on to the country.
        b.key(KeyCode::Char('l'));
        b.key(KeyCode::Char('f'));
        assert_eq!(b.app.sql.grid.frozen, 2);
        assert_eq!(
            b.status(),
            "2 column(s) frozen at the left (f again unfreezes)"
        );
        b.keys("llllll");
        b.key(KeyCode::Char('j'));
        assert_eq!(b.app.sql.grid.column_name(), Some("country"));
        let screen = render(&b.app, size.0, size.1);
        let header = screen.lines().find(|l| l.contains("invoice_no")).unwrap();
        assert!(
            header.contains("stock_code") && header.contains("country"),
            "frozen columns stay at the left while the grid scrolls to the country:\n{screen}"
        );
        assert!(!header.contains("description"), "{screen}");
        assert_eq!(
            text_on(&b.app, size, Color::Cyan).trim(),
            "United Kingdom",
            "the current cell is the selected row's country"
        );
        insta::assert_snapshot!(
            format!("grid_current_cell_frozen_{}x{}", size.0, size.1),
            screen
        );
        // Y copies the current cell.
        let copied = b.app.update(Action::CopyCell);
        assert_eq!(copied, vec![Effect::Copy("United Kingdom".into())]);
    }
}

#[test]
fn filters_show_as_chips_and_undo_one_by_one() {
    for size in SIZES {
        let (mut b, _db) = order_lines(size);
        b.keys("lllllll");
        assert_eq!(b.app.sql.grid.column_name(), Some("country"));
        b.key(KeyCode::Char('='));
        assert_eq!(b.app.sql.grid.total_rows(), 495_478);
        b.key(KeyCode::Char('|'));
        b.keys("quantity >= 100 AND description ILIKE '%heart%'");
        b.key(KeyCode::Enter);
        b.keys("hhhh");
        assert_eq!(b.app.sql.grid.column_name(), Some("quantity"));
        b.key(KeyCode::Char(']'));
        let rows = b.app.sql.grid.total_rows();
        let expected =
            b.wh.conn()
                .query_row(
                    "SELECT count(*) FROM raw.order_lines WHERE country = 'United Kingdom' \
                 AND quantity >= 100 AND description ILIKE '%heart%'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
                .unwrap();
        assert_eq!(rows, expected as u64);
        let labels: Vec<String> = b.app.sql.grid.steps.iter().map(|s| s.label()).collect();
        assert_eq!(
            labels,
            [
                "country = 'United Kingdom'",
                "quantity >= 100 AND description ILIKE '%heart%'",
                "↓ quantity"
            ]
        );
        let screen = render(&b.app, size.0, size.1);
        insta::assert_snapshot!(format!("grid_filter_chips_{}x{}", size.0, size.1), screen);
        // An invalid condition is DuckDB's error on the status line; the view stays.
        b.key(KeyCode::Char('|'));
        b.keys("no_such_column > 1");
        b.key(KeyCode::Enter);
        assert!(b.status().contains("no_such_column"), "{}", b.status());
        assert_eq!(b.app.sql.grid.total_rows(), rows);
        // Each step is undone in turn, back to the whole result.
        b.key(KeyCode::Char('u'));
        assert_eq!(b.app.sql.grid.steps.len(), 2);
        b.key(KeyCode::Char('u'));
        assert_eq!(b.app.sql.grid.total_rows(), 495_478);
        b.key(KeyCode::Char('u'));
        assert_eq!(b.app.sql.grid.total_rows(), 541_909);
        assert_eq!(b.app.sql.grid.result.as_ref().unwrap().query_id, 1);
        let views: i64 =
            b.wh.conn()
                .query_row(
                    "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'ecom_view_%'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
        assert_eq!(views, 0, "no view table left behind");
    }
}

#[test]
fn a_search_jumps_to_the_match_and_highlights_it() {
    for size in SIZES {
        let (mut b, _db) = order_lines(size);
        b.key(KeyCode::Char('/'));
        b.keys("glass star");
        let screen = render(&b.app, size.0, size.1);
        assert!(screen.contains("find: glass star"), "{screen}");
        b.key(KeyCode::Enter);
        let matches =
            b.wh.conn()
                .query_row(
                    "SELECT count(*) FROM raw.order_lines WHERE description ILIKE '%glass star%'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
                .unwrap();
        let first = b.app.sql.grid.selected;
        assert_eq!(
            b.status(),
            format!(
                "match at row {} (of {} matches)",
                ecom::format::thousands(first + 1),
                ecom::format::thousands(matches as u64)
            )
        );
        b.key(KeyCode::Char('n'));
        assert!(b.app.sql.grid.selected > first);
        b.key(KeyCode::Char('N'));
        assert_eq!(b.app.sql.grid.selected, first);
        let description = b.app.sql.grid.row(first).unwrap()[2].clone();
        assert!(description.to_lowercase().contains("glass star"));
        b.keys("llj");
        assert!(
            text_on(&b.app, size, Color::Yellow).contains("GLASS STAR"),
            "the matched cell is highlighted when it is not the current one"
        );
        b.key(KeyCode::Char('k'));
        let screen = render(&b.app, size.0, size.1);
        assert_eq!(
            text_on(&b.app, size, Color::Cyan).trim(),
            ecom::tui::widgets::popup::clip(&description, 32),
            "the current cell holds the match"
        );
        insta::assert_snapshot!(format!("grid_search_match_{}x{}", size.0, size.1), screen);
    }
}

#[test]
fn the_profile_of_a_column_over_the_whole_data() {
    for size in SIZES {
        let (mut b, _db) = order_lines(size);
        b.keys("lllllll");
        b.key(KeyCode::Char('F'));
        let pane = b.app.sql.grid.profile.clone().unwrap();
        let profile = pane.profile.unwrap();
        assert_eq!(
            (profile.rows, profile.nulls, profile.distinct),
            (541_909, 0, 38)
        );
        assert_eq!(profile.top[0].value.as_deref(), Some("United Kingdom"));
        assert_eq!(profile.top[0].count, 495_478);
        assert_eq!(profile.top.len(), 20);
        let screen = render(&b.app, size.0, size.1);
        assert!(
            screen.contains("495,478") && screen.contains("91.4%"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("grid_profile_{}x{}", size.0, size.1), screen);
        // Enter on the second value filters on it.
        b.key(KeyCode::Char('j'));
        b.key(KeyCode::Enter);
        assert_eq!(b.app.sql.grid.profile, None);
        let second = profile.top[1].clone();
        assert_eq!(b.app.sql.grid.total_rows(), second.count);
        // Numbers get a mean and quantiles.
        b.keys("hhhh");
        b.key(KeyCode::Char('F'));
        let quantity = b.app.sql.grid.profile.clone().unwrap().profile.unwrap();
        assert_eq!(quantity.column, "quantity");
        assert!(quantity.mean.is_some() && quantity.quantiles.len() == 4);
        b.key(KeyCode::Esc);
        assert_eq!(b.app.sql.grid.profile, None);
    }
}

/// Presses `key` until the screen shows `text` (a key sent while the workbench is busy
/// starting can be read before the grid has the focus).
fn press_until(session: &Session, key: &str, text: &str) {
    for _ in 0..5 {
        session.keys(&[key]);
        let started = std::time::Instant::now();
        while started.elapsed().as_secs() < 3 {
            if session.screen().contains(text) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    panic!("{key} never showed {text}:\n{}", session.screen());
}

/// The real binary in tmux on the full data: find, filter, undo, sort, profile.
#[test]
fn find_filter_undo_sort_and_profile_in_tmux() {
    let db = full_warehouse();
    let session = Session::start("grid", &db, (160, 40), "");
    session.wait_for("541,909");
    // The catalog (Shift+Tab from the editor) starts on raw.order_lines: open it.
    session.keys(&["BTab"]);
    session.keys(&["Enter"]);
    session.wait_for("Results: 541,909 rows");
    session.wait_for("row 1 ");
    press_until(&session, "/", "find: ");
    session.keys(&["-l", "glass star"]);
    session.keys(&["Enter"]);
    session.wait_for("match at row");
    session.keys(&["n"]);
    session.wait_until("the next match", |s| s.contains("match at row"));
    // `=` on a country cell: the rows of that country only.
    session.keys(&["g", "l", "l", "l", "l", "l", "l", "l", "="]);
    let screen = session.wait_for("Results: 495,478 rows");
    assert!(screen.contains("country = 'United Kingdom'"), "{screen}");
    session.keys(&["u"]);
    session.wait_for("Results: 541,909 rows");
    // Sort descending on the quantity: the biggest line first.
    session.keys(&["h", "h", "h", "h", "]"]);
    session.wait_for("↓ quantity");
    session.wait_until("the biggest line first", |screen| {
        screen
            .lines()
            .any(|l| l.contains("┃      1  ") && l.contains("80995"))
    });
    session.keys(&["F"]);
    session.wait_for("Profile of quantity");
    let screen = session.wait_for("median");
    assert!(screen.contains("80995"), "the maximum:\n{screen}");
    session.keys(&["Escape"]);
    session.wait_until("the profile to close", |s| !s.contains("Profile of"));
    session.quit();
}
