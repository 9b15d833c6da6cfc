//! Screen 1, dashboards as code: the shipped overview, a user's dashboard from
//! `--dashboards DIR` with every kind of panel, the picker, a broken file shown with its
//! line, a file edited on disk reloading, and Enter opening a panel's query in a SQL tab
//! whose rows are the panel's figure, on the full data.

use std::path::Path;
use std::time::{Duration, SystemTime};

use ecom::dashboards::{Figure, Places};
use ecom::tui::action::Action;
use ecom::tui::app::App;
use ecom::tui::effect::Effect;
use ecom::tui::screen::Screen;
use ecom::warehouse::{Warehouse, pager, statements};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::common::full_marts;
use crate::tui_support::{dashboard_on, render, work_off, work_off_dashboard};

/// A user's dashboard with a KPI with thresholds, a gauge, a sparkline, a heatmap and
/// a stacked bar over the marts.
const USER: &str = r#"
title = "Shop floor"

[[variables]]
name = "country"
label = "Country"
values = ["United Kingdom", "France"]
default = "France"

[[panels]]
title = "Cancelled lines"
kind = "kpi"
width = 4
unit = "%"
thresholds = [{ from = 0, color = "green" }, { from = 0.01, color = "red" }]
sql = "select avg(is_cancellation::int) from marts.fact_sales where country = $country"

[[panels]]
title = "Orders vs 500"
kind = "gauge"
width = 4
max = 500
thresholds = [{ from = 0, color = "red" }, { from = 300, color = "green" }]
sql = "select count(distinct invoice_no) from marts.fact_sales where country = $country"

[[panels]]
title = "Lines per month"
kind = "sparkline"
width = 4
sql = "select strftime(invoice_ts, '%Y-%m') as m, count(*) as n from marts.fact_sales where country = $country group by 1 order by 1"

[[panels]]
title = "Lines by weekday and hour"
kind = "heatmap"
width = 6
sql = """
select dayname(invoice_ts) as day, hour(invoice_ts)::varchar as hour, count(*) as n
from marts.fact_sales where country = $country and hour(invoice_ts) between 8 and 15
group by all order by min(isodow(invoice_ts)), min(hour(invoice_ts))
"""

[[panels]]
title = "Lines by quarter and kind"
kind = "stacked_bar"
width = 6
sql = """
select strftime(invoice_ts, '%Y') || '-Q' || quarter(invoice_ts) as quarter,
       case when is_cancellation then 'cancelled' else 'sold' end as kind, count(*) as n
from marts.fact_sales where country = $country group by all order by 1, 2
"""
"#;

fn key(code: KeyCode) -> Action {
    Action::DashboardMenuKey(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Places with only `dir` besides the shipped dashboards (no config folder).
fn places(dir: &Path) -> Places {
    Places {
        config: None,
        dir: Some(dir.to_path_buf()),
    }
}

/// Writes `text` to `path` with a modification time `seconds` after a fixed one, so
/// each write reads as a change whatever the file system's clock resolution.
fn write(path: &Path, text: &str, seconds: u64) {
    std::fs::write(path, text).unwrap();
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + seconds))
        .unwrap();
}

/// Ten ticks: the screen looks at the file once a second.
fn second(app: &mut App, wh: &Warehouse) {
    for _ in 0..10 {
        let effects = app.update(Action::Tick);
        work_off_dashboard(app, wh, effects);
    }
}

fn scalar(wh: &Warehouse, sql: &str) -> f64 {
    wh.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn figure(app: &App, index: usize) -> Figure {
    app.dashboard.panels[index]
        .figure
        .clone()
        .unwrap()
        .unwrap_or_else(|e| panic!("panel {index}: {e}"))
}

#[test]
fn the_shipped_overview_shows_the_fixed_dashboards_figures() {
    let db = full_marts();
    let wh = Warehouse::open(&db).unwrap();
    let mut app = dashboard_on(&wh, 160, 48, Places::default());
    let screen = render(&app, 160, 48);
    insta::assert_snapshot!("overview_160x48", screen);
    // The figures the fixed screen showed: revenue, orders, customers.
    let report = ecom::export::report::gather_for(wh.conn(), None, None).unwrap();
    for shown in [
        format!("£{}", ecom::export::charts::money(report.kpis.revenue)),
        ecom::format::thousands(report.kpis.orders as u64),
        ecom::format::thousands(report.kpis.customers as u64),
    ] {
        assert!(screen.contains(&shown), "{shown} in\n{screen}");
    }
    assert!(
        app.status.text.ends_with(": 11 panels"),
        "{}",
        app.status.text
    );
    // The last panel selected: the grid scrolls to show it.
    app.update(Action::Move(100));
    insta::assert_snapshot!("overview_scrolled_80x24", render(&app, 80, 24));
    // `p` and `f` change the period and the country, and every panel runs again.
    let effects = app.update(Action::DashboardPeriod);
    assert!(
        matches!(&effects[..], [Effect::Dashboard(_)]),
        "{effects:?}"
    );
    work_off_dashboard(&mut app, &wh, effects);
    let effects = app.update(Action::DashboardCountry);
    work_off_dashboard(&mut app, &wh, effects);
    assert_eq!(
        app.dashboard.selection.0,
        [
            ("period".to_string(), "last-year".to_string()),
            ("country".to_string(), "United Kingdom".to_string())
        ]
    );
    let Figure::Kpi { value, previous } = figure(&app, 0) else {
        panic!()
    };
    let period = app
        .dashboard
        .variables()
        .unwrap()
        .bindings
        .period()
        .unwrap();
    let uk = |p: ecom::export::report::Period| {
        scalar(
            &wh,
            &format!(
                "select sum(revenue)::double from marts.fact_sales where country = 'United Kingdom' \
                 and invoice_ts::date between date '{}' and date '{}'",
                p.from, p.to
            ),
        )
    };
    assert!((value.unwrap() - uk(period)).abs() < 0.01);
    assert!((previous.unwrap() - uk(period.previous())).abs() < 0.01);
    let bar = render(&app, 160, 48);
    assert!(
        bar.contains("period last-year (2010-12-10 to 2011-12-09)"),
        "{bar}"
    );
    assert!(bar.contains("country United Kingdom"), "{bar}");
}

#[test]
fn a_user_dashboard_from_the_dashboards_dir_draws_every_kind_and_takes_a_variable() {
    let db = full_marts();
    let wh = Warehouse::open(&db).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("shop.toml"), USER, 0);
    write(
        &dir.path().join("broken.toml"),
        "title = 'x'\n[[panels]]\ntitle = 'p'\nkind = 'pie'\nsql = 'select 1'\n",
        0,
    );
    let mut app = dashboard_on(&wh, 120, 40, places(dir.path()));
    app.update(Action::OpenDashboards);
    insta::assert_snapshot!("picker", render(&app, 120, 40));
    // broken, overview, shop: the overview is selected; down once is shop.
    app.update(key(KeyCode::Down));
    let effects = app.update(key(KeyCode::Enter));
    work_off_dashboard(&mut app, &wh, effects);
    assert_eq!(app.dashboard.file.as_ref().unwrap().name, "shop");
    insta::assert_snapshot!("user_dashboard", render(&app, 120, 40));
    let orders = |country: &str| {
        scalar(
            &wh,
            &format!(
                "select count(distinct invoice_no)::double from marts.fact_sales where country = '{country}'"
            ),
        )
    };
    let Figure::Gauge { value, .. } = figure(&app, 1) else {
        panic!()
    };
    assert_eq!(value, Some(orders("France")));
    // v, then the country, then its first value: every panel runs for it.
    app.update(Action::ChooseVariable);
    app.update(key(KeyCode::Enter));
    insta::assert_snapshot!("variable_values", render(&app, 120, 40));
    app.update(key(KeyCode::Up));
    let effects = app.update(key(KeyCode::Enter));
    work_off_dashboard(&mut app, &wh, effects);
    let Figure::Gauge { value, .. } = figure(&app, 1) else {
        panic!()
    };
    assert_eq!(value, Some(orders("United Kingdom")));
    // The broken file, picked, shows its mistake with its line in place of the panels.
    app.update(Action::OpenDashboards);
    app.update(key(KeyCode::Home));
    app.update(key(KeyCode::Enter));
    let screen = render(&app, 120, 40).replace(dir.path().to_str().unwrap(), "[dir]");
    insta::assert_snapshot!("broken_file", screen);
    assert!(screen.contains("broken.toml line 4"), "{screen}");
}

#[test]
fn a_dashboard_edited_on_disk_reloads_and_a_mistake_shows_until_it_is_fixed() {
    let db = full_marts();
    let wh = Warehouse::open(&db).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aaa.toml");
    let one = "title = 'Mine'\n[[panels]]\ntitle = 'Lines'\nkind = 'kpi'\nsql = 'select count(*) from marts.fact_sales'\n";
    write(&path, one, 0);
    let mut app = dashboard_on(&wh, 100, 20, places(dir.path()));
    app.update(Action::OpenDashboards);
    app.update(key(KeyCode::Home));
    let effects = app.update(key(KeyCode::Enter));
    work_off_dashboard(&mut app, &wh, effects);
    let lines = scalar(&wh, "select count(*)::double from marts.fact_sales");
    assert_eq!(
        figure(&app, 0),
        Figure::Kpi {
            value: Some(lines),
            previous: None
        }
    );
    // A second panel appears once the file changes on disk.
    let two = format!(
        "{one}[[panels]]\ntitle = 'Countries'\nkind = 'kpi'\nsql = 'select count(distinct country) from marts.fact_sales'\n"
    );
    write(&path, &two, 1);
    second(&mut app, &wh);
    assert_eq!(app.dashboard.panels.len(), 2);
    let countries = scalar(
        &wh,
        "select count(distinct country)::double from marts.fact_sales",
    );
    assert_eq!(
        figure(&app, 1),
        Figure::Kpi {
            value: Some(countries),
            previous: None
        }
    );
    // A mistake on line 7 shows in place of the panels; the workbench goes on.
    write(
        &path,
        &two.replace(
            "kind = 'kpi'\nsql = 'select count(distinct",
            "kind = 'kpi'\nwidth = 13\nsql = 'select count(distinct",
        ),
        2,
    );
    second(&mut app, &wh);
    let screen = render(&app, 100, 20).replace(dir.path().to_str().unwrap(), "[dir]");
    insta::assert_snapshot!("edited_with_a_mistake", screen);
    assert!(screen.contains("aaa.toml line 9: width 13"), "{screen}");
    write(&path, &two, 3);
    second(&mut app, &wh);
    assert_eq!(
        figure(&app, 1),
        Figure::Kpi {
            value: Some(countries),
            previous: None
        }
    );
}

#[test]
fn enter_on_a_panel_opens_its_query_in_a_sql_tab_with_the_panels_rows() {
    let db = full_marts();
    let wh = Warehouse::open(&db).unwrap();
    let mut app = dashboard_on(&wh, 120, 40, Places::default());
    let effects = app.update(Action::DashboardCountry);
    work_off_dashboard(&mut app, &wh, effects);
    // Revenue by month (the sixth panel), for the top country.
    app.update(Action::Move(5));
    let Figure::Series(months) = figure(&app, 5) else {
        panic!()
    };
    let effects = app.update(Action::DrillDown);
    let [Effect::Dashboard(job)] = &effects[..] else {
        panic!("{effects:?}")
    };
    let Action::OpenPanelQuery(sql) = ecom::tui::panels::answer(wh.conn(), job.clone()) else {
        panic!()
    };
    assert!(sql.contains("EXECUTE panel("), "{sql}");
    assert!(sql.contains("country := 'United Kingdom'"), "{sql}");
    let effects = app.update(Action::OpenPanelQuery(sql.clone()));
    assert_eq!(app.screen, Screen::Sql);
    assert_eq!(app.sql.tabs.tabs.len(), 2, "a new tab");
    assert_eq!(
        work_off(&mut app, &wh, effects).len(),
        2,
        "PREPARE, EXECUTE"
    );
    // The tab's last statement lists the panel's rows: each month and its revenue.
    let last = statements::split(&sql).pop().unwrap();
    let result = pager::run(wh.conn(), &last.text, "unused").unwrap();
    let pager::ResultRows::Inline(rows) = result.rows else {
        panic!()
    };
    let tab: Vec<(String, f64)> = rows
        .iter()
        .map(|r| (r[0].clone(), r[1].parse::<f64>().unwrap()))
        .collect();
    let panel: Vec<(String, f64)> = months
        .x_labels
        .iter()
        .zip(&months.series[0].1)
        .map(|(m, v)| (m.clone(), v.unwrap()))
        .collect();
    assert_eq!(tab.len(), 13);
    for ((a, x), (b, y)) in tab.iter().zip(&panel) {
        assert_eq!(a, b);
        assert!((x - y).abs() < 0.01, "{a}: {x} vs {y}");
    }
    let screen = render(&app, 120, 40);
    assert!(screen.contains("2010-12"), "{screen}");
}

#[test]
fn answers_of_an_older_generation_are_dropped_and_a_failing_panel_keeps_to_itself() {
    let db = full_marts();
    let wh = Warehouse::open(&db).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = "title = 'Two'\n[[variables]]\nname = 'country'\nvalues = ['France', 'Germany']\n\
        [[panels]]\ntitle = 'Orders'\nkind = 'kpi'\nsql = 'select count(distinct invoice_no) from marts.fact_sales where country = $country'\n\
        [[panels]]\ntitle = 'Wrong'\nkind = 'kpi'\nsql = 'select nope from marts.fact_sales'\n";
    write(&dir.path().join("aaa.toml"), text, 0);
    let mut app = dashboard_on(&wh, 100, 20, places(dir.path()));
    app.update(Action::OpenDashboards);
    app.update(key(KeyCode::Home));
    let effects = app.update(key(KeyCode::Enter));
    // The variables' answer of this generation asks for both panels.
    let [Effect::Dashboard(bind)] = &effects[..] else {
        panic!("{effects:?}")
    };
    let panels = app.update(ecom::tui::panels::answer(wh.conn(), bind.clone()));
    assert_eq!(panels.len(), 2);
    // France's answers arrive after `f` asked for Germany: they are dropped.
    let germany = app.update(Action::DashboardCountry);
    for job in panels {
        let Effect::Dashboard(job) = job else {
            panic!()
        };
        app.update(ecom::tui::panels::answer(wh.conn(), job));
    }
    assert!(app.dashboard.panels.iter().all(|p| p.figure.is_none()));
    work_off_dashboard(&mut app, &wh, germany);
    let orders = scalar(
        &wh,
        "select count(distinct invoice_no)::double from marts.fact_sales where country = 'Germany'",
    );
    assert_eq!(
        figure(&app, 0),
        Figure::Kpi {
            value: Some(orders),
            previous: None
        }
    );
    let Some(Err(e)) = &app.dashboard.panels[1].figure else {
        panic!()
    };
    assert!(e.0.starts_with("panel `Wrong` (line 10): "), "{e}");
    assert!(
        app.status.text.ends_with("2 panels, 1 failed"),
        "{}",
        app.status.text
    );
    let screen = render(&app, 100, 20);
    assert!(screen.contains("nope"), "the error in place:\n{screen}");
}
