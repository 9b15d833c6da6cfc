//! `ecom serve` against a hostile client holding a `query` token: every query and
//! request below has the status it must get, no answer leaks a secret, and afterwards
//! the warehouse is unchanged and no file was written.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{by_day_dir, ecom, query_json, run_ok, venv_bin};
use crate::serve::{FINGERPRINT_SQL, Server, is_problem, token};

/// What a file outside the warehouse holds; no answer may ever contain it.
const SECRET: &str = "hunter2-secret";

/// Files a hostile query would like to read: CSV, TSV, JSON, NDJSON, Parquet, a
/// gzipped CSV and another DuckDB database, all holding [`SECRET`].
fn plant_secrets(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("s.csv"), format!("secret\n{SECRET}\n")).unwrap();
    std::fs::write(dir.join("s.tsv"), format!("secret\t{SECRET}\n")).unwrap();
    std::fs::write(
        dir.join("s.json"),
        format!("[{{\"secret\": \"{SECRET}\"}}]"),
    )
    .unwrap();
    std::fs::write(
        dir.join("s.ndjson"),
        format!("{{\"secret\": \"{SECRET}\"}}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("s.txt"), SECRET).unwrap();
    let script = format!(
        "import duckdb, gzip\n\
         c = duckdb.connect('{d}/s.duckdb')\n\
         c.execute(\"CREATE TABLE t AS SELECT '{SECRET}' AS secret\")\n\
         c.execute(\"COPY t TO '{d}/s.parquet' (FORMAT parquet)\")\n\
         c.close()\n\
         open('{d}/s.csv.gz', 'wb').write(gzip.compress(b'secret\\n{SECRET}\\n'))\n",
        d = dir.display()
    );
    run_ok(std::process::Command::new(venv_bin("python")).args(["-c", &script]));
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    files
}

/// The hostile queries, each with the status it must get. `{o}` is a folder outside
/// the warehouse, `{a}` one the server's database may reach (as its pipeline's would).
fn hostile_queries() -> Vec<(&'static str, u16)> {
    vec![
        // Files, by every reader.
        ("SELECT * FROM read_csv('{o}/s.csv')", 403),
        ("SELECT * FROM read_csv_auto('{o}/s.csv')", 403),
        ("SELECT * FROM read_csv('{o}/s.csv.gz')", 403),
        ("SELECT * FROM read_csv('{o}/s.tsv', delim = '\t')", 403),
        ("SELECT * FROM read_json('{o}/s.json')", 403),
        ("SELECT * FROM read_json_auto('{o}/s.json')", 403),
        ("SELECT * FROM read_ndjson('{o}/s.ndjson')", 403),
        ("SELECT * FROM read_json_objects('{o}/s.json')", 403),
        ("SELECT * FROM read_parquet('{o}/s.parquet')", 403),
        ("SELECT * FROM parquet_scan('{o}/s.parquet')", 403),
        ("SELECT * FROM parquet_metadata('{o}/s.parquet')", 403),
        ("SELECT * FROM parquet_schema('{o}/s.parquet')", 403),
        ("SELECT * FROM read_text('{o}/s.txt')", 403),
        ("SELECT * FROM read_blob('{o}/s.txt')", 403),
        ("SELECT * FROM glob('{o}/*')", 403),
        ("SELECT * FROM sniff_csv('{o}/s.csv')", 403),
        ("SELECT * FROM read_csv('{a}/s.csv')", 403),
        ("SELECT * FROM read_parquet('{a}/*.parquet')", 403),
        ("SELECT * FROM query_table('meta.api_tokens')", 403),
        ("SELECT * FROM query('SELECT * FROM meta.api_tokens')", 403),
        ("SELECT * FROM iceberg_scan('{o}')", 403),
        ("SELECT * FROM delta_scan('{o}')", 403),
        // Replacement scans: a path where a table belongs.
        ("SELECT * FROM '{o}/s.csv'", 403),
        ("SELECT * FROM '{o}/s.tsv'", 403),
        ("SELECT * FROM '{o}/s.json'", 403),
        ("SELECT * FROM '{o}/s.ndjson'", 403),
        ("SELECT * FROM '{o}/s.parquet'", 403),
        ("SELECT * FROM '{o}/s.csv.gz'", 403),
        ("SELECT * FROM '{o}/*.csv'", 403),
        ("SELECT * FROM '{o}/**/*.parquet'", 403),
        ("SELECT * FROM '{a}/s.csv'", 403),
        ("SELECT * FROM '{a}/../outside/s.csv'", 403),
        ("FROM '{o}/s.csv'", 403),
        ("SELECT * FROM \"{o}/s.csv\"", 403),
        ("SELECT * FROM 'https://127.0.0.1:1/s.csv'", 403),
        ("SELECT * FROM 's3://bucket/s.parquet'", 403),
        // CTE shapes: DuckDB scopes a CTE to its own body, so these names are files.
        (
            "WITH \"{o}/s.csv\" AS (SELECT * FROM '{o}/s.csv') SELECT * FROM \"{o}/s.csv\"",
            403,
        ),
        (
            "WITH \"{a}/s.csv\" AS (SELECT * FROM '{a}/s.csv') SELECT * FROM \"{a}/s.csv\"",
            403,
        ),
        ("WITH x AS (SELECT * FROM '{o}/s.csv') SELECT * FROM x", 403),
        (
            "WITH x AS (SELECT 1), y AS (SELECT * FROM '{o}/s.parquet') SELECT * FROM x, y",
            403,
        ),
        (
            "WITH x AS (WITH y AS (SELECT * FROM '{o}/s.json') SELECT * FROM y) SELECT * FROM x",
            403,
        ),
        (
            "WITH RECURSIVE r AS (SELECT * FROM '{o}/s.csv' UNION ALL SELECT * FROM r) SELECT * FROM r LIMIT 1",
            403,
        ),
        (
            "WITH marts AS (SELECT * FROM '{o}/s.csv') SELECT * FROM marts",
            403,
        ),
        (
            "WITH fact_sales AS (SELECT * FROM '{o}/s.csv') SELECT * FROM fact_sales",
            403,
        ),
        (
            "SELECT * FROM (WITH x AS (SELECT * FROM '{o}/s.csv') SELECT * FROM x)",
            403,
        ),
        ("SELECT (SELECT secret FROM '{o}/s.csv')", 403),
        ("SELECT 1 WHERE EXISTS (SELECT * FROM '{o}/s.csv')", 403),
        (
            "SELECT invoice_no FROM raw.order_lines WHERE invoice_no IN (SELECT secret FROM '{o}/s.csv')",
            403,
        ),
        ("SELECT 1 AS a UNION ALL SELECT * FROM '{o}/s.csv'", 403),
        (
            "SELECT * FROM raw.order_lines, LATERAL (SELECT * FROM '{o}/s.csv') LIMIT 1",
            403,
        ),
        (
            "SELECT * FROM raw.order_lines r JOIN '{o}/s.csv' s ON true LIMIT 1",
            403,
        ),
        ("DESCRIBE '{o}/s.csv'", 403),
        ("DESCRIBE SELECT * FROM '{o}/s.csv'", 403),
        ("SUMMARIZE '{o}/s.csv'", 403),
        ("SUMMARIZE SELECT * FROM '{o}/s.parquet'", 403),
        ("PIVOT '{o}/s.csv' ON secret USING count(*)", 403),
        // Settings and paths.
        ("SHOW secret_directory", 403),
        ("SHOW temp_directory", 403),
        ("SHOW ALL TABLES", 403),
        ("SHOW DATABASES", 403),
        ("SHOW SCHEMAS", 403),
        ("SELECT current_setting('secret_directory')", 403),
        ("SELECT current_setting('home_directory')", 403),
        ("SELECT getenv('HOME')", 403),
        ("SELECT * FROM duckdb_settings()", 403),
        ("SELECT * FROM duckdb_databases()", 403),
        ("SELECT * FROM duckdb_logs", 403),
        ("SELECT * FROM duckdb_secrets()", 403),
        ("SELECT * FROM duckdb_extensions()", 403),
        ("SELECT * FROM duckdb_memory()", 403),
        ("SELECT * FROM duckdb_temporary_files()", 403),
        ("SELECT * FROM duckdb_tables()", 403),
        ("SELECT * FROM duckdb_tables", 403),
        ("SELECT * FROM duckdb_views", 403),
        ("SELECT * FROM pragma_database_list", 403),
        ("SELECT * FROM pragma_database_list()", 403),
        ("SELECT * FROM pg_catalog.pg_settings", 403),
        ("SELECT * FROM pg_settings", 403),
        ("SELECT * FROM pg_tables", 403),
        ("SELECT * FROM sqlite_master", 403),
        ("SELECT * FROM system.main.duckdb_settings", 403),
        ("SELECT which_secret('s3://x/y', 's3')", 403),
        // meta.*: tokens, ingested file paths, job errors.
        ("SELECT * FROM meta.api_tokens", 403),
        ("SELECT name, hash FROM \"meta\".\"api_tokens\"", 403),
        ("SELECT * FROM META.API_TOKENS", 403),
        ("SELECT * FROM hostile.meta.api_tokens", 403),
        ("SELECT * FROM meta.ingested_files", 403),
        ("SELECT * FROM meta.job_runs", 403),
        (
            "WITH t AS (SELECT * FROM meta.api_tokens) SELECT * FROM t",
            403,
        ),
        ("SELECT (SELECT max(hash) FROM meta.api_tokens)", 403),
        (
            "SELECT count(*) FROM raw.order_lines WHERE EXISTS (SELECT 1 FROM meta.api_tokens)",
            403,
        ),
        ("DESCRIBE meta.api_tokens", 403),
        ("SHOW meta.api_tokens", 403),
        ("SUMMARIZE meta.api_tokens", 403),
        ("SELECT * FROM hostile.main.nothing", 403),
        ("SELECT * FROM nothing", 400),
        // Writes, however they are dressed.
        ("DELETE FROM raw.order_lines", 403),
        ("UPDATE raw.order_lines SET quantity = 0", 403),
        (
            "INSERT INTO raw.order_lines SELECT * FROM raw.order_lines",
            403,
        ),
        (
            "WITH d AS (DELETE FROM raw.order_lines RETURNING *) SELECT count(*) FROM d",
            403,
        ),
        (
            "WITH u AS (UPDATE raw.order_lines SET quantity = 0 RETURNING *) SELECT count(*) FROM u",
            403,
        ),
        (
            "WITH i AS (INSERT INTO meta.api_tokens VALUES ('x', 'admin', 'h', now(), NULL) RETURNING *) SELECT * FROM i",
            403,
        ),
        ("DROP TABLE raw.order_lines", 403),
        ("CREATE TABLE raw.x AS SELECT 1", 403),
        ("CREATE TEMP TABLE x AS SELECT 1", 403),
        ("CREATE MACRO m() AS 1", 403),
        ("ALTER TABLE raw.order_lines RENAME TO y", 403),
        ("COPY raw.order_lines TO '{o}/leak.csv'", 403),
        (
            "COPY (SELECT 1) TO '{a}/leak.parquet' (FORMAT parquet)",
            403,
        ),
        ("EXPORT DATABASE '{o}/dump'", 403),
        ("ATTACH '{o}/s.duckdb' AS other", 403),
        ("DETACH hostile", 403),
        ("INSTALL httpfs", 403),
        ("LOAD httpfs", 403),
        ("SET threads = 1", 403),
        ("RESET threads", 403),
        ("PRAGMA threads = 1", 403),
        ("CHECKPOINT", 403),
        ("VACUUM", 403),
        ("CALL pragma_version()", 403),
        ("BEGIN TRANSACTION", 403),
        ("CREATE SECRET s (TYPE s3, KEY_ID 'x', SECRET 'y')", 403),
        ("SELECT nextval('x')", 403),
        ("SELECT setseed(0.1)", 403),
        // Several statements, comments, unicode.
        ("SELECT 1; SELECT 2", 403),
        ("SELECT 1; DROP TABLE raw.order_lines", 403),
        ("SELECT 1 -- ; DROP TABLE raw.order_lines", 200),
        ("SELECT 1 /* ; DROP TABLE raw.order_lines */", 200),
        ("/* hi */ SELECT * FROM '{o}/s.csv'", 403),
        ("SELECT '; DROP TABLE raw.order_lines --' AS s", 200),
        ("SELECT 'é€😀' AS \"ünïcödé 列\"", 200),
        ("SELECT * FROM \"ｍｅｔａ\".api_tokens", 403),
        ("SELECT\u{200b}* FROM meta.api_tokens", 403),
        (
            "SELECT * FROM raw.order_lines\u{0}; DROP TABLE raw.order_lines",
            400,
        ),
        ("", 400),
        ("   ", 400),
        ("SELECT * FROM", 400),
        ("SELEC 1", 400),
        ("SELECT nope FROM raw.order_lines", 400),
        ("SELECT * FROM nowhere", 400),
        // What a client may do, and must still be able to.
        ("SELECT count(*) FROM raw.order_lines", 200),
        (
            "SELECT country, sum(revenue) FROM marts.fact_sales GROUP BY ALL ORDER BY 2 DESC",
            200,
        ),
        (
            "WITH c AS (SELECT * FROM marts.dim_customer) SELECT count(*) FROM c",
            200,
        ),
        (
            "SELECT table_schema, table_name FROM information_schema.tables",
            200,
        ),
        (
            "SELECT * FROM information_schema.columns WHERE table_schema = 'meta'",
            200,
        ),
        ("SELECT * FROM information_schema.schemata", 200),
        ("SHOW TABLES", 200),
        ("DESCRIBE marts.fact_sales", 200),
        ("SHOW marts.fact_sales", 200),
        ("SUMMARIZE marts.dim_country", 200),
        ("SELECT * FROM range(10)", 200),
        ("SELECT * FROM generate_series(1, 5)", 200),
        ("SELECT unnest([1, 2, 3])", 200),
        ("SELECT current_database()", 200),
    ]
}

#[test]
fn a_hostile_query_client_reads_the_analytics_schemas_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hostile.duckdb");
    let (outside, allowed) = (dir.path().join("outside"), dir.path().join("allowed"));
    plant_secrets(&outside);
    plant_secrets(&allowed);
    run_ok(
        ecom(&db)
            .arg("--quiet")
            .arg("ingest")
            .arg(by_day_dir().join("2010-12-01.csv"))
            .arg(by_day_dir().join("2010-12-02.csv")),
    );
    run_ok(ecom(&db).args(["--quiet", "models", "build"]));
    let querier = token(&db, "querier", "query");
    let reader = token(&db, "reader", "read");
    let admin = token(&db, "admin", "admin");
    let before = query_json(&db, FINGERPRINT_SQL);
    let (outside_files, allowed_files) = (files_under(&outside), files_under(&allowed));
    let server = Server::start(
        &db,
        &[
            "--allow-dir",
            &allowed.display().to_string(),
            "--query-timeout",
            "3s",
            "--max-answer-bytes",
            "1048576",
            "--memory-limit",
            "512MB",
            "--query-memory",
            "150000000",
        ],
    );
    let home = std::env::var("HOME").unwrap_or_default();

    let mut failures = Vec::new();
    let cases = hostile_queries();
    for (template, expected) in &cases {
        let sql = template
            .replace("{o}", &outside.display().to_string())
            .replace("{a}", &allowed.display().to_string());
        let response = server.query(&querier, json!({"sql": sql}), None);
        let status = response.status().as_u16();
        let body = response.text().unwrap();
        if status != *expected {
            failures.push(format!(
                "{sql}\n  expected {expected}, got {status}: {body}"
            ));
        }
        for leak in [SECRET, "hostile.duckdb", home.as_str()] {
            if !leak.is_empty() && leak != "/" && body.contains(leak) && !sql.contains(leak) {
                failures.push(format!("{sql}\n  leaked {leak:?}: {body}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile queries:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );

    // information_schema answers, and lists the served schemas only.
    let listed = server.rows(
        &querier,
        "SELECT DISTINCT table_schema AS s FROM information_schema.tables ORDER BY 1",
    );
    let schemas: Vec<&str> = listed.iter().map(|r| r["s"].as_str().unwrap()).collect();
    assert_eq!(
        schemas,
        ["marts", "ml", "raw", "staging", "stream"],
        "{listed:?}"
    );

    // Deep but legitimate SQL answers.
    let terms = vec!["quantity"; 200].join(" + ");
    let deep = server.rows(
        &querier,
        &format!("SELECT sum({terms}) AS s FROM raw.order_lines"),
    );
    let expected = server.rows(
        &querier,
        "SELECT sum(quantity) * 200 AS s FROM raw.order_lines",
    );
    assert_eq!(deep, expected);
    let concat = vec!["'a'"; 100].join(" || ");
    assert_eq!(
        server.rows(&querier, &format!("SELECT length({concat}) AS n"))[0]["n"],
        100
    );

    // Huge answers: cut at the byte cap while streaming, or 413 for one huge row.
    let big = server.query(
        &querier,
        json!({"sql": "SELECT repeat('x', 1000) AS s FROM range(1000000)", "limit": 100000}),
        None,
    );
    assert_eq!(big.status(), StatusCode::OK);
    assert_eq!(big.headers()["x-truncated"], "true");
    let body = big.bytes().unwrap();
    assert!(body.len() <= 1_048_576, "{} bytes", body.len());
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["truncated"], true);
    assert!(answer["rows"].as_array().unwrap().len() > 500);
    for accept in ["text/csv", "application/vnd.apache.arrow.stream"] {
        let big = server.query(
            &querier,
            json!({"sql": "SELECT repeat('x', 1000) AS s FROM range(1000000)", "limit": 100000}),
            Some(accept),
        );
        assert_eq!(big.headers()["x-truncated"], "true", "{accept}");
        assert!(big.bytes().unwrap().len() <= 1_048_576, "{accept}");
    }
    is_problem(
        server.query(
            &querier,
            json!({"sql": "SELECT repeat('x', 2000000) AS s"}),
            None,
        ),
        StatusCode::PAYLOAD_TOO_LARGE,
    );
    // A query that keeps growing the server is stopped at --query-memory: 503.
    let grown = is_problem(
        server.query(
            &querier,
            json!({"sql": "SELECT count(DISTINCT s) FROM (SELECT range::VARCHAR || repeat('x', 200) AS s FROM range(30000000))"}),
            None,
        ),
        StatusCode::SERVICE_UNAVAILABLE,
    );
    assert!(
        grown["detail"].as_str().unwrap().contains("--query-memory"),
        "{grown}"
    );
    // Past the database's memory (or the query's time): 503, and the server goes on.
    is_problem(
        server.query(
            &querier,
            json!({"sql": "SELECT length(string_agg(repeat('x', 1000), ',')) FROM range(10000000)"}),
            None,
        ),
        StatusCode::SERVICE_UNAVAILABLE,
    );

    // The table list names the served schemas' tables only.
    let tables = server.json("/api/v1/tables", &reader);
    let schemas: std::collections::BTreeSet<&str> = tables
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["schema"].as_str().unwrap())
        .collect();
    assert_eq!(
        schemas.into_iter().collect::<Vec<_>>(),
        ["marts", "ml", "raw", "staging", "stream"]
    );

    // Requests: tokens, bodies, cursors.
    is_problem(
        server.get("/api/v1/summary", None),
        StatusCode::UNAUTHORIZED,
    );
    is_problem(
        server.get("/api/v1/summary", Some("ecom_not_a_token")),
        StatusCode::UNAUTHORIZED,
    );
    is_problem(
        server.query(&reader, json!({"sql": "SELECT 1"}), None),
        StatusCode::FORBIDDEN,
    );
    is_problem(
        server.query(&querier, json!({"sql": "SELECT 1", "limit": 0}), None),
        StatusCode::BAD_REQUEST,
    );
    let raw_post = |body: &str, content_type: &str| {
        server
            .client
            .post(format!("{}/api/v1/query", server.base))
            .bearer_auth(&querier)
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .unwrap()
    };
    is_problem(
        raw_post("{\"sql\": ", "application/json"),
        StatusCode::BAD_REQUEST,
    );
    is_problem(
        raw_post("{\"sql\": 1}", "application/json"),
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    is_problem(
        raw_post("SELECT 1", "text/plain"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    );
    is_problem(
        raw_post(
            &format!("{{\"sql\": \"{}\"}}", "x".repeat(100_000)),
            "application/json",
        ),
        StatusCode::PAYLOAD_TOO_LARGE,
    );
    use base64::Engine;
    let huge_cursor =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("offset:{}", 1u64 << 63));
    is_problem(
        server.get(
            &format!("/api/v1/countries?cursor={huge_cursor}"),
            Some(&reader),
        ),
        StatusCode::BAD_REQUEST,
    );
    is_problem(
        server.get("/api/v1/sales?limit=18446744073709551615", Some(&reader)),
        StatusCode::BAD_REQUEST,
    );
    let health: Value = server.get("/health", None).json().unwrap();
    assert!(health.get("warehouse").is_none(), "{health}");
    let health: Value = server.get("/health", Some(&admin)).json().unwrap();
    assert!(
        health["warehouse"]
            .as_str()
            .unwrap()
            .ends_with("hostile.duckdb")
    );

    assert_eq!(server.terminate(), Some(0));
    assert_eq!(
        query_json(&db, FINGERPRINT_SQL),
        before,
        "the warehouse is unchanged"
    );
    assert_eq!(
        files_under(&outside),
        outside_files,
        "nothing written outside"
    );
    assert_eq!(
        files_under(&allowed),
        allowed_files,
        "nothing written in the allowed folder"
    );
}

#[test]
fn slow_clients_and_query_bursts_get_timeouts_not_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("slow.duckdb");
    run_ok(
        ecom(&db)
            .arg("--quiet")
            .arg("ingest")
            .arg(by_day_dir().join("2010-12-01.csv")),
    );
    let querier = token(&db, "querier", "query");
    let server = Server::start(
        &db,
        &[
            "--header-timeout",
            "1s",
            "--request-timeout",
            "2s",
            "--max-connections",
            "8",
            "--max-queries",
            "1",
            "--queue-timeout",
            "300ms",
            "--query-timeout",
            "1500ms",
        ],
    );
    let addr = server.base.trim_start_matches("http://").to_string();

    // Slowloris: eight connections that never finish their headers take every slot;
    // the server drops them after --header-timeout and answers the next client.
    let idle: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut stream = TcpStream::connect(&addr).unwrap();
            stream
                .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            stream
        })
        .collect();
    assert_eq!(server.get("/health", None).status(), StatusCode::OK);
    for mut stream in idle {
        let mut buf = Vec::new();
        // Closed by the server: EOF (possibly after a 408 answer), never a hang.
        let _ = stream.read_to_end(&mut buf);
        let text = String::from_utf8_lossy(&buf);
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{text}"
        );
    }

    // A body sent too slowly: the request is cut at --request-timeout.
    let mut slow = TcpStream::connect(&addr).unwrap();
    write!(
        slow,
        "POST /api/v1/query HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {querier}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"sql\": "
    )
    .unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut answer = [0u8; 12];
    slow.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 408");

    // A burst: while one slow query holds the only turn, the next waits at most
    // --queue-timeout and gets 503 with Retry-After; an answer in the cache needs no
    // turn.
    let cached_sql = json!({"sql": "SELECT 'cached' AS c"});
    assert_eq!(
        server.query(&querier, cached_sql.clone(), None).status(),
        StatusCode::OK
    );
    let slow_query = {
        let (base, token) = (server.base.clone(), querier.clone());
        std::thread::spawn(move || {
            reqwest::blocking::Client::new()
                .post(format!("{base}/api/v1/query"))
                .bearer_auth(token)
                .json(&json!({"sql": "SELECT count(*) FROM range(100000000000) t(a) WHERE a % 7 = 3"}))
                .send()
                .unwrap()
                .status()
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut attempt = 0;
    let busy = loop {
        // Each attempt a new query: a cached answer needs no turn.
        attempt += 1;
        let response = server.query(
            &querier,
            json!({"sql": format!("SELECT {attempt} AS n")}),
            None,
        );
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            break response;
        }
        assert!(Instant::now() < deadline, "no 503 while the slow query ran");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(busy.headers().contains_key("retry-after"));
    let hit = server.query(&querier, cached_sql, None);
    assert_eq!(hit.status(), StatusCode::OK);
    assert_eq!(hit.headers()["x-cache"], "hit");
    is_problem(busy, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(slow_query.join().unwrap(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        server.rows(&querier, "SELECT 42 AS n")[0]["n"],
        42,
        "the server answers once the burst is over"
    );
    assert_eq!(server.terminate(), Some(0));
}
