//! Any shop's export: the real data set written in each preset's shape and format
//! (Excel workbooks, Online Retail II, Shopify and WooCommerce CSVs, Parquet, JSON
//! lines, a European CSV read through a mapping) gives the reference figures exactly.

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use crate::common::*;

/// One line of the real data: the eight UCI fields as text.
type Line = [String; 8];

/// Every line of the by-day files, in file order (read once per test run).
fn real_lines() -> &'static [Line] {
    static LINES: OnceLock<Vec<Line>> = OnceLock::new();
    LINES.get_or_init(|| {
        let mut files: Vec<_> = std::fs::read_dir(by_day_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let mut lines = Vec::with_capacity(541_909);
        for file in files {
            for record in csv::Reader::from_path(&file).unwrap().records() {
                let r = record.unwrap();
                lines.push(std::array::from_fn(|i| r[i].to_string()));
            }
        }
        assert_eq!(lines.len(), 541_909);
        lines
    })
}

fn timestamp(line: &Line) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(&line[4], "%Y-%m-%d %H:%M:%S").unwrap()
}

fn customer(line: &Line) -> Option<&str> {
    let c = line[6].strip_suffix(".0").unwrap_or(&line[6]);
    (!c.is_empty()).then_some(c)
}

fn ingest_json(db: &Path, args: &[&str], path: &Path) -> serde_json::Value {
    let out = run_ok(ecom(db).args(["ingest", "--json"]).args(args).arg(path));
    serde_json::from_str(&out).unwrap()
}

/// Writes `lines` into a worksheet as the UCI workbooks hold them: numbers as numbers,
/// dates as Excel date-times.
fn write_sheet(
    workbook: &mut rust_xlsxwriter::Workbook,
    name: &str,
    header: [&str; 8],
    lines: &[&Line],
) {
    let date_format = rust_xlsxwriter::Format::new().set_num_format("m/d/yyyy h:mm");
    let sheet = workbook.add_worksheet_with_constant_memory().unwrap();
    sheet.set_name(name).unwrap();
    for (col, title) in header.iter().enumerate() {
        sheet.write_string(0, col as u16, *title).unwrap();
    }
    for (i, line) in lines.iter().enumerate() {
        let row = i as u32 + 1;
        for col in [0, 1] {
            let text = &line[col];
            match text.parse::<f64>() {
                Ok(n) if !text.starts_with('0') => sheet.write_number(row, col as u16, n),
                _ => sheet.write_string(row, col as u16, text),
            }
            .unwrap();
        }
        if !line[2].is_empty() {
            sheet.write_string(row, 2, &line[2]).unwrap();
        }
        sheet
            .write_number(row, 3, line[3].parse::<f64>().unwrap())
            .unwrap();
        let t = timestamp(line);
        use chrono::{Datelike, Timelike};
        let when = rust_xlsxwriter::ExcelDateTime::from_ymd(
            t.year() as u16,
            t.month() as u8,
            t.day() as u8,
        )
        .unwrap()
        .and_hms(t.hour() as u16, t.minute() as u8, t.second() as f64)
        .unwrap();
        sheet
            .write_datetime_with_format(row, 4, &when, &date_format)
            .unwrap();
        sheet
            .write_number(row, 5, line[5].parse::<f64>().unwrap())
            .unwrap();
        if let Some(c) = customer(line) {
            sheet
                .write_number(row, 6, c.parse::<f64>().unwrap())
                .unwrap();
        }
        sheet.write_string(row, 7, &line[7]).unwrap();
    }
}

const UCI_HEADER: [&str; 8] = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
];
const UCI_II_HEADER: [&str; 8] = [
    "Invoice",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
    "Country",
];

#[test]
fn the_uci_workbook_gives_every_reference_figure() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Online Retail.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let all: Vec<&Line> = real_lines().iter().collect();
    write_sheet(&mut workbook, "Online Retail", UCI_HEADER, &all);
    workbook.save(&path).unwrap();
    let db = dir.path().join("w.duckdb");
    let summary = ingest_json(&db, &[], &path);
    assert_eq!(summary["files"][0]["format"], "xlsx", "{summary}");
    assert_eq!(summary["files"][0]["preset"], "uci");
    assert_eq!(summary["rows_quarantined"], 0, "{summary}");
    assert_reference_figures(&db);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM raw.order_lines WHERE currency = 'GBP' AND source_preset = 'uci' AND source_file LIKE '%#Online Retail'"
        ),
        541_909
    );
}

#[test]
fn online_retail_ii_workbook_loads_per_sheet_and_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("online_retail_II.xlsx");
    let split = chrono::NaiveDate::from_ymd_opt(2011, 6, 1).unwrap();
    let (first, second): (Vec<&Line>, Vec<&Line>) = real_lines()
        .iter()
        .partition(|l| timestamp(l).date() < split);
    let mut workbook = rust_xlsxwriter::Workbook::new();
    write_sheet(&mut workbook, "Year 2009-2010", UCI_II_HEADER, &first);
    write_sheet(&mut workbook, "Year 2010-2011", UCI_II_HEADER, &second);
    workbook.save(&path).unwrap();
    // One sheet, then the other: each is its own content, neither a duplicate.
    let db = dir.path().join("w.duckdb");
    let one = ingest_json(&db, &["--sheet", "Year 2010-2011"], &path);
    assert_eq!(one["rows_loaded"], second.len() as u64);
    assert_eq!(one["files"][0]["preset"], "uci-ii");
    let other = ingest_json(&db, &["--sheet", "Year 2009-2010"], &path);
    assert_eq!(other["rows_loaded"], first.len() as u64);
    assert_reference_figures(&db);
    // The whole workbook at once, every sheet, in a fresh warehouse.
    let whole = dir.path().join("whole.duckdb");
    let summary = ingest_json(&whole, &[], &path);
    assert_eq!(summary["rows_loaded"], 541_909);
    assert_reference_figures(&whole);
    assert_eq!(
        scalar(
            &whole,
            "SELECT count(DISTINCT source_file) FROM raw.order_lines"
        ),
        2
    );
    let err = run_code(
        ecom(&whole)
            .args(["ingest", "--sheet", "Year 2012"])
            .arg(&path),
        1,
    );
    assert!(err.contains("no sheet `Year 2012`"), "{err}");
}

/// The order-level value of a field: the same on every line of the invoice (written
/// on its first row only, as Shopify does), or per line when the invoice's lines differ.
fn order_level(lines: &[&Line], field: impl Fn(&Line) -> String) -> (bool, String) {
    let first = field(lines[0]);
    (lines.iter().all(|l| field(l) == first), first)
}

/// The real data as Shopify's orders export: one order per invoice (a `C` invoice is a
/// cancelled order, its quantities positive), times with the New York offset, customers
/// known by e-mail.
fn write_shopify(path: &Path) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record([
        "Name",
        "Email",
        "Financial Status",
        "Paid at",
        "Currency",
        "Subtotal",
        "Created at",
        "Lineitem quantity",
        "Lineitem name",
        "Lineitem price",
        "Lineitem sku",
        "Billing Country",
        "Shipping Country",
        "Notes",
        "Cancelled at",
        "Refunded Amount",
        "Id",
    ])
    .unwrap();
    let new_york: chrono_tz::Tz = "America/New_York".parse().unwrap();
    let london: chrono_tz::Tz = "Europe/London".parse().unwrap();
    let created = |l: &Line| {
        use chrono::TimeZone;
        let local = london.from_local_datetime(&timestamp(l)).single().unwrap();
        local
            .with_timezone(&new_york)
            .format("%Y-%m-%d %H:%M:%S %z")
            .to_string()
    };
    let email = |l: &Line| {
        customer(l).map_or(String::new(), |c| {
            if c.ends_with('7') {
                format!("Buyer.{c}@Example.COM")
            } else {
                format!("buyer.{c}@example.com")
            }
        })
    };
    let lines = real_lines();
    let mut start = 0;
    while start < lines.len() {
        let invoice = &lines[start][0];
        let end = start
            + lines[start..]
                .iter()
                .take_while(|l| &l[0] == invoice)
                .count();
        let order: Vec<&Line> = lines[start..end].iter().collect();
        let cancelled = invoice.starts_with('C');
        let name = invoice.trim_start_matches('C');
        let fields: [(bool, String); 4] = [
            order_level(&order, |l| email(l)),
            order_level(&order, |l| created(l)),
            order_level(&order, |l| l[7].clone()),
            (
                true,
                if cancelled {
                    created(order[0])
                } else {
                    String::new()
                },
            ),
        ];
        for (i, line) in order.iter().enumerate() {
            let at = |k: usize, per_line: &dyn Fn(&Line) -> String| {
                let (same, value) = &fields[k];
                if i == 0 {
                    value.clone()
                } else if *same {
                    String::new()
                } else {
                    per_line(line)
                }
            };
            let quantity: i64 = line[3].parse().unwrap();
            w.write_record([
                name,
                &at(0, &|l| email(l)),
                if i == 0 {
                    if cancelled { "voided" } else { "paid" }
                } else {
                    ""
                },
                "",
                if i == 0 { "GBP" } else { "" },
                "",
                &at(1, &|l| created(l)),
                &(if cancelled { quantity.abs() } else { quantity }).to_string(),
                &line[2],
                &line[5],
                &line[1],
                &at(2, &|l| l[7].clone()),
                "",
                if i == 0 {
                    "multi-line\nnote, with a comma"
                } else {
                    ""
                },
                &at(3, &|_| String::new()),
                if i == 0 { "0.00" } else { "" },
                if i == 0 { "4500000000" } else { "" },
            ])
            .unwrap();
        }
        start = end;
    }
    w.flush().unwrap();
}

#[test]
fn shopify_export_gives_every_reference_figure() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders_export_1.csv");
    write_shopify(&path);
    let db = dir.path().join("w.duckdb");
    let summary = ingest_json(&db, &["--timezone", "Europe/London"], &path);
    assert_eq!(summary["files"][0]["preset"], "shopify", "{summary}");
    assert_eq!(summary["rows_quarantined"], 0, "{summary}");
    // The offsets (-0500, -0400 in summer) land back on the shop's London clock.
    assert_reference_figures(&db);
    assert_eq!(
        scalar(
            &db,
            "SELECT strftime(min(invoice_ts), '%Y-%m-%d %H:%M:%S') FROM raw.order_lines"
        ),
        "2010-12-01 08:26:00"
    );
    // One key per lower-cased address, and no address stored in clear.
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM meta.customer_keys"),
        4_372
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM meta.customer_keys WHERE email IS NOT NULL"
        ),
        0
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM raw.order_lines WHERE currency = 'GBP' AND source_preset = 'shopify'"
        ),
        541_909
    );
    // Keys are stable: the same customers in another file keep their ids.
    // The models (their data tests included) and the ML jobs run on it unchanged.
    run_ok(ecom(&db).args(["-q", "models", "build"]));
    run_ok(ecom(&db).args(["-q", "ml", "segment"]));
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM marts.dim_customer"),
        4_372
    );
    let ids = query_json(
        &db,
        "SELECT min(customer_id) AS lo, max(customer_id) AS hi FROM raw.order_lines",
    );
    assert_eq!(ids[0]["lo"], 1);
    assert_eq!(ids[0]["hi"], 4_372);
}

#[test]
fn shopify_refunds_cancellations_and_guests_follow_the_conventions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.csv");
    std::fs::write(
        &path,
        "Name,Email,Created at,Currency,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Billing Country,Cancelled at,Refunded Amount\n\
         #1001,Ann@Shop.example,2024-03-01 10:00:00 +0100,EUR,2,Mug,9.50,MUG-1,FR,,5.00\n\
         #1001,,,,1,Plate,12.00,,,,\n\
         #1002,,2024-03-02 11:00:00 +0100,EUR,1,Mug,9.50,MUG-1,DE,,0.00\n\
         #1003,ann@shop.example,2024-03-03 12:00:00 +0100,EUR,3,Mug,9.50,MUG-1,FR,2024-03-04 09:00:00 +0100,\n",
    )
    .unwrap();
    let db = dir.path().join("w.duckdb");
    ingest_json(&db, &[], &path);
    let rows = query_json(
        &db,
        "SELECT invoice_no, stock_code, description, quantity, unit_price::VARCHAR AS price, customer_id,
                country, currency, strftime(invoice_ts, '%Y-%m-%d %H:%M') AS ts
         FROM raw.order_lines ORDER BY source_line, stock_code",
    );
    let row = |i: usize| serde_json::Value::Object(rows[i].clone());
    assert_eq!(rows.len(), 5, "{rows:?}");
    // Order-level fields carried to the second line; a missing SKU takes the name.
    assert_eq!(row(2)["stock_code"], "Plate");
    assert_eq!(row(2)["customer_id"], row(0)["customer_id"]);
    assert_eq!(row(2)["country"], "FR");
    assert_eq!(row(2)["ts"], "2024-03-01 09:00");
    // The refund is a line of its own against the order.
    assert_eq!(row(1)["invoice_no"], "C#1001");
    assert_eq!(row(1)["stock_code"], "REFUND");
    assert_eq!(row(1)["quantity"], -1);
    assert_eq!(row(1)["price"], "5.000");
    // A guest has no customer; a cancelled order is a cancellation, same customer as
    // the same address in any case.
    assert!(row(3)["customer_id"].is_null());
    assert_eq!(row(4)["invoice_no"], "C#1003");
    assert_eq!(row(4)["quantity"], -3);
    assert_eq!(row(4)["customer_id"], row(0)["customer_id"]);
    assert_eq!(row(4)["ts"], "2024-03-03 11:00");
    assert_eq!(row(0)["currency"], "EUR");
    // In the marts a refund line is no product.
    run_ok(ecom(&db).args(["-q", "models", "build"]));
    assert_eq!(
        scalar(
            &db,
            "SELECT stock_code_type || ' ' || is_product FROM marts.dim_product WHERE stock_code = 'REFUND'"
        ),
        "refund false"
    );
}

/// The real data as WooCommerce's export: one row per item, order fields repeated.
fn write_woocommerce(path: &Path, lines: &[Line]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record([
        "order_id",
        "order_number",
        "order_date",
        "status",
        "order_total",
        "refunded_total",
        "order_currency",
        "customer_id",
        "billing_email",
        "billing_country",
        "shipping_country",
        "item_name",
        "item_sku",
        "item_quantity",
        "item_subtotal",
        "item_total",
    ])
    .unwrap();
    for line in lines {
        let cancelled = line[0].starts_with('C');
        let quantity: i64 = line[3].parse().unwrap();
        let quantity = if cancelled { quantity.abs() } else { quantity };
        let price: f64 = line[5].parse().unwrap();
        let subtotal = format!("{:.3}", quantity as f64 * price);
        let id = line[0].trim_start_matches('C');
        w.write_record([
            id,
            id,
            &line[4],
            if cancelled { "cancelled" } else { "completed" },
            "",
            "0",
            "GBP",
            customer(line).unwrap_or("0"),
            "",
            &line[7],
            "",
            &line[2],
            &line[1],
            &quantity.to_string(),
            &subtotal,
            &subtotal,
        ])
        .unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn woocommerce_export_gives_every_reference_figure() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders-2011.csv");
    write_woocommerce(&path, real_lines());
    let db = dir.path().join("w.duckdb");
    let summary = ingest_json(&db, &[], &path);
    assert_eq!(summary["files"][0]["preset"], "woocommerce", "{summary}");
    assert_eq!(summary["rows_quarantined"], 0, "{summary}");
    assert_reference_figures(&db);
}

/// The real data as a European spreadsheet saves it: `;`, decimal commas, day-first
/// dates with dots, its own column names.
fn write_european(path: &Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        out,
        "Rechnung;Artikel;Bezeichnung;Menge;Datum;Preis;Kunde;Land"
    )
    .unwrap();
    for line in real_lines() {
        let t = timestamp(line);
        writeln!(
            out,
            "{};{};\"{}\";{};{};{};{};{}",
            line[0],
            line[1],
            line[2].replace('"', "\"\""),
            line[3],
            t.format("%d.%m.%Y %H:%M"),
            line[5].replace('.', ","),
            customer(line).unwrap_or(""),
            line[7]
        )
        .unwrap();
    }
}

#[test]
fn a_european_file_reads_through_a_mapping_and_fails_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("umsatz.csv");
    write_european(&path);
    let db = dir.path().join("w.duckdb");
    // Without a mapping the header is unknown: the error lists it and the way on.
    let err = run_code(ecom(&db).arg("ingest").arg(&path), 1);
    assert!(
        err.contains("`Rechnung`") && err.contains("--suggest-mapping"),
        "{err}"
    );
    let mapping = dir.path().join("umsatz.toml");
    std::fs::write(
        &mapping,
        r#"name = "umsatz"
[columns]
invoice_no = "Rechnung"
stock_code = "Artikel"
description = "Bezeichnung"
quantity = "Menge"
invoice_date = "Datum"
unit_price = "Preis"
customer_id = "Kunde"
country = "Land"
[format]
decimal = ","
currency = "GBP"
"#,
    )
    .unwrap();
    let summary = ingest_json(&db, &["--mapping", mapping.to_str().unwrap()], &path);
    assert_eq!(
        summary["files"][0]["timestamp_format"], "day/month/year",
        "{summary}"
    );
    assert_eq!(summary["files"][0]["preset"], "umsatz");
    assert_reference_figures(&db);
}

#[test]
fn suggest_mapping_reads_a_shape_it_has_never_seen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sales.tsv");
    let mut text = String::from(
        "Txn Ref\tProduct Code\tProduct Title\tUnits\tSold On\tPrice Each\tBuyer E-mail\tShip To\n",
    );
    for line in &real_lines()[..2_000] {
        let t = timestamp(line);
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            line[0],
            line[1],
            line[2],
            line[3],
            t.format("%-m/%-d/%Y %-I:%M %p"),
            line[5],
            customer(line).map_or(String::new(), |c| format!("c{c}@mail.example")),
            line[7]
        ));
    }
    std::fs::write(&path, text).unwrap();
    let db = dir.path().join("w.duckdb");
    let suggested = run_ok(ecom(&db).args(["ingest", "--suggest-mapping"]).arg(&path));
    for expected in [
        "invoice_no = \"Txn Ref\"",
        "stock_code = \"Product Code\"",
        "description = \"Product Title\"",
        "quantity = \"Units\"",
        "invoice_date = \"Sold On\"",
        "unit_price = \"Price Each\"",
        "customer_email = \"Buyer E-mail\"",
        "country = \"Ship To\"",
        "delimiter = \"tab\"",
    ] {
        assert!(
            suggested.contains(expected),
            "{expected} missing in\n{suggested}"
        );
    }
    // Taken as it is (12-hour times included), the suggestion loads the file.
    let mapping = dir.path().join("sales.toml");
    std::fs::write(&mapping, &suggested).unwrap();
    let summary = ingest_json(&db, &["--mapping", mapping.to_str().unwrap()], &path);
    assert_eq!(summary["rows_loaded"], 2_000, "{summary}\n{suggested}");
    assert_eq!(
        scalar(
            &db,
            "SELECT strftime(min(invoice_ts), '%Y-%m-%d %H:%M') FROM raw.order_lines"
        ),
        "2010-12-01 08:26"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM raw.order_lines WHERE hour(invoice_ts) >= 13"
        ),
        real_lines()[..2_000]
            .iter()
            .filter(|l| chrono::Timelike::hour(&timestamp(l)) >= 13)
            .count() as u64
    );
}

#[test]
fn parquet_and_json_lines_give_every_reference_figure() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("lines.parquet");
    {
        let full = full_warehouse();
        run_ok(ecom(&full).args(["query", "--output"]).arg(&parquet).arg(
            "SELECT invoice_no AS InvoiceNo, stock_code AS StockCode, description AS Description,
                    quantity AS Quantity, invoice_ts AS InvoiceDate, unit_price AS UnitPrice,
                    customer_id AS CustomerID, country AS Country
             FROM raw.order_lines ORDER BY source_file, source_line",
        ));
    }
    let db = dir.path().join("p.duckdb");
    let summary = ingest_json(&db, &[], &parquet);
    assert_eq!(summary["files"][0]["format"], "parquet", "{summary}");
    assert_reference_figures(&db);

    let jsonl = dir.path().join("lines.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&jsonl).unwrap(),
        flate2::Compression::fast(),
    );
    for line in real_lines() {
        let mut object = serde_json::Map::new();
        for (name, value) in UCI_II_HEADER.iter().zip(line.iter()) {
            object.insert(name.to_string(), serde_json::Value::String(value.clone()));
        }
        // Typed values, as an API writes them.
        object.insert(
            "Quantity".into(),
            serde_json::json!(line[3].parse::<i64>().unwrap()),
        );
        object.insert(
            "Price".into(),
            serde_json::json!(line[5].parse::<f64>().unwrap()),
        );
        writeln!(gz, "{}", serde_json::Value::Object(object)).unwrap();
    }
    gz.finish().unwrap();
    let db = dir.path().join("j.duckdb");
    let summary = ingest_json(&db, &[], &jsonl);
    assert_eq!(summary["files"][0]["format"], "json", "{summary}");
    assert_eq!(summary["files"][0]["preset"], "uci-ii");
    assert_reference_figures(&db);
}

#[test]
fn a_workbook_bomb_and_deep_json_are_refused_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    // A workbook whose parts inflate past ingest.max_inflated_bytes is refused from
    // its zip directory, before any sheet is read.
    let book = dir.path().join("small.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let some: Vec<&Line> = real_lines()[..500].iter().collect();
    write_sheet(&mut workbook, "Sheet1", UCI_HEADER, &some);
    workbook.save(&book).unwrap();
    let config = dir.path().join("home/config/ecom/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    // Room for the file itself, not for what its sheet XML inflates to.
    let limit = std::fs::metadata(&book).unwrap().len() * 2;
    std::fs::write(&config, format!("[ingest]\nmax_inflated_bytes = {limit}\n")).unwrap();
    let err = run_code(ecom(&db).arg("ingest").arg(&book), 1);
    assert!(
        err.contains("small.xlsx: it inflates to more than ingest.max_inflated_bytes"),
        "{err}"
    );
    std::fs::remove_file(&config).unwrap();
    // Cells at the far corners of a sheet cost what they are, not the area between.
    let sparse = dir.path().join("sparse.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    write_sheet(&mut workbook, "Sheet1", UCI_HEADER, &some[..3]);
    let sheet = workbook.worksheet_from_name("Sheet1").unwrap();
    sheet.write_string(1_048_575, 7, "Nowhere").unwrap();
    workbook.save(&sparse).unwrap();
    let summary = ingest_json(&db, &["--max-bad-rows", "50%"], &sparse);
    assert_eq!(summary["rows_loaded"], 3, "{summary}");
    assert_eq!(summary["rows_quarantined"], 1);
    let wide = dir.path().join("wide.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, title) in UCI_HEADER.iter().enumerate() {
        sheet.write_string(0, col as u16, *title).unwrap();
    }
    sheet.write_string(0, 16_383, "XFD").unwrap();
    workbook.save(&wide).unwrap();
    let err = run_code(ecom(&db).arg("ingest").arg(&wide), 1);
    assert!(err.contains("16384 columns, more than the 1024"), "{err}");
    // JSON nested far deeper than any order line: that line is quarantined, the rest load.
    let json = dir.path().join("lines.jsonl");
    let good = |i: usize| {
        format!(
            r#"{{"InvoiceNo":"5{i:05}","StockCode":"85123A","Quantity":6,"InvoiceDate":"2010-12-01 08:26:00","UnitPrice":"2.55","CustomerID":17850,"Country":"United Kingdom"}}"#
        )
    };
    let mut text: String = (0..200).map(|i| good(i) + "\n").collect();
    text.push_str(&"[".repeat(200_000));
    text.push('\n');
    std::fs::write(&json, text).unwrap();
    let summary = ingest_json(&db, &[], &json);
    assert_eq!(summary["rows_loaded"], 200, "{summary}");
    assert_eq!(summary["rows_quarantined"], 1);
    let reason = scalar(
        &db,
        "SELECT reason FROM raw.quarantine WHERE source_file LIKE '%lines.jsonl'",
    );
    assert!(reason.as_str().unwrap().starts_with("not JSON"), "{reason}");
}

#[test]
fn simulate_replays_any_shape_the_ingest_reads() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let orders = dir.path().join("woo.csv");
    let some = &real_lines()[..3_000];
    write_woocommerce(&orders, some);
    // Order lines as JSON lines (not ecom's events): read as orders, not as events.
    let json = dir.path().join("orders.jsonl");
    let text: String = some[..500]
        .iter()
        .map(|l| {
            let object: serde_json::Map<String, serde_json::Value> = UCI_HEADER
                .iter()
                .zip(l.iter())
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
                .collect();
            serde_json::Value::Object(object).to_string() + "\n"
        })
        .collect();
    std::fs::write(&json, text).unwrap();
    let events = dir.path().join("events.jsonl");
    let out = run_ok(
        ecom(&db)
            .args(["--json", "simulate", "--to-file"])
            .arg(&events)
            .arg("--from")
            .arg(&orders)
            .arg(&json),
    );
    let written: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(written["sent"], 3_500, "{written}");
    let cancellations = some.iter().filter(|l| l[0].starts_with('C')).count()
        + some[..500].iter().filter(|l| l[0].starts_with('C')).count();
    let text = std::fs::read_to_string(&events).unwrap();
    assert_eq!(
        text.matches("\"event_type\":\"cancellation\"").count(),
        cancellations
    );
}
