//! Ingest of the full real data set in both public dialects.

use std::io::Write;

use crate::common::*;

#[test]
fn full_data_gives_every_reference_figure() {
    let db = full_warehouse();
    assert_reference_figures(&db);
    // Every line keeps where it came from.
    assert_eq!(
        scalar(
            &db,
            "SELECT count(DISTINCT source_file) FROM raw.order_lines"
        ),
        305
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM raw.order_lines WHERE source_line IS NULL OR source_line < 2"
        ),
        0
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM raw.quarantine"), 0);
}

#[test]
fn ingesting_twice_adds_nothing() {
    let db = full_warehouse();
    let out = run_ok(ecom(&db).args(["ingest", "--json"]).arg(by_day_dir()));
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["rows_loaded"], 0);
    assert_eq!(summary["files_duplicate"], 305);
    assert_eq!(scalar(&db, "SELECT count(*) FROM raw.order_lines"), 541_909);
}

/// Writes the popular single-file download from the by-day files: ISO-8859-1,
/// `m/d/yyyy h:mm` timestamps, integer CustomerID.
fn write_single_file_dialect(path: &std::path::Path) {
    let mut files: Vec<_> = std::fs::read_dir(by_day_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let latin1 = |text: &str| -> Vec<u8> {
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).expect("the data fits ISO-8859-1"))
            .collect()
    };
    out.write_all(
        b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\r\n",
    )
    .unwrap();
    for file in files {
        let mut reader = csv::Reader::from_path(&file).unwrap();
        for record in reader.records() {
            let r = record.unwrap();
            let ts = chrono::NaiveDateTime::parse_from_str(&r[4], "%Y-%m-%d %H:%M:%S").unwrap();
            let date = format!("{}", ts.format("%-m/%-d/%Y %-H:%M"));
            let customer = r[6].strip_suffix(".0").unwrap_or(&r[6]).to_string();
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(vec![]);
            w.write_record([&r[0], &r[1], &r[2], &r[3], &date, &r[5], &customer, &r[7]])
                .unwrap();
            let line = String::from_utf8(w.into_inner().unwrap()).unwrap();
            out.write_all(&latin1(&line)).unwrap();
        }
    }
}

#[test]
fn single_file_latin1_dialect_gives_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.csv");
    write_single_file_dialect(&data);
    let bytes = std::fs::read(&data).unwrap();
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the file must really be ISO-8859-1"
    );
    let db = dir.path().join("w.duckdb");
    let out = run_ok(ecom(&db).args(["ingest", "--json"]).arg(&data));
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["files"][0]["encoding"], "ISO-8859-1");
    assert_reference_figures(&db);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM raw.order_lines WHERE description LIKE '%£%'"
        ),
        scalar(
            &db,
            "SELECT count(*) FROM raw.order_lines WHERE description LIKE '%Voucher £%'"
        )
    );
    assert!(
        scalar(
            &db,
            "SELECT count(*) FROM raw.order_lines WHERE description LIKE '%£%'"
        )
        .as_i64()
        .unwrap()
            > 0
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT strftime(min(invoice_ts), '%Y-%m-%d %H:%M:%S') FROM raw.order_lines"
        ),
        "2010-12-01 08:26:00"
    );
}

#[test]
fn gzip_and_stdin_sources_load() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let gz = dir.path().join("sample.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    encoder
        .write_all(&std::fs::read(sample_csv()).unwrap())
        .unwrap();
    encoder.finish().unwrap();
    run_ok(ecom(&db).arg("ingest").arg(&gz));
    assert_eq!(scalar(&db, "SELECT count(*) FROM raw.order_lines"), 5_090);
    // The same content again through stdin is recognised as already loaded.
    let out = run_ok(
        ecom(&db)
            .args(["ingest", "--json", "-"])
            .stdin(std::fs::File::open(sample_csv()).unwrap()),
    );
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["files"][0]["status"], "duplicate");
    assert_eq!(scalar(&db, "SELECT count(*) FROM raw.order_lines"), 5_090);
}
