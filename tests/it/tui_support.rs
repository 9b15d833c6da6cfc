//! What the workbench's snapshot tests share: rendering the app into ratatui's
//! TestBackend as text, an app on a warehouse, and a query's result shown in the grid.

use ecom::tui::action::Action;
use ecom::tui::app::App;
use ecom::tui::grid::GridResult;
use ecom::tui::ui::draw;
use ecom::warehouse::catalog::Relation;
use ecom::warehouse::pager::{self, PagedResult};
use ecom::warehouse::{Warehouse, catalog};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut text = String::new();
    for y in 0..height {
        let line: String = (0..width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

pub fn app_on(wh: &Warehouse, width: u16, height: u16) -> App {
    app_listing(catalog::relations(wh.conn()).unwrap(), width, height)
}

/// An app of `width` × `height` whose catalog lists `relations`.
fn app_listing(relations: Vec<Relation>, width: u16, height: u16) -> App {
    let mut app = App::new("demo.duckdb".into(), 500);
    app.update(Action::Resize(width, height));
    app.update(Action::CatalogLoaded(Ok(relations)));
    app
}

/// What the worker reports when query `id` made `result`, with a fixed elapsed time so
/// screens compare.
pub fn query_finished(id: u64, result: &PagedResult) -> Action {
    Action::QueryFinished(
        id,
        Ok(GridResult {
            elapsed_ms: 1,
            ..GridResult::of(id, result)
        }),
    )
}

/// A warehouse in `dir` holding the sample with the bundled models built, as the CLI makes it.
pub fn sample_with_models(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("w.duckdb");
    crate::common::run_ok(
        crate::common::ecom(&db)
            .arg("ingest")
            .arg(crate::common::sample_csv()),
    );
    crate::common::run_ok(crate::common::ecom(&db).args(["models", "build"]));
    db
}

/// Runs `sql` as the editor's query would and shows its result with the first page.
pub fn show_result(app: &mut App, wh: &Warehouse, sql: &str) {
    app.sql.editor.set_text(sql);
    app.update(Action::RunQuery);
    let result = pager::run(wh.conn(), sql, &pager::result_table(1, 0)).unwrap();
    app.update(query_finished(1, &result));
    app.update(Action::PageLoaded {
        query_id: 1,
        start: 0,
        rows: pager::page(wh.conn(), &result, 0, 500).unwrap(),
    });
}

/// Does what the worker does for the effects of one update: runs each statement into
/// its tab's slot, answers it and serves the first page asked for. Returns the (query
/// id, slot) of the statements run.
pub fn work_off(
    app: &mut App,
    wh: &Warehouse,
    effects: Vec<ecom::tui::effect::Effect>,
) -> Vec<(u64, u32)> {
    use ecom::tui::effect::Effect;
    let mut ran = Vec::new();
    let runs = effects.into_iter().filter_map(|e| match e {
        Effect::RunQuery {
            slot, statements, ..
        } => Some(statements.into_iter().map(move |s| (slot, s))),
        _ => None,
    });
    for (slot, statement) in runs.flatten() {
        let id = statement.id;
        let table = pager::result_table(slot, statement.result);
        let result = pager::run(wh.conn(), &statement.sql, &table).unwrap();
        let asks = app.update(query_finished(id, &result));
        for ask in asks {
            if let Effect::FetchPage {
                query_id,
                start,
                limit,
            } = ask
            {
                app.update(Action::PageLoaded {
                    query_id,
                    start,
                    rows: pager::page(wh.conn(), &result, start, limit).unwrap(),
                });
            }
        }
        ran.push((id, slot));
    }
    ran
}

/// An app whose catalog lists only the `raw` schema: on the shared full-data warehouse,
/// other tests build models and run ML, so the other schemas' tables and counts depend
/// on which tests ran first, and a snapshot must not.
pub fn app_on_raw(wh: &Warehouse, width: u16, height: u16) -> App {
    let raw = catalog::relations(wh.conn())
        .unwrap()
        .into_iter()
        .filter(|r| r.schema == "raw")
        .collect();
    app_listing(raw, width, height)
}

/// Does the dashboard's background work for `effects` as the panel runner does (each
/// job answered on the warehouse's connection, in line), until nothing is left; the
/// SQL runs they lead to (a panel opened in a tab) are worked off too.
pub fn work_off_dashboard(
    app: &mut App,
    wh: &Warehouse,
    effects: Vec<ecom::tui::effect::Effect>,
) -> Vec<(u64, u32)> {
    use ecom::tui::effect::Effect;
    let mut pending = effects;
    let mut ran = Vec::new();
    while !pending.is_empty() {
        let mut next = Vec::new();
        let mut runs = Vec::new();
        for effect in pending {
            match effect {
                Effect::Dashboard(job) => {
                    next.extend(app.update(ecom::tui::panels::answer(wh.conn(), job)))
                }
                other => runs.push(other),
            }
        }
        ran.extend(work_off(app, wh, runs));
        pending = next;
    }
    ran
}

/// An app of `width` × `height` on `wh` showing its dashboard (the shipped overview
/// unless `places` list another one first), every panel run.
pub fn dashboard_on(
    wh: &Warehouse,
    width: u16,
    height: u16,
    places: ecom::dashboards::Places,
) -> App {
    let mut app = app_on_raw(wh, width, height);
    app.dashboard.places = places;
    let effects = app.update(Action::ShowScreen(ecom::tui::screen::Screen::Dashboard));
    work_off_dashboard(&mut app, wh, effects);
    app
}
