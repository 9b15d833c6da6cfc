//! Bad rows are quarantined with line and reason; a file that is not data is rejected
//! by name while the others load.

use crate::common::*;

#[test]
fn each_kind_of_bad_row_is_quarantined_with_its_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    // Six of nine lines quarantined: past the default --max-bad-rows of 1%, so exit 3.
    let out = run_code(
        ecom(&db)
            .args(["ingest", "--json"])
            .arg(fixture("malformed.csv")),
        3,
    );
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["rows_loaded"], 3);
    assert_eq!(summary["rows_quarantined"], 6);
    let rows = query_json(
        &db,
        "SELECT source_line, reason, raw_line FROM raw.quarantine ORDER BY source_line",
    );
    let got: Vec<(i64, String)> = rows
        .iter()
        .map(|r| {
            (
                r["source_line"].as_i64().unwrap(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = [
        (3, "Quantity `six` is not a whole number"),
        (4, "wrong number of fields: expected 8, found 7"),
        (5, "InvoiceDate `2010-13-45 08:26:00`"),
        (6, "broken quoting"),
        (8, "UnitPrice `1.8x` is not a decimal number"),
        (10, "CustomerID `13047.5` is not a whole number"),
    ];
    assert_eq!(got.len(), expect.len(), "{got:?}");
    for ((line, reason), (want_line, want)) in got.iter().zip(expect) {
        assert_eq!(*line, want_line);
        assert!(reason.contains(want), "line {line}: {reason} lacks {want}");
    }
    assert!(
        rows[0]["raw_line"]
            .as_str()
            .unwrap()
            .contains("WHITE METAL LANTERN,six")
    );
    let loaded: Vec<i64> = query_json(&db, "SELECT source_line FROM raw.order_lines ORDER BY 1")
        .iter()
        .map(|r| r["source_line"].as_i64().unwrap())
        .collect();
    assert_eq!(loaded, vec![2, 7, 9]);
    assert_eq!(
        scalar(
            &db,
            "SELECT description FROM raw.order_lines WHERE source_line = 9"
        ),
        "HAND WARMER RED, POLKA DOT"
    );
}

/// The UCI header with `;` between fields, decimal commas and day-first dates, as a
/// European spreadsheet saves the data: the date order is decided from the whole file
/// and said, and a run that quarantines nearly every line fails with the likely cause.
#[test]
fn a_european_export_fails_the_data_check_naming_the_decimal_comma() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let european = dir.path().join("european.csv");
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_path(&european)
        .unwrap();
    let mut lines = 0;
    for day in 1..=15 {
        let path = by_day_dir().join(format!("2010-12-{day:02}.csv"));
        if !path.is_file() {
            continue;
        }
        let mut reader = csv::Reader::from_path(&path).unwrap();
        if lines == 0 {
            out.write_record(reader.headers().unwrap()).unwrap();
        }
        for record in reader.records() {
            let r = record.unwrap();
            let ts = chrono::NaiveDateTime::parse_from_str(&r[4], "%Y-%m-%d %H:%M:%S").unwrap();
            let fields = [
                r[0].to_string(),
                r[1].to_string(),
                r[2].to_string(),
                r[3].to_string(),
                ts.format("%d/%m/%Y %H:%M").to_string(),
                r[5].replace('.', ","),
                r[6].to_string(),
                r[7].to_string(),
            ];
            out.write_record(&fields).unwrap();
            lines += 1;
        }
    }
    out.flush().unwrap();
    let output = ecom(&db).arg("ingest").arg(&european).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stdout.contains("dates        read as day/month/year"),
        "{stdout}"
    );
    assert!(stderr.contains("decimal comma"), "{stderr}");
    assert!(stderr.contains("more than --max-bad-rows 1%"), "{stderr}");
    // Every line is quarantined for its price, none for its date: read month first,
    // 13/12/2010 and later would not have been dates at all.
    assert_eq!(scalar(&db, "SELECT count(*) FROM raw.quarantine"), lines);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM raw.quarantine WHERE reason LIKE 'InvoiceDate%'"
        ),
        0
    );
    assert!(lines > 20_000);
}

#[test]
fn max_bad_rows_turns_too_many_into_exit_code_3() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let malformed = fixture("malformed.csv");
    run_code(
        ecom(&db)
            .args(["ingest", "--max-bad-rows", "5"])
            .arg(&malformed),
        3,
    );
    // The good rows still landed, and a re-run is a no-op that passes the check.
    assert_eq!(scalar(&db, "SELECT count(*) FROM raw.order_lines"), 3);
    let db2 = dir.path().join("w2.duckdb");
    run_code(
        ecom(&db2)
            .args(["ingest", "--max-bad-rows", "50%"])
            .arg(&malformed),
        3,
    );
    let db3 = dir.path().join("w3.duckdb");
    run_ok(
        ecom(&db3)
            .args(["ingest", "--max-bad-rows", "70%"])
            .arg(&malformed),
    );
    run_code(
        ecom(&db3)
            .args(["ingest", "--max-bad-rows", "lots"])
            .arg(&malformed),
        1,
    );
}

#[test]
fn non_data_files_are_rejected_by_name_and_the_rest_load() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let binary = dir.path().join("picture.csv");
    std::fs::write(&binary, [0x89u8, b'P', b'N', b'G', 0, 0, 0, 13, 0, 1, 2]).unwrap();
    let out = ecom(&db)
        .arg("ingest")
        .arg(fixture("not-data.csv"))
        .arg(&binary)
        .arg(sample_csv())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not-data.csv"), "{stderr}");
    assert!(
        stderr.contains("`order_id`, `sku`, `qty`, `when`") && stderr.contains("--suggest-mapping"),
        "lists the columns found and the way on: {stderr}"
    );
    assert!(stderr.contains("picture.csv: a binary file"), "{stderr}");
    assert_eq!(scalar(&db, "SELECT count(*) FROM raw.order_lines"), 5_090);
    assert_eq!(scalar(&db, "SELECT count(*) FROM meta.rejected_files"), 2);
}

#[test]
fn a_gzip_bomb_and_12_gib_of_nul_bytes_are_rejected_while_a_good_file_loads() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let config = dir.path().join("home/config/ecom/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "[ingest]\nmax_inflated_bytes = 16777216\n").unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    std::fs::copy(by_day_dir().join("2010-12-01.csv"), inbox.join("good.csv")).unwrap();
    // 36 MB of valid-looking lines in about 100 KB of gzip: past the 16 MiB cap.
    let header =
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";
    let mut bomb = flate2::write::GzEncoder::new(
        std::fs::File::create(inbox.join("bomb.csv.gz")).unwrap(),
        flate2::Compression::best(),
    );
    bomb.write_all(header.as_bytes()).unwrap();
    let line = "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n";
    for _ in 0..400_000 {
        bomb.write_all(line.as_bytes()).unwrap();
    }
    bomb.finish().unwrap();
    // A valid header, then 12 GiB of NUL bytes (a sparse file: no disk is used).
    let nul = std::fs::File::create(inbox.join("nul.csv")).unwrap();
    (&nul).write_all(header.as_bytes()).unwrap();
    nul.set_len(12 << 30).unwrap();
    let out = ecom(&db).arg("ingest").arg(&inbox).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("bomb.csv.gz: it inflates to more than ingest.max_inflated_bytes"),
        "{stderr}"
    );
    assert!(stderr.contains("nul.csv: a binary file"), "{stderr}");
    assert_eq!(scalar(&db, "SELECT count(*) FROM raw.order_lines"), 3_108);
    assert_eq!(scalar(&db, "SELECT count(*) FROM meta.rejected_files"), 2);
}

#[test]
fn missing_paths_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let out = ecom(&db)
        .args(["ingest", "/nonexistent/file.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/file.csv: no such file"));
}
