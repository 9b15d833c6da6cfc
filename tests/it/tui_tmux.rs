//! End to end: the real binary in tmux on the full data. Open, run a query, scroll,
//! visit every screen, build the models and watch them, cancel a build, use SQL tabs,
//! quit; check the screens.

use std::time::{Duration, Instant};

use crate::common::*;
use crate::tmux::Session;

/// The selected row number in the results title (`· row 1,234 `).
fn selected_row(screen: &str) -> u64 {
    screen
        .split("· row ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(|n| n.replace(',', ""))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn open_query_scroll_quit_in_tmux() {
    let db = full_warehouse();
    // A stand-in for $VISUAL that writes a query, to check Ctrl+E end to end.
    let editor = db.parent().unwrap().join("fake-editor.sh");
    std::fs::write(&editor, "#!/bin/sh\necho 'SELECT 42 AS answer' > \"$1\"\n").unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&editor)
        .status()
        .unwrap();
    let visual = format!("VISUAL={}", editor.display());
    let session = Session::start("e2e", &db, (120, 36), &visual);
    session.wait_for("order_lines");
    session.wait_for("541,909");
    // The starter query: revenue by country over the whole data set.
    session.keys(&["r"]);
    let screen = session.wait_for("Results: 38 rows");
    assert!(screen.contains("United Kingdom"), "{screen}");
    // Scroll down through the grid.
    session.keys(&["j", "j", "j"]);
    session.wait_for("row 4 ");
    session.keys(&["G"]);
    session.wait_for("row 38 ");
    // Open the big table from the catalog (selected at start) and page through it.
    session.keys(&["Tab"]);
    session.wait_for("raw.order_lines");
    session.keys(&["Enter"]);
    session.wait_for("Results: 541,909 rows");
    session.keys(&["PageDown", "PageDown", "PageDown"]);
    let started = Instant::now();
    while selected_row(&session.screen()) < 40 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{}",
            session.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    session.keys(&["G"]);
    // The title moves at once; the last page of rows follows from the worker.
    let screen = session.wait_until("the last page of rows", |screen| {
        screen.contains("row 541,909 ") && !screen.contains("…  …")
    });
    assert!(
        screen.matches("541,909").count() >= 3,
        "the last row is numbered in the grid:\n{screen}"
    );
    // The other screens: the dashboard (marts built or not, depending on test order)
    // and data quality.
    session.keys(&["1"]);
    session.wait_until("the dashboard", |s| {
        s.contains("Customers") || s.contains("ecom models build")
    });
    // Start a model build from the Models screen and watch it finish on the Jobs screen.
    session.keys(&["3"]);
    session.wait_for("stg_order_lines");
    session.keys(&["b"]);
    session.keys(&["4"]);
    session.wait_for("models build");
    let screen = session.wait_until("the build to finish", |s| {
        s.contains("done: ") || s.contains("failed: ")
    });
    assert!(screen.contains("done: 176 nodes"), "{screen}");
    // A second build, cancelled from the Jobs screen (a new job is selected there).
    session.keys(&["3"]);
    session.wait_for("tree of the DAG");
    session.keys(&["b"]);
    session.keys(&["4"]);
    session.wait_until("the second build", |s| {
        s.matches("models build").count() >= 2
    });
    session.keys(&["x"]);
    let screen = session.wait_for("failed: cancelled");
    assert!(screen.contains("done: 176 nodes"), "{screen}");
    // The Stream and ML screens (no tail running: the tail's target and hint show).
    session.keys(&["5"]);
    session.wait_for("Tail of");
    session.keys(&["6"]);
    session.wait_until("the ML screen", |s| {
        s.contains("s: segments") || s.contains("Segments (ml.segment_profiles)")
    });
    session.keys(&["7"]);
    session.wait_for("Quarantined rows: 0");
    session.keys(&["2"]);
    session.wait_for("Catalog");
    // Ctrl+E hands the SQL to $VISUAL and takes the edited text back.
    session.keys(&["C-e"]);
    session.wait_for("SELECT 42 AS answer");
    session.keys(&["r"]);
    session.wait_for("Results: 1 rows");
    // A second tab with its own query; the first keeps its result.
    session.keys(&["C-t"]);
    session.wait_for("SQL 1 [2]");
    session.keys(&["SELECT 7 AS seven"]);
    session.keys(&["Escape"]);
    // Esc and a key that arrive together read as Alt+key: let the Esc land first.
    session.wait_for(" NORMAL ");
    session.keys(&["r"]);
    session.wait_for("seven");
    session.keys(&["{"]);
    let screen = session.wait_for("SQL [1] 2");
    assert!(screen.contains("answer"), "{screen}");
    session.quit();
}

#[test]
fn a_user_dashboard_from_the_dashboards_dir_in_tmux() {
    let db = full_marts();
    let dir = db.parent().unwrap().join("tmux-dashboards");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("shop.toml"),
        r#"title = "Shop floor"

[[variables]]
name = "country"
values = ["France", "Germany"]

[[panels]]
title = "Orders in the country"
kind = "kpi"
width = 6
sql = "select count(distinct invoice_no) from marts.fact_sales where country = $country"

[[panels]]
title = "Lines per quarter"
kind = "bar"
width = 6
sql = "select strftime(invoice_ts, '%Y') || '-Q' || quarter(invoice_ts) as q, count(*) as lines from marts.fact_sales where country = $country group by 1 order by 1"
"#,
    )
    .unwrap();
    let orders = |country: &str| {
        let n = scalar(
            &db,
            &format!(
                "select count(distinct invoice_no) as n from marts.fact_sales where country = '{country}'"
            ),
        );
        ecom::format::thousands(n.as_u64().unwrap())
    };
    let (france, germany) = (orders("France"), orders("Germany"));
    let env = format!("ECOM_DASHBOARDS={}", dir.display());
    let session = Session::start("dashboards", &db, (120, 30), &env);
    session.wait_for("order_lines");
    session.keys(&["1"]);
    session.wait_for("Online retail");
    session.keys(&["d"]);
    session.wait_for("Dashboards: Enter opens");
    // overview, then shop: down once.
    session.keys(&["Down", "Enter"]);
    let screen = session.wait_for(&format!("{france} "));
    eprintln!("{screen}");
    assert!(screen.contains("Shop floor  country France"), "{screen}");
    assert!(screen.contains("Orders in the country"), "{screen}");
    assert!(screen.contains("Lines per quarter"), "{screen}");
    // `f` moves the country on: the tile follows.
    session.keys(&["f"]);
    let screen = session.wait_for("country Germany");
    let screen = if screen.contains(&format!("{germany} ")) {
        screen
    } else {
        session.wait_for(&format!("{germany} "))
    };
    eprintln!("{screen}");
    session.quit();
}
