//! `ecom open`: every format written here from the real data, a folder, a glob, the lake
//! `ecom export` writes (locally and through a moto S3 server), a bad file and a missing
//! one; figures read through the opened views equal DuckDB reading the same files
//! directly. And the workbench in tmux on a Parquet file, filtered in the grid.

use std::path::{Path, PathBuf};

use crate::common::*;
use crate::export::{create_bucket, moto_endpoint};
use crate::tmux::Session;

/// Five days of January 2011 (about 8,000 lines).
const DAYS: [&str; 5] = [
    "2011-01-04",
    "2011-01-05",
    "2011-01-06",
    "2011-01-07",
    "2011-01-09",
];

fn day_file(day: &str) -> PathBuf {
    by_day_dir().join(format!("{day}.csv"))
}

/// `[ '…/2011-01-04.csv', … ]` for DuckDB.
fn days_list() -> String {
    let files: Vec<String> = DAYS
        .iter()
        .map(|d| format!("'{}'", day_file(d).display()))
        .collect();
    format!("[{}]", files.join(", "))
}

/// Lines and revenue (`sum(quantity * price)`, to the cent) of `from`, read by DuckDB
/// itself, outside ecom.
fn direct(from: &str, quantity: &str, price: &str) -> (i64, f64) {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.query_row(
        &format!("SELECT count(*), round(sum({quantity} * {price}), 2) FROM {from}"),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

/// The same figures through the opened view, in the warehouse `db`.
fn through_view(db: &Path, view: &str, quantity: &str, price: &str) -> (i64, f64) {
    let rows = query_json(
        db,
        &format!(
            "SELECT count(*) AS n, round(sum({quantity} * {price}), 2) AS revenue FROM {view}"
        ),
    );
    (
        rows[0]["n"].as_i64().unwrap(),
        rows[0]["revenue"].as_f64().unwrap(),
    )
}

/// `ecom --db DB --json open --list PATHS…`, expecting exit `code`; the report.
fn open_list(db: &Path, paths: &[&Path], extra: &[&str], code: i32) -> serde_json::Value {
    let out = run_code(
        ecom(db)
            .args(["--json", "open", "--list"])
            .args(extra)
            .args(paths)
            .env("XDG_CACHE_HOME", db.parent().unwrap().join("cache")),
        code,
    );
    serde_json::from_str(&out).expect("open --list --json is JSON")
}

/// The opened view whose source ends with `source`.
fn view<'a>(report: &'a serde_json::Value, source: &str) -> &'a serde_json::Value {
    report["views"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["source"].as_str().unwrap().ends_with(source))
        .unwrap_or_else(|| panic!("no view of {source}: {report:#}"))
}

fn qualified(view: &serde_json::Value) -> String {
    format!(
        "{}.{}",
        view["schema"].as_str().unwrap(),
        view["name"].as_str().unwrap()
    )
}

fn gzip(from: &Path, to: &Path) {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(to).unwrap(),
        flate2::Compression::fast(),
    );
    encoder.write_all(&std::fs::read(from).unwrap()).unwrap();
    encoder.finish().unwrap();
}

/// A small workbook of the first 40 lines of a day (text and number cells).
fn write_workbook(path: &Path) {
    let mut reader = csv::Reader::from_path(day_file(DAYS[0])).unwrap();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, name) in ["InvoiceNo", "StockCode", "Quantity", "UnitPrice", "Country"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, column as u16, *name).unwrap();
    }
    for (i, record) in reader.records().take(40).enumerate() {
        let record = record.unwrap();
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &record[0]).unwrap();
        sheet.write_string(row, 1, &record[1]).unwrap();
        sheet
            .write_number(row, 2, record[3].parse::<f64>().unwrap())
            .unwrap();
        sheet
            .write_number(row, 3, record[5].parse::<f64>().unwrap())
            .unwrap();
        sheet.write_string(row, 4, &record[7]).unwrap();
    }
    workbook.save(path).unwrap();
}

#[test]
fn every_format_a_folder_and_a_glob_open_with_the_figures_duckdb_reads() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);
    let folder = at("folder_days");
    std::fs::create_dir(&folder).unwrap();
    for day in DAYS {
        std::fs::copy(day_file(day), folder.join(format!("{day}.csv"))).unwrap();
    }
    std::fs::copy(day_file(DAYS[0]), at("day.csv")).unwrap();
    gzip(&day_file(DAYS[1]), &at("gz_day.csv.gz"));
    let writer = duckdb::Connection::open_in_memory().unwrap();
    for (file, options) in [
        ("tsv_days.tsv", "DELIMITER '\t', HEADER"),
        ("parquet_days.parquet", "FORMAT parquet"),
        ("json_days.json", "FORMAT json, ARRAY true"),
        ("ndjson_days.ndjson", "FORMAT json"),
    ] {
        writer
            .execute_batch(&format!(
                "COPY (SELECT * FROM read_csv({})) TO '{}' ({options})",
                days_list(),
                at(file).display()
            ))
            .unwrap();
    }
    write_workbook(&at("small.xlsx"));
    std::fs::write(at("broken.parquet"), b"PAR1 and then nothing Parquet").unwrap();
    let glob = folder.join("2011-01-0[4-6].csv");
    let db = at("w.duckdb");
    let paths: Vec<PathBuf> = [
        "day.csv",
        "gz_day.csv.gz",
        "tsv_days.tsv",
        "parquet_days.parquet",
        "json_days.json",
        "ndjson_days.ndjson",
        "small.xlsx",
        "folder_days",
        "broken.parquet",
        "missing.csv",
    ]
    .iter()
    .map(|name| at(name))
    .chain([glob.clone()])
    .collect();
    let paths: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let report = open_list(&db, &paths, &[], 1);

    // The bad paths are named with their reason; every other one opened.
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2, "{report:#}");
    assert!(
        failures[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("broken.parquet"),
        "{report:#}"
    );
    assert!(
        failures[0]["reason"]
            .as_str()
            .unwrap()
            .contains("DuckDB cannot read it"),
        "{report:#}"
    );
    assert!(
        failures[1]["path"]
            .as_str()
            .unwrap()
            .ends_with("missing.csv")
    );
    assert_eq!(failures[1]["reason"], "no such file or folder");
    assert_eq!(report["views"].as_array().unwrap().len(), 9, "{report:#}");

    let csv_of = |days: &[&str]| {
        let files: Vec<String> = days
            .iter()
            .map(|d| format!("'{}'", day_file(d).display()))
            .collect();
        format!("read_csv([{}])", files.join(", "))
    };
    let five_days = direct(&csv_of(&DAYS), "Quantity", "UnitPrice");
    let expected = [
        (
            "day.csv",
            direct(&csv_of(&DAYS[..1]), "Quantity", "UnitPrice"),
        ),
        (
            "gz_day.csv.gz",
            direct(&csv_of(&DAYS[1..2]), "Quantity", "UnitPrice"),
        ),
        ("tsv_days.tsv", five_days),
        ("parquet_days.parquet", five_days),
        ("json_days.json", five_days),
        ("ndjson_days.ndjson", five_days),
        ("folder_days", five_days),
        (
            "2011-01-0[4-6].csv",
            direct(&csv_of(&DAYS[..3]), "Quantity", "UnitPrice"),
        ),
    ];
    for (source, figures) in expected {
        let opened = view(&report, source);
        assert_eq!(
            through_view(&db, &qualified(opened), "Quantity", "UnitPrice"),
            figures,
            "{source}"
        );
        assert_eq!(opened["rows"], figures.0, "{source}: counted rows");
        assert_eq!(opened["kind"], "view", "{source}: never copied");
    }
    // The same figures read directly from the files written.
    assert_eq!(
        direct(
            &format!("read_json('{}')", at("json_days.json").display()),
            "Quantity",
            "UnitPrice"
        ),
        five_days
    );
    let folder_view = view(&report, "folder_days");
    assert_eq!(folder_view["files"], 5);
    assert_eq!(folder_view["name"], "folder_days");
    let columns: Vec<&str> = folder_view["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        columns[..4],
        ["InvoiceNo", "StockCode", "Description", "Quantity"]
    );
    assert_eq!(folder_view["columns"][4]["data_type"], "TIMESTAMP");

    // The workbook is the one copy: a table with the first 40 lines' figures.
    let workbook = view(&report, "small.xlsx");
    assert_eq!(workbook["kind"], "table");
    let first_40 = direct(
        &format!(
            "(FROM read_csv('{}') LIMIT 40)",
            day_file(DAYS[0]).display()
        ),
        "Quantity",
        "UnitPrice",
    );
    assert_eq!(
        through_view(&db, &qualified(workbook), "Quantity", "UnitPrice"),
        first_40
    );

    // Opening the same file again replaces its view instead of adding one.
    let parquet = qualified(view(&report, "parquet_days.parquet"));
    let again = open_list(&db, &[&at("parquet_days.parquet")], &[], 0);
    assert_eq!(qualified(view(&again, "parquet_days.parquet")), parquet);
}

#[test]
fn the_exported_lake_opens_with_its_partitions_locally_and_from_s3() {
    let endpoint = moto_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.duckdb");
    let mut ingest = ecom(&source);
    ingest.args(["--quiet", "ingest"]);
    for day in DAYS {
        ingest.arg(day_file(day));
    }
    run_ok(&mut ingest);
    let lake = dir.path().join("lake");
    run_ok(
        ecom(&source)
            .args(["export", "--tables", "raw.order_lines", "--to"])
            .arg(&lake),
    );
    let bucket = format!("open-{}", std::process::id());
    create_bucket(&endpoint, &bucket);
    run_ok(
        ecom(&source)
            .args([
                "export",
                "--tables",
                "raw.order_lines",
                "--endpoint",
                &endpoint,
            ])
            .args(["--to", &format!("s3://{bucket}/shop")])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1"),
    );
    let expected = {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.query_row(
            &format!(
                "SELECT count(*), round(sum(quantity * unit_price), 2), count(DISTINCT date)
                 FROM read_parquet('{}/raw/order_lines/**/*.parquet', hive_partitioning = true)",
                lake.display()
            ),
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )
        .unwrap()
    };
    assert_eq!(expected.2, 5);
    let figures = |db: &Path, view: &str| {
        let rows = query_json(
            db,
            &format!(
                "SELECT count(*) AS n, round(sum(quantity * unit_price), 2) AS revenue,
                        count(DISTINCT date) AS days FROM {view}"
            ),
        );
        (
            rows[0]["n"].as_i64().unwrap(),
            rows[0]["revenue"].as_f64().unwrap(),
            rows[0]["days"].as_i64().unwrap(),
        )
    };

    // The lake's root: one view per table with files, the partition a column.
    let db = dir.path().join("local.duckdb");
    let report = open_list(&db, &[&lake], &[], 0);
    let lines = view(&report, "lake/raw/order_lines");
    assert_eq!(lines["name"], "raw_order_lines");
    assert_eq!(lines["files"], 5);
    assert!(
        lines["columns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "date" && c["data_type"] == "DATE"),
        "{lines:#}"
    );
    assert_eq!(figures(&db, &qualified(lines)), expected);

    // The same lake through S3 (moto), copied into the cache and opened there.
    let db = dir.path().join("s3.duckdb");
    let url = format!("s3://{bucket}/shop/raw/order_lines");
    let report = run_code(
        ecom(&db)
            .args(["--json", "open", "--list", "--endpoint", &endpoint, &url])
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1"),
        0,
    );
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let lines = view(&report, &url);
    assert_eq!(lines["name"], "order_lines");
    assert_eq!(figures(&db, &qualified(lines)), expected);
    assert!(
        dir.path()
            .join(format!(
                "cache/ecom/s3/{bucket}/shop/raw/order_lines/date=2011-01-04/part-0.parquet"
            ))
            .is_file()
    );
    // A bucket that does not exist is named, with the endpoint.
    let missing = ecom(&db)
        .args([
            "open",
            "--list",
            "--endpoint",
            &endpoint,
            "s3://no-such-bucket-here/x",
        ])
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("s3://no-such-bucket-here/x") && stderr.contains(&endpoint),
        "{stderr}"
    );
}

#[test]
fn the_workbench_opens_on_a_parquet_file_and_filters_it_in_tmux() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("lines.parquet");
    let writer = duckdb::Connection::open_in_memory().unwrap();
    writer
        .execute_batch(&format!(
            "COPY (SELECT * FROM read_csv({})) TO '{}' (FORMAT parquet)",
            days_list(),
            parquet.display()
        ))
        .unwrap();
    let france: i64 = writer
        .query_row(
            &format!(
                "SELECT count(*) FROM '{}' WHERE Country = 'France'",
                parquet.display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    // The default warehouse exists, so the scratch database attaches it read-only.
    let data = dir.path().join("data");
    let warehouse = data.join("ecom/warehouse.duckdb");
    run_ok(
        ecom(&warehouse)
            .args(["--quiet", "ingest"])
            .arg(day_file(DAYS[0])),
    );
    let env = format!(
        "env -u ECOM_DB -u ECOM_CONFIG XDG_DATA_HOME={} XDG_STATE_HOME={} XDG_CONFIG_HOME={}",
        data.display(),
        dir.path().join("state").display(),
        dir.path().join("config").display()
    );
    let session = Session::run(
        "open",
        (120, 32),
        &env,
        &format!("open {}", parquet.display()),
    );
    let screen = session.wait_for("Results:");
    assert!(
        screen.contains("opened"),
        "the catalog lists the view:\n{screen}"
    );
    assert!(
        screen.contains("attached read-only as `warehouse`"),
        "{screen}"
    );
    assert!(
        screen.contains("opened.lines"),
        "the catalog shows the view's columns:\n{screen}"
    );
    session.keys(&["|"]);
    for key in ["Country = 'France'", "Enter"] {
        session.keys(&[key]);
    }
    let screen = session.wait_for(&format!("{} rows", ecom::format::thousands(france as u64)));
    assert!(screen.contains("France"), "{screen}");
    assert!(!screen.contains("United Kingdom"), "{screen}");
    // More files while it runs: the palette's `open`, then `import` of that view.
    let second = dir.path().join("second.csv");
    std::fs::copy(day_file(DAYS[1]), &second).unwrap();
    let second_lines = direct(&format!("read_csv('{}')", second.display()), "1", "1").0;
    session.keys(&[":"]);
    session.keys(&[&format!("open {}", second.display()), "Enter"]);
    session.wait_for("FROM \"opened\".\"second\"");
    session.wait_for(&format!(
        "{} rows",
        ecom::format::thousands(second_lines as u64)
    ));
    session.keys(&[":"]);
    session.keys(&["import second", "Enter"]);
    session.wait_for("imported into imported.second");
    session.quit();
    // The warehouse was only read: free again, as it was.
    assert_eq!(
        scalar(&warehouse, "SELECT count(*) FROM raw.order_lines"),
        direct(
            &format!("read_csv('{}')", day_file(DAYS[0]).display()),
            "1",
            "1"
        )
        .0
    );
}

#[test]
fn the_catalog_lists_opened_views_under_their_schema() {
    use crate::tui_support::{app_on, query_finished, render};
    use ecom::tui::action::Action;
    use ecom::tui::effect::Effect;
    use ecom::warehouse::{Warehouse, catalog, pager};

    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("lines.parquet");
    duckdb::Connection::open_in_memory()
        .unwrap()
        .execute_batch(&format!(
            "COPY (SELECT * FROM read_csv('{}')) TO '{}' (FORMAT parquet)",
            day_file(DAYS[0]).display(),
            parquet.display()
        ))
        .unwrap();
    let csv = dir.path().join("Day Two.csv");
    std::fs::copy(day_file(DAYS[1]), &csv).unwrap();
    let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
    let paths = [
        parquet.display().to_string(),
        csv.display().to_string(),
        "missing.csv".to_string(),
    ];
    let report = ecom::open::open(wh.conn(), &paths, &ecom::open::OpenOptions::default()).unwrap();
    let (width, height) = (110, 32);
    let mut app = app_on(&wh, width, height);
    let effects = app.update(Action::Opened(Ok(report)));
    let sql = effects
        .iter()
        .find_map(|e| match e {
            Effect::RunQuery { statements, .. } => Some(statements[0].sql.clone()),
            _ => None,
        })
        .expect("the first view's rows are asked for");
    let result = pager::run(wh.conn(), &sql, &pager::result_table(1, 0)).unwrap();
    app.update(query_finished(1, &result));
    app.update(Action::PageLoaded {
        query_id: 1,
        start: 0,
        rows: pager::page(wh.conn(), &result, 0, 500).unwrap(),
    });
    app.update(Action::CatalogLoaded(Ok(
        catalog::relations(wh.conn()).unwrap()
    )));
    insta::assert_snapshot!("opened_views", render(&app, width, height));
}
