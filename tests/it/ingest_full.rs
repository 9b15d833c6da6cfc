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

/// The whole data set twice over in one file (about 90 MB), with a bad line near its
/// end: too large to hold whole, it is streamed in pieces, loads in one transaction and
/// numbers its lines across pieces; the same content gzipped is the same file.
#[test]
fn a_file_too_large_to_hold_whole_streams_in_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    out.write_all(
        b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n",
    )
    .unwrap();
    let mut days: Vec<_> = std::fs::read_dir(by_day_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    days.sort();
    let mut lines = 1u64;
    for _ in 0..2 {
        for day in &days {
            let text = std::fs::read_to_string(day).unwrap();
            for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
                out.write_all(line.as_bytes()).unwrap();
                out.write_all(b"\n").unwrap();
                lines += 1;
            }
        }
    }
    out.write_all(
        b"536365,85123A,BROKEN,not-a-number,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n",
    )
    .unwrap();
    let bad_line = lines + 1;
    out.into_inner().unwrap().sync_all().unwrap();
    assert!(
        std::fs::metadata(&big).unwrap().len() > 64 << 20,
        "larger than a worker holds"
    );
    let gz = dir.path().join("big.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::copy(&mut std::fs::File::open(&big).unwrap(), &mut encoder).unwrap();
    encoder.finish().unwrap();

    let db = dir.path().join("w.duckdb");
    run_ok(ecom(&db).arg("--quiet").arg("ingest").arg(&big));
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM raw.order_lines"),
        2 * 541_909
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT round(sum(quantity * unit_price) / 2, 2) FROM raw.order_lines"
        ),
        9_747_747.93
    );
    let quarantined = query_json(&db, "SELECT source_line, reason FROM raw.quarantine");
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    assert_eq!(quarantined[0]["source_line"], bad_line);
    let again = run_ok(ecom(&db).args(["--json", "ingest"]).arg(&gz));
    assert!(again.contains("\"duplicate\""), "the same content: {again}");
    let gz_db = dir.path().join("gz.duckdb");
    run_ok(ecom(&gz_db).arg("--quiet").arg("ingest").arg(&gz));
    assert_eq!(
        scalar(&gz_db, "SELECT count(*) FROM raw.order_lines"),
        2 * 541_909
    );
}
