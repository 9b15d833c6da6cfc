//! Charts of any result, drill-down from the dashboard's panels and the report's figures,
//! and mouse clicks: snapshots at 80×24 and 160×48 on the full data, the drill-down's
//! SQL summed against the figure it explains, the saved PNG and SVG, and the real
//! binary in tmux.

use ecom::export::report::{Figure, PeriodPreset, gather_for, rows_sql};
use ecom::tui::action::Action;
use ecom::tui::app::App;
use ecom::tui::chart::ChartChange;
use ecom::tui::effect::Effect;
use ecom::tui::failure::Failure;
use ecom::tui::grid::GridResult;
use ecom::tui::screen::Screen;
use ecom::warehouse::Warehouse;
use ecom::warehouse::chart_data::{ChartKind, compute};
use ecom::warehouse::pager;

use crate::common::*;
use crate::tmux::Session;
use crate::tui_support::{
    app_on, app_on_raw, dashboard_on, render, show_result, work_off_dashboard,
};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// Computes the chart the app asked for, as the worker does, and hands it over.
fn answer_chart(app: &mut App, wh: &Warehouse, effects: Vec<Effect>) {
    let Some(Effect::ComputeChart { id, spec, .. }) = effects
        .into_iter()
        .find(|e| matches!(e, Effect::ComputeChart { .. }))
    else {
        panic!("no chart was asked for");
    };
    let view = app.sql.chart.as_ref().expect("the chart is open");
    let data = compute(
        wh.conn(),
        &format!("temp.{}", pager::result_table(1, 0)),
        &view.result.columns,
        view.result.total_rows,
        &spec,
    )
    .map_err(Failure::of);
    app.update(Action::ChartLoaded(id, Box::new(data)));
}

/// The chart of `sql`'s result at each size, after `changes`.
fn chart_snapshots(
    wh: &Warehouse,
    name: &str,
    sql: &str,
    changes: &[ChartChange],
    kind: ChartKind,
) {
    for (width, height) in SIZES {
        let mut app = app_on_raw(wh, width, height);
        show_result(&mut app, wh, sql);
        let effects = app.update(Action::OpenChart);
        answer_chart(&mut app, wh, effects);
        for change in changes {
            let effects = app.update(Action::ChangeChart(*change));
            answer_chart(&mut app, wh, effects);
        }
        let view = app.sql.chart.as_ref().unwrap();
        assert_eq!(view.spec.kind, kind, "{name}");
        assert!(matches!(view.data, Some(Ok(_))), "{name}: {:?}", view.data);
        insta::assert_snapshot!(
            format!("chart_{name}_{width}x{height}"),
            render(&app, width, height)
        );
    }
}

#[test]
fn line_bar_scatter_and_histogram_charts_of_the_full_data() {
    let db = full_warehouse();
    let wh = Warehouse::open(&db).unwrap();
    chart_snapshots(
        &wh,
        "line_revenue_by_month",
        "SELECT date_trunc('month', invoice_ts) AS month, sum(quantity * unit_price) AS revenue, \
         count(*) AS lines FROM raw.order_lines GROUP BY 1 ORDER BY 1",
        &[ChartChange::AddY],
        ChartKind::Line,
    );
    chart_snapshots(
        &wh,
        "bar_revenue_by_country",
        "SELECT country, sum(quantity * unit_price) AS revenue FROM raw.order_lines GROUP BY 1",
        &[],
        ChartKind::Bar,
    );
    chart_snapshots(
        &wh,
        "scatter_quantity_price",
        "SELECT quantity, unit_price FROM raw.order_lines WHERE quantity BETWEEN 1 AND 100 AND unit_price BETWEEN 0 AND 20 \
         ORDER BY quantity, unit_price",
        &[],
        ChartKind::Scatter,
    );
    chart_snapshots(
        &wh,
        "histogram_unit_price",
        "SELECT unit_price FROM raw.order_lines WHERE unit_price BETWEEN 0 AND 15",
        &[],
        ChartKind::Histogram,
    );
}

#[test]
fn a_chart_over_the_whole_result_sums_to_its_total_and_saves_as_png_and_svg() {
    let db = full_warehouse();
    let wh = Warehouse::open(&db).unwrap();
    // Every order line, charted by day: the line sums the whole table, not a page.
    let sql = "SELECT invoice_ts, quantity FROM raw.order_lines";
    let result = pager::run(wh.conn(), sql, &pager::result_table(1, 0)).unwrap();
    assert_eq!(result.total_rows, 541_909);
    let grid = GridResult {
        query_id: 1,
        columns: result.columns.clone(),
        total_rows: result.total_rows,
        elapsed_ms: 1,
    };
    let view = ecom::tui::chart::ChartView::open(&grid, 1).unwrap();
    assert_eq!(view.spec.kind, ChartKind::Line);
    let data = compute(
        wh.conn(),
        &format!("temp.{}", pager::result_table(1, 0)),
        &grid.columns,
        grid.total_rows,
        &view.spec,
    )
    .unwrap();
    assert!(data.series[0].points.len() <= 300);
    let total: f64 = data.series[0].points.iter().map(|p| p.1).sum();
    let expected: f64 = wh
        .conn()
        .query_row(
            "SELECT sum(quantity)::DOUBLE FROM raw.order_lines WHERE invoice_ts IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(total, expected);
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("ecom-chart-test");
    let message = ecom::tui::save_chart(&data, stem.to_str().unwrap()).unwrap();
    assert!(message.ends_with("ecom-chart-test.svg"), "{message}");
    let png = std::fs::read(stem.with_extension("png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!(width >= 1200 && height >= 800, "{width}×{height}");
    let svg = std::fs::read_to_string(stem.with_extension("svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("quantity"),
        "the legend names the series"
    );
}

/// The dashboard on the full marts, every panel run as the panel runner does.
fn dashboard(wh: &Warehouse, width: u16, height: u16) -> App {
    dashboard_on(wh, width, height, ecom::dashboards::Places::default())
}

fn sum_of(wh: &Warehouse, sql: &str, what: &str) -> f64 {
    wh.conn()
        .query_row(&format!("SELECT {what} FROM ({sql})"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn drill_down_rows_sum_to_the_figures_they_explain() {
    let db = full_marts();
    let wh = Warehouse::open(&db).unwrap();
    let period = PeriodPreset::All.resolve(wh.conn()).unwrap();
    let data = gather_for(wh.conn(), period, None).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() < 0.01;
    let revenue = rows_sql(Some(&data.period), None, &Figure::Revenue);
    assert!(close(
        sum_of(&wh, &revenue, "sum(revenue)::DOUBLE"),
        data.kpis.revenue
    ));
    let orders = rows_sql(Some(&data.period), None, &Figure::Orders);
    assert_eq!(
        sum_of(&wh, &orders, "count(DISTINCT invoice_no)::DOUBLE"),
        data.kpis.orders as f64
    );
    for (month, figure) in &data.monthly_revenue {
        let sql = rows_sql(Some(&data.period), None, &Figure::Month(month.clone()));
        assert!(
            close(sum_of(&wh, &sql, "sum(revenue)::DOUBLE"), *figure),
            "{month}"
        );
    }
    for (country, figure) in &data.top_countries {
        let sql = rows_sql(Some(&data.period), None, &Figure::Country(country.clone()));
        assert!(
            close(sum_of(&wh, &sql, "sum(revenue)::DOUBLE"), *figure),
            "{country}"
        );
    }
    // With the dashboard filtered to France over the last three months.
    let period = PeriodPreset::LastQuarter.resolve(wh.conn()).unwrap();
    let france = gather_for(wh.conn(), period, Some("France")).unwrap();
    let (month, figure) = france.monthly_revenue.last().unwrap();
    let sql = rows_sql(
        Some(&france.period),
        Some("France"),
        &Figure::Month(month.clone()),
    );
    assert!(close(sum_of(&wh, &sql, "sum(revenue)::DOUBLE"), *figure));
    assert!(close(
        sum_of(
            &wh,
            &rows_sql(Some(&france.period), Some("France"), &Figure::Revenue),
            "sum(revenue)::DOUBLE"
        ),
        france.kpis.revenue
    ));
}

#[test]
fn enter_on_the_top_countries_panel_opens_its_query_in_a_new_sql_tab() {
    let db = full_marts();
    let wh = Warehouse::open(&db).unwrap();
    for (width, height) in SIZES {
        let mut app = dashboard(&wh, width, height);
        // Top countries is the seventh panel.
        app.update(Action::Move(6));
        insta::assert_snapshot!(
            format!("dashboard_selection_{width}x{height}"),
            render(&app, width, height)
        );
        let effects = app.update(Action::DrillDown);
        let ran = work_off_dashboard(&mut app, &wh, effects);
        assert_eq!(app.screen, Screen::Sql);
        assert_eq!(app.sql.tabs.tabs.len(), 2, "a new tab");
        assert_eq!(ran.len(), 2, "PREPARE, then EXECUTE: {ran:?}");
        let screen = render(&app, width, height);
        let top: String = wh
            .conn()
            .query_row(
                "SELECT country FROM marts.fact_sales GROUP BY 1 ORDER BY sum(revenue) DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(screen.contains(&top), "{screen}");
        insta::assert_snapshot!(format!("drill_down_tab_{width}x{height}"), screen);
    }
}

#[test]
fn clicks_switch_screens_pick_catalog_entries_rows_and_dashboard_figures() {
    use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let db = full_marts();
    let wh = Warehouse::open(&db).unwrap();
    let mut app = dashboard(&wh, 80, 24);
    let click = |app: &mut App, column, row| {
        let event = MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        };
        let action = ecom::tui::keymap::mouse_action(&app.key_context(), event).unwrap();
        app.update(action)
    };
    // The third tile (Customers, 2 of 12 columns after 3 and 3) sits at 40..53 of 80
    // columns, rows 2..7 (under the title and the variables bar).
    click(&mut app, 45, 3);
    assert_eq!(app.dashboard.selected, 2);
    click(&mut app, 10, 3);
    assert_eq!(app.dashboard.selected, 0, "the Revenue tile");
    click(&mut app, 45, 3);
    // A second click on the selected panel opens its query.
    let effects = click(&mut app, 45, 3);
    assert!(
        matches!(&effects[..], [Effect::Dashboard(_)]),
        "{effects:?}"
    );
    assert_eq!(work_off_dashboard(&mut app, &wh, effects).len(), 2);
    assert_eq!(app.screen, Screen::Sql);
    // "  1 Dashboard" on the title row brings the dashboard back.
    let effects = click(&mut app, 9, 0);
    assert_eq!(app.screen, Screen::Dashboard);
    assert!(matches!(effects[0], Effect::Dashboard(_)));
    click(&mut app, 22, 0);
    assert_eq!(app.screen, Screen::Sql);
    // A grid row: the result's rows start under the editor, border and header.
    let mut app = app_on(&wh, 80, 24);
    show_result(&mut app, &wh, "SELECT * FROM range(100)");
    click(&mut app, 40, 15);
    assert_eq!(app.sql.grid.selected, 4);
    assert_eq!(app.sql.focus, ecom::tui::focus::Pane::Grid);
}

#[test]
fn chart_and_drill_down_in_tmux() {
    let db = full_marts();
    let session = Session::start("charts", &db, (120, 36), "");
    session.wait_for("order_lines");
    // The starter query (revenue by country), charted: a bar chart with its legend.
    session.keys(&["r"]);
    session.wait_for("Results: 38 rows");
    session.keys(&["v"]);
    // The legend shows once the worker computed the chart.
    let screen = session.wait_for("■ lines");
    assert!(
        screen.contains("Chart: sum of lines by country (bar)"),
        "{screen}"
    );
    assert!(screen.contains("United Kingdom"), "{screen}");
    session.keys(&["y"]);
    session.wait_for("■ revenue");
    session.keys(&["c"]);
    let screen = session.wait_for("(scatter)");
    assert!(screen.contains("lines"), "the legend: {screen}");
    session.keys(&["Escape"]);
    session.wait_until("the chart closed", |s| !s.contains("Chart:"));
    // A click on the title's "1 Dashboard" (an SGR mouse report, as a terminal sends
    // it: column 9, row 1, 1-based), then the Top countries panel (the seventh) and
    // Enter: a new SQL tab runs its query.
    session.keys(&["-l", "\x1b[<0;9;1M\x1b[<0;9;1m"]);
    session.wait_for("Top countries");
    session.wait_until("the panels", |s| !s.contains("loading…"));
    session.keys(&["Down", "Down", "Down", "Down", "Down", "Down", "Enter"]);
    let screen = session.wait_for("[2]: 10 rows");
    assert!(screen.contains("SQL 1 [2]"), "{screen}");
    assert!(screen.contains("EXECUTE panel"), "{screen}");
    assert!(screen.contains("United Kingdom"), "{screen}");
    session.quit();
}

#[test]
fn enter_on_a_segment_or_an_anomaly_lists_its_customers_or_its_day() {
    let db = full_marts();
    run_ok(ecom(&db).args(["--quiet", "ml", "segment", "--seed", "7"]));
    run_ok(ecom(&db).args(["--quiet", "ml", "anomalies"]));
    let wh = Warehouse::open(&db).unwrap();
    let mut summary = ecom::ml::summary::summary(wh.conn()).unwrap();
    // The runs carry today's date: left out of the snapshots.
    summary.runs.clear();
    for (width, height) in SIZES {
        let mut app = app_on_raw(&wh, width, height);
        app.update(Action::ShowScreen(Screen::Ml));
        app.update(Action::MlLoaded(Box::new(Ok(summary.clone()))));
        app.update(Action::Move(1));
        insta::assert_snapshot!(
            format!("ml_selection_{width}x{height}"),
            render(&app, width, height)
        );
        // The second segment: its rows hold exactly its customers.
        let effects = app.update(Action::DrillDown);
        let Some(Effect::RunQuery { statements, .. }) = effects.last() else {
            panic!("{effects:?}");
        };
        let sql = &statements[0].sql;
        let customers = sum_of(&wh, sql, "count(DISTINCT customer_id)::DOUBLE");
        assert_eq!(customers, summary.segments[1].size as f64, "{sql}");
    }
    // A click on the third segment's row selects it (border, header, then rows).
    let mut app = app_on(&wh, 80, 24);
    app.update(Action::ShowScreen(Screen::Ml));
    app.update(Action::MlLoaded(Box::new(Ok(summary.clone()))));
    app.update(Action::Click(10, 5));
    assert_eq!(app.ml.selected, 2);
    let effects = app.update(Action::Click(10, 5));
    assert!(
        matches!(effects.last(), Some(Effect::RunQuery { .. })),
        "a second click drills down"
    );
    // The strongest anomaly: its day's lines sum to that day's net revenue.
    let mut app = app_on(&wh, 80, 24);
    app.update(Action::ShowScreen(Screen::Ml));
    app.update(Action::MlLoaded(Box::new(Ok(summary.clone()))));
    app.update(Action::Move(summary.segments.len() as i64));
    let effects = app.update(Action::DrillDown);
    let Some(Effect::RunQuery { statements, .. }) = effects.last() else {
        panic!("{effects:?}");
    };
    let sql = &statements[0].sql;
    let day = &summary.anomalies[0].when;
    let expected: f64 = wh
        .conn()
        .query_row(
            "SELECT coalesce(sum(revenue), 0)::DOUBLE FROM marts.fact_sales WHERE invoice_ts::DATE = CAST(? AS DATE)",
            [day],
            |r| r.get(0),
        )
        .unwrap();
    assert!((sum_of(&wh, sql, "coalesce(sum(revenue), 0)::DOUBLE") - expected).abs() < 0.01);
    if let Some((_, revenue)) = summary
        .daily_revenue
        .iter()
        .find(|(d, _)| d.to_string() == *day)
    {
        assert!(
            (expected - revenue).abs() < 0.01,
            "{day}: {expected} against {revenue}"
        );
    }
}
