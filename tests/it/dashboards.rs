//! Dashboards as code: the shipped dashboard's figures equal the same questions asked
//! in plain SQL; `ecom dashboard ls|new|render` and `ecom report --dashboard` on the
//! real binary. The rendered PNG is compared with `tests/fixtures/dashboards/overview.png`
//! (rewrite it with `ECOM_UPDATE_REFERENCE=1` after a deliberate change of the drawing).

use std::path::{Path, PathBuf};

use ecom::dashboards::{Figure, Places, Selection, evaluate};
use ecom::export::report::gather_for;
use ecom::warehouse::Warehouse;

use crate::common::{ecom, full_marts, run_ok, sample_csv, scalar};

#[test]
fn the_shipped_dashboard_shows_the_reference_figures() {
    let db = full_marts();
    let warehouse = Warehouse::open(&db).unwrap();
    let overview = Places::default().find("overview").unwrap().load().unwrap();
    let all = evaluate(warehouse.conn(), overview.clone(), &Selection::default()).unwrap();
    for (panel, figure) in all.dashboard.panels.iter().zip(&all.figures) {
        assert!(figure.is_ok(), "{}: {:?}", panel.title, figure);
    }
    // The fixed dashboard's figures (the report's code) are the file's figures.
    let report = gather_for(warehouse.conn(), None, None).unwrap();
    let kpi = |i: usize| match all.figures[i].as_ref().unwrap() {
        Figure::Kpi {
            value,
            previous: None,
        } => value.unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(cents(kpi(0)), cents(report.kpis.revenue));
    assert_eq!(cents(kpi(0)), 9_726_006.95);
    assert_eq!(kpi(1) as i64, report.kpis.orders);
    assert_eq!(kpi(2) as i64, report.kpis.customers);
    assert_eq!(cents(kpi(3)), cents(report.kpis.average_order_value));
    assert_eq!(kpi(4), report.kpis.cancellation_rate);
    let Figure::Series(months) = all.figures[5].as_ref().unwrap() else {
        panic!("{:?}", all.figures[5])
    };
    let file_months: Vec<(String, f64)> = months
        .x_labels
        .iter()
        .zip(&months.series[0].1)
        .map(|(m, v)| (m.clone(), cents(v.unwrap())))
        .collect();
    let report_months: Vec<(String, f64)> = report
        .monthly_revenue
        .iter()
        .map(|(m, v)| (m.clone(), cents(*v)))
        .collect();
    assert_eq!(file_months, report_months);

    let november = Selection::from_args(
        &overview,
        &["period=2011-11".into(), "country=France".into()],
    )
    .unwrap();
    let france = evaluate(warehouse.conn(), overview, &november).unwrap();
    let Figure::Kpi { value, previous } = france.figures[0].as_ref().unwrap() else {
        panic!()
    };
    let expected = |from: &str, to: &str| -> f64 {
        warehouse
            .conn()
            .query_row(
                "select round(sum(revenue), 2)::double from marts.fact_sales where country = 'France' and invoice_ts::date between ?::date and ?::date",
                [from, to],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(value.map(cents), Some(expected("2011-11-01", "2011-11-30")));
    assert_eq!(
        previous.map(cents),
        Some(expected("2011-10-02", "2011-10-31"))
    );
}

fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// An `ecom` command whose config folder is `dir/config` (so `dashboard new` writes
/// there) and whose `--dashboards DIR` is `dir/extra`.
fn in_folders(dir: &Path, db: &Path) -> std::process::Command {
    let config = dir.join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(dir.join("extra")).unwrap();
    std::fs::write(config.join("config.toml"), "").unwrap();
    let mut cmd = ecom(db);
    cmd.arg("--config")
        .arg(config.join("config.toml"))
        .arg("--dashboards")
        .arg(dir.join("extra"));
    cmd
}

/// A dashboard whose `kind` on line 5 is not one.
const BROKEN: &str =
    "title = \"Broken\"\n\n[[panels]]\ntitle = \"p\"\nkind = \"pie\"\nsql = \"select 1\"\n";

#[test]
fn ls_lists_shipped_config_and_dir_dashboards_and_new_copies_the_shipped_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let written = run_ok(in_folders(dir.path(), &db).args(["dashboard", "new", "mine"]));
    let mine = dir.path().join("config/dashboards/mine.toml");
    assert_eq!(written.trim(), mine.display().to_string());
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/dashboards/overview.toml");
    assert_eq!(
        std::fs::read_to_string(&mine).unwrap(),
        std::fs::read_to_string(shipped).unwrap()
    );
    let out = in_folders(dir.path(), &db)
        .args(["dashboard", "new", "mine"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("mine.toml already exists"), "{stderr}");

    std::fs::write(
        dir.path().join("extra/sales.toml"),
        "title = \"Sales\"\n[[panels]]\ntitle = \"n\"\nkind = \"kpi\"\nsql = \"select 1\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("extra/broken.toml"), BROKEN).unwrap();
    let json = run_ok(in_folders(dir.path(), &db).args(["--json", "dashboard", "ls"]));
    let listed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows: Vec<(String, String, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let text = |k: &str| d[k].as_str().unwrap_or_default().to_string();
            let detail = match d["panels"].as_u64() {
                Some(n) => format!("{} ({n})", text("title")),
                None => text("error"),
            };
            (text("name"), text("origin"), detail)
        })
        .collect();
    let broken_path = dir.path().join("extra/broken.toml");
    assert_eq!(
        rows,
        [
            (
                "broken".to_string(),
                "dir".to_string(),
                format!(
                    "{} line 5: unknown variant `pie`, expected one of `kpi`, `line`, `bar`, `stacked_bar`, `table`, `heatmap`, `sparkline`, `gauge`",
                    broken_path.display()
                )
            ),
            ("mine".into(), "config".into(), "Online retail (11)".into()),
            (
                "overview".into(),
                "shipped".into(),
                "Online retail (11)".into()
            ),
            ("sales".into(), "dir".into(), "Sales (1)".into()),
        ]
    );
    let table = run_ok(in_folders(dir.path(), &db).args(["dashboard", "ls"]));
    assert!(table.contains("--dashboards"), "{table}");
    assert!(table.contains("broken.toml line 5:"), "{table}");

    // A broken file fails `render` with its line, before any warehouse is opened.
    let out = in_folders(dir.path(), &db)
        .args(["dashboard", "render", "broken", "--out"])
        .arg(dir.path().join("b.png"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken.toml line 5: unknown variant `pie`"),
        "{stderr}"
    );
    // Any other extension is a usage error naming the accepted ones.
    let out = in_folders(dir.path(), &db)
        .args(["dashboard", "render", "overview", "--out", "x.pdf"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("FILE.png, FILE.svg or FILE.html"),
        "{stderr}"
    );
}

#[test]
fn render_draws_the_shipped_dashboard_like_the_reference_and_binds_variables() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("overview.png");
    let html = dir.path().join("france.html");
    let (json, france_revenue, france_table) = {
        let db = full_marts();
        run_ok(
            ecom(&db)
                .args(["dashboard", "render", "overview", "--out"])
                .arg(&png),
        );
        let json = run_ok(
            ecom(&db)
                .args(["--json", "dashboard", "render", "overview"])
                .args([
                    "--var",
                    "period=2011-11",
                    "--var",
                    "country=France",
                    "--out",
                ])
                .arg(&html),
        );
        let revenue = scalar(
            &db,
            "select round(sum(revenue))::bigint from marts.fact_sales where country = 'France' and strftime(invoice_ts, '%Y-%m') = '2011-11'",
        );
        let table = scalar(
            &db,
            "select format('{:,.2f}', round(sum(revenue), 2)) from marts.fact_sales where country = 'France' and strftime(invoice_ts, '%Y-%m') = '2011-11'",
        );
        (
            json,
            revenue.as_u64().unwrap(),
            table.as_str().unwrap().to_string(),
        )
    };
    let actual = image::open(&png).unwrap().to_rgb8();
    assert!(
        actual.width() >= 1200 && actual.height() >= 800,
        "{:?}",
        actual.dimensions()
    );
    assert_eq!(actual.dimensions(), (1600, 1724));
    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dashboards/overview.png");
    if std::env::var_os("ECOM_UPDATE_REFERENCE").is_some() {
        std::fs::create_dir_all(reference.parent().unwrap()).unwrap();
        actual.save(&reference).unwrap();
    }
    let expected = image::open(&reference)
        .expect("the reference image")
        .to_rgb8();
    assert_eq!(actual.dimensions(), expected.dimensions());
    let differing = actual
        .pixels()
        .zip(expected.pixels())
        .filter(|(a, b)| a.0.iter().zip(b.0.iter()).any(|(x, y)| x.abs_diff(*y) > 64))
        .count();
    let share = differing as f64 / f64::from(actual.width() * actual.height());
    assert!(
        share <= 0.01,
        "{:.2}% of the pixels differ from {}",
        share * 100.0,
        reference.display()
    );

    let rendered: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rendered["width"], 1600);
    assert_eq!(rendered["out"], html.display().to_string());
    assert_eq!(rendered["panels"].as_array().unwrap().len(), 11);
    assert_eq!(rendered["panels"][0]["title"], "Revenue");
    assert_eq!(rendered["panels"][0]["kind"], "kpi");
    assert!(
        rendered["panels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["error"].is_null())
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("period = 2011-11 (2011-11-01..2011-11-30) · country = France"));
    let kpi = format!("£{}", ecom::format::thousands(france_revenue));
    assert!(page.contains(&kpi), "{kpi} in the page");
    assert!(
        page.contains(&format!(
            "<td>France</td><td class=\"num\">{france_table}</td>"
        )),
        "{france_table}"
    );
}

/// A warehouse of the bundled sample with the models built, in `dir`.
fn sample_marts(dir: &Path) -> PathBuf {
    let db = dir.join("w.duckdb");
    run_ok(ecom(&db).arg("--quiet").arg("ingest").arg(sample_csv()));
    run_ok(ecom(&db).args(["--quiet", "models", "build"]));
    db
}

#[test]
fn svg_and_html_are_written_escaped_and_self_contained_and_a_failing_panel_fails_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_marts(dir.path());
    std::fs::create_dir_all(dir.path().join("extra")).unwrap();
    std::fs::write(
        dir.path().join("extra/hostile.toml"),
        r#"title = "<script>alert('title')</script>"

[[variables]]
name = "who"
label = "<img src=x onerror=alert(1)>"
default = "<b>bold</b>"

[[panels]]
title = "Echo <script>"
kind = "table"
sql = "select $who as who, '<script>x</script>' as cell, 42 as n"

[[panels]]
title = "Lines"
kind = "kpi"
sql = "select count(*) as lines from raw.order_lines"

[[panels]]
title = "Missing"
kind = "line"
sql = "select * from nowhere"
"#,
    )
    .unwrap();
    let render = |out: &Path| {
        let mut cmd = ecom(&db);
        cmd.arg("--dashboards")
            .arg(dir.path().join("extra"))
            .args(["dashboard", "render", "hostile", "--out"])
            .arg(out);
        cmd.output().unwrap()
    };
    let html = dir.path().join("h.html");
    let out = render(&html);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("panel `Missing` (line 19):"), "{stderr}");
    assert!(stderr.contains("1 of 3 panels failed"), "{stderr}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<b>bold"));
    assert!(page.contains("&lt;script&gt;alert("));
    assert!(
        page.contains("who = &lt;b&gt;bold&lt;&#x2f;b&gt;"),
        "{page}"
    );
    assert!(page.contains("<td>&lt;b&gt;bold&lt;&#x2f;b&gt;</td><td>&lt;script&gt;x&lt;&#x2f;script&gt;</td><td class=\"num\">42</td>"));
    for external in ["src=\"http", "href=\"http", "url(http", "<link", "@import"] {
        assert!(!page.contains(external), "{external}");
    }
    let lines = scalar(&db, "select count(*) from raw.order_lines")
        .as_u64()
        .unwrap();
    assert!(
        page.contains(&ecom::format::thousands(lines)),
        "the KPI still drew"
    );
    assert!(
        page.contains("Catalog Error"),
        "the failing panel's sentence in place"
    );

    let svg = dir.path().join("h.svg");
    assert_eq!(render(&svg).status.code(), Some(1));
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(picture.starts_with("<svg") && picture.contains("width=\"1600\""));
    assert!(picture.contains("&lt;script&gt;alert("));
    assert!(picture.contains("Catalog Error"));
    let png = dir.path().join("h.png");
    assert_eq!(render(&png).status.code(), Some(1));
    // 84 pixels of header, then 12 + 5 + 12 grid rows of 40 pixels.
    assert_eq!(
        image::open(&png).unwrap().to_rgb8().dimensions(),
        (1600, 84 + 29 * 40)
    );

    let report = dir.path().join("report");
    run_ok(
        ecom(&db)
            .args(["report", "--dashboard", "overview", "--out"])
            .arg(&report),
    );
    let page = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(page.contains("<h2>Dashboard: Online retail</h2>"));
    assert_eq!(
        page.matches("<svg").count(),
        7,
        "six charts and the dashboard"
    );
    let markdown = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(markdown.contains("![Online retail](dashboard-overview.png)"));
    assert!(report.join("dashboard-overview.svg").is_file());
    assert_eq!(
        image::open(report.join("dashboard-overview.png"))
            .unwrap()
            .to_rgb8()
            .width(),
        1600
    );
}
