//! `ecom serve`: a real server on a loopback port, real HTTP (reqwest), the real data.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

use crate::common::{by_day_dir, ecom, full_marts, query_json, run_ok, venv_bin};

/// A running `ecom serve`, killed if the test ends without stopping it.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    pub(crate) client: Client,
}

impl Server {
    pub(crate) fn start(db: &Path, extra: &[&str]) -> Self {
        let mut child = ecom(db)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ecom serve starts");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        let base = loop {
            line.clear();
            assert!(
                lines.read_line(&mut line).expect("stderr readable") > 0,
                "serve exited before listening"
            );
            if let Some(rest) = line.split(" on http://").nth(1) {
                break format!(
                    "http://{}",
                    rest.split_whitespace().next().expect("an address")
                );
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while lines.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                sink.clear();
            }
        });
        Self {
            child,
            base,
            client: Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
        }
    }

    pub(crate) fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().expect("the server answers")
    }

    pub(crate) fn json(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, Some(token));
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().expect("JSON")
    }

    pub(crate) fn query(&self, token: &str, body: Value, accept: Option<&str>) -> Response {
        let mut request = self
            .client
            .post(format!("{}/api/v1/query", self.base))
            .bearer_auth(token)
            .json(&body);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        request.send().expect("the server answers")
    }

    /// Rows of `sql` through the query route, as JSON objects.
    pub(crate) fn rows(&self, token: &str, sql: &str) -> Vec<Value> {
        let response = self.query(token, json!({"sql": sql, "limit": 100000}), None);
        assert_eq!(response.status(), StatusCode::OK, "{sql}");
        let answer: Value = response.json().expect("JSON");
        let columns: Vec<String> =
            serde_json::from_value(answer["columns"].clone()).expect("columns");
        answer["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|row| {
                Value::Object(
                    columns
                        .iter()
                        .cloned()
                        .zip(row.as_array().expect("a row").iter().cloned())
                        .collect(),
                )
            })
            .collect()
    }

    /// SIGTERM, then the exit code.
    pub(crate) fn terminate(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .expect("kill")
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("serve did not stop within 30 s of SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn token(db: &Path, name: &str, scope: &str) -> String {
    let out = run_ok(ecom(db).args(["serve", "token", "create", "--name", name, "--scope", scope]));
    assert_eq!(out.lines().count(), 1, "the token alone on stdout: {out}");
    out.trim().to_string()
}

pub(crate) fn is_problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "errors are RFC 9457 problems"
    );
    let problem: Value = response.json().expect("problem JSON");
    assert_eq!(problem["status"], status.as_u16());
    assert!(
        problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{problem}"
    );
    problem
}

/// The tables, views and row counts of the warehouse, to show nothing changed (but the
/// tokens, which the test changes through the admin routes on purpose).
pub(crate) const FINGERPRINT_SQL: &str = "SELECT schema_name, table_name, estimated_size FROM duckdb_tables() \
     WHERE NOT internal AND table_name <> 'api_tokens' UNION ALL SELECT schema_name, view_name, 0 FROM duckdb_views() WHERE NOT internal ORDER BY 1, 2";

/// The full-data warehouse with its marts and the ML tables the API serves.
pub(crate) fn full_marts_with_ml() -> std::sync::MutexGuard<'static, std::path::PathBuf> {
    let db = full_marts();
    for (table, model) in [
        ("ml.customer_segments", "segment"),
        ("ml.recommendations", "recommend"),
        ("ml.anomalies", "anomalies"),
    ] {
        let exists = query_json(
            &db,
            &format!(
                "SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name || '.' || table_name = '{table}'"
            ),
        );
        if exists[0]["n"] == 0 {
            run_ok(ecom(&db).args(["--quiet", "ml", model]));
        }
    }
    db
}

#[test]
fn routes_tokens_queries_cache_openapi_metrics_and_sigterm_on_the_full_data() {
    let db = full_marts_with_ml();
    let unique = std::process::id();
    let read = token(&db, &format!("reader-{unique}"), "read");
    let querier = token(&db, &format!("querier-{unique}"), "query");
    let admin = token(&db, &format!("admin-{unique}"), "admin");
    let listed = run_ok(ecom(&db).args(["serve", "token", "ls"]));
    assert!(
        listed.contains(&format!("querier-{unique}")) && !listed.contains(&querier),
        "{listed}"
    );
    let before = query_json(&db, FINGERPRINT_SQL);

    let server = Server::start(&db, &["--query-timeout", "1s"]);

    // Public routes: the warehouse's path only for an admin.
    let health: Value = server.get("/health", None).json().unwrap();
    assert_eq!(health["status"], "ok");
    assert!(health.get("warehouse").is_none(), "{health}");
    let health: Value = server.get("/health", Some(&read)).json().unwrap();
    assert!(health.get("warehouse").is_none(), "{health}");
    let health: Value = server.get("/health", Some(&admin)).json().unwrap();
    assert!(
        health["warehouse"]
            .as_str()
            .unwrap()
            .ends_with("full.duckdb")
    );

    // The auth matrix.
    is_problem(
        server.get("/api/v1/summary", None),
        StatusCode::UNAUTHORIZED,
    );
    is_problem(
        server.get("/api/v1/summary", Some("ecom_0000")),
        StatusCode::UNAUTHORIZED,
    );
    assert_eq!(
        server.get("/api/v1/summary", Some(&read)).status(),
        StatusCode::OK
    );
    is_problem(
        server.query(&read, json!({"sql": "SELECT 1"}), None),
        StatusCode::FORBIDDEN,
    );
    assert_eq!(
        server
            .query(&querier, json!({"sql": "SELECT 1"}), None)
            .status(),
        StatusCode::OK
    );
    is_problem(
        server.get("/api/v1/tokens", Some(&querier)),
        StatusCode::FORBIDDEN,
    );
    assert_eq!(
        server.get("/api/v1/tokens", Some(&admin)).status(),
        StatusCode::OK
    );
    let created: Value = server
        .client
        .post(format!("{}/api/v1/tokens", server.base))
        .bearer_auth(&admin)
        .json(&json!({"name": format!("temp-{unique}"), "scope": "read"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let temp = created["token"]
        .as_str()
        .expect("the new token")
        .to_string();
    assert_eq!(
        server.get("/api/v1/segments", Some(&temp)).status(),
        StatusCode::OK
    );
    let revoked = server
        .client
        .delete(format!("{}/api/v1/tokens/temp-{unique}", server.base))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    is_problem(
        server.get("/api/v1/segments", Some(&temp)),
        StatusCode::UNAUTHORIZED,
    );

    // Figures: the summary holds MISSION.md's reference figures.
    let summary = server.json("/api/v1/summary", &read);
    assert_eq!(summary["lines"], 541_909);
    assert_eq!(summary["invoices"], 25_900);
    assert_eq!(summary["customers"], 4_372);
    assert_eq!(summary["countries"], 38);
    assert_eq!(summary["products"], 4_070);
    assert_eq!(
        (summary["revenue"].as_f64().unwrap() * 100.0).round() / 100.0,
        9_747_747.93
    );
    assert_eq!(summary["first_day"], "2010-12-01");
    assert_eq!(summary["last_day"], "2011-12-09");

    // Every route's figures equal the same SQL on the warehouse.
    let daily = server.json("/api/v1/sales?grain=day&limit=1000", &read);
    assert!(
        daily["next_cursor"].is_null(),
        "305 days fit a page of 1000"
    );
    let daily = daily["items"].clone();
    let expected = server.rows(
        &querier,
        "SELECT sales_date::VARCHAR AS period, net_revenue::DOUBLE AS revenue, invoice_count AS orders, \
         units_sold::BIGINT AS items, b.customers FROM marts.sales_daily \
         JOIN (SELECT invoice_ts::DATE AS sales_date, count(DISTINCT customer_id) FILTER (WHERE NOT is_cancellation) AS customers \
               FROM marts.fact_sales GROUP BY 1) b USING (sales_date) ORDER BY sales_date",
    );
    assert_eq!(daily.as_array().unwrap().len(), 305);
    assert_eq!(daily, Value::Array(expected));
    let monthly = server.json(
        "/api/v1/sales?grain=month&from=2011-01-01&to=2011-12-31",
        &read,
    )["items"]
        .clone();
    let expected = server.rows(
        &querier,
        "SELECT month_start::VARCHAR AS period, net_revenue::DOUBLE AS revenue, invoice_count AS orders, \
         units_sold::BIGINT AS items, active_customers AS customers FROM marts.sales_monthly \
         WHERE month_start >= DATE '2011-01-01' ORDER BY month_start",
    );
    assert_eq!(monthly, Value::Array(expected));
    let france = server.json("/api/v1/sales?grain=month&country=France", &read)["items"].clone();
    let france_revenue: f64 = france
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["revenue"].as_f64().unwrap())
        .sum();
    let expected = server.rows(
        &querier,
        "SELECT net_revenue::DOUBLE AS r FROM marts.sales_by_country WHERE country = 'France'",
    );
    assert!((france_revenue - expected[0]["r"].as_f64().unwrap()).abs() < 0.01);
    is_problem(
        server.get("/api/v1/sales?grain=week", Some(&read)),
        StatusCode::BAD_REQUEST,
    );

    // Lists page with an opaque cursor.
    let mut countries = Vec::new();
    let mut path = "/api/v1/countries?limit=10".to_string();
    loop {
        let page = server.json(&path, &read);
        countries.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/countries?limit=10&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(countries.len(), 38);
    assert_eq!(countries[0]["country"], "United Kingdom");
    is_problem(
        server.get("/api/v1/countries?cursor=garbage", Some(&read)),
        StatusCode::BAD_REQUEST,
    );

    let product = server.json("/api/v1/products/85123A", &read);
    assert_eq!(product["description"], "WHITE HANGING HEART T-LIGHT HOLDER");
    let similar = server.rows(
        &querier,
        "SELECT count(*) AS n FROM ml.similar_products WHERE stock_code = '85123A'",
    );
    assert_eq!(
        product["similar"].as_array().unwrap().len() as i64,
        similar[0]["n"].as_i64().unwrap()
    );
    is_problem(
        server.get("/api/v1/products/NOPE", Some(&read)),
        StatusCode::NOT_FOUND,
    );

    let customer = server.json("/api/v1/customers/17850", &read);
    let expected = server.rows(
        &querier,
        "SELECT c.order_count, s.segment FROM marts.dim_customer c JOIN ml.customer_segments s USING (customer_id) WHERE customer_id = 17850",
    );
    assert_eq!(customer["orders"], expected[0]["order_count"]);
    assert_eq!(customer["segment"], expected[0]["segment"]);
    is_problem(
        server.get("/api/v1/customers/abc", Some(&read)),
        StatusCode::BAD_REQUEST,
    );

    let recommended = server.json("/api/v1/customers/17850/recommendations?k=5", &read);
    let expected = server.rows(
        &querier,
        "SELECT stock_code FROM ml.recommendations WHERE customer_id = 17850 ORDER BY rank LIMIT 5",
    );
    let codes: Vec<&Value> = recommended
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["stock_code"])
        .collect();
    assert_eq!(
        codes,
        expected
            .iter()
            .map(|r| &r["stock_code"])
            .collect::<Vec<_>>()
    );

    let segments = server.json("/api/v1/segments", &read);
    let expected = server.rows(
        &querier,
        "SELECT sum(size) AS n, count(*) AS k FROM ml.segment_profiles",
    );
    assert_eq!(
        segments.as_array().unwrap().len() as i64,
        expected[0]["k"].as_i64().unwrap()
    );
    assert_eq!(
        segments
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["size"].as_i64().unwrap())
            .sum::<i64>(),
        expected[0]["n"].as_i64().unwrap()
    );

    let anomalies = server.json("/api/v1/anomalies?kind=daily_revenue", &read);
    let expected = server.rows(
        &querier,
        "SELECT count(*) AS n FROM ml.anomalies WHERE kind = 'daily_revenue'",
    );
    assert_eq!(
        anomalies["items"].as_array().unwrap().len() as i64,
        expected[0]["n"].as_i64().unwrap()
    );
    let windows = server.json("/api/v1/stream/windows", &read);
    assert!(windows["items"].is_array());

    // The cache: a repeat is a hit.
    assert_eq!(
        server.get("/api/v1/segments", Some(&read)).headers()["x-cache"],
        "hit"
    );

    // Query formats, limits and truncation.
    let answer: Value = server
        .query(&querier, json!({"sql": "SELECT invoice_no FROM raw.order_lines ORDER BY invoice_no", "limit": 3}), None)
        .json()
        .unwrap();
    assert_eq!(answer["rows"], json!([["536365"], ["536365"], ["536365"]]));
    assert_eq!(answer["truncated"], true);
    let csv = server.query(
        &querier,
        json!({"sql": "SELECT 1 AS a, 'x' AS b"}),
        Some("text/csv"),
    );
    assert_eq!(csv.headers()["content-type"], "text/csv");
    assert_eq!(csv.text().unwrap(), "a,b\n1,x\n");
    let arrow = server.query(
        &querier,
        json!({"sql": "SELECT 1 AS a"}),
        Some("application/vnd.apache.arrow.stream"),
    );
    assert_eq!(
        arrow.headers()["content-type"],
        "application/vnd.apache.arrow.stream"
    );
    assert_eq!(
        &arrow.bytes().unwrap()[..4],
        &[0xff, 0xff, 0xff, 0xff],
        "an Arrow IPC stream"
    );
    let slow = server.query(
        &querier,
        json!({"sql": "SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3"}),
        None,
    );
    is_problem(slow, StatusCode::SERVICE_UNAVAILABLE);
    let bad = is_problem(
        server.query(
            &querier,
            json!({"sql": "SELECT nope FROM raw.order_lines"}),
            None,
        ),
        StatusCode::BAD_REQUEST,
    );
    assert!(bad["detail"].as_str().unwrap().contains("nope"), "{bad}");
    let huge = "x".repeat(100_000);
    is_problem(
        server.query(&querier, json!({"sql": huge}), None),
        StatusCode::PAYLOAD_TOO_LARGE,
    );

    // Forbidden queries are refused, wherever they hide.
    let forbidden = [
        "DELETE FROM raw.order_lines",
        "UPDATE raw.order_lines SET quantity = 0",
        "INSERT INTO meta.api_tokens VALUES ('x', 'admin', 'h', now()::TIMESTAMP, NULL)",
        "DROP TABLE raw.order_lines",
        "CREATE TABLE main.x AS SELECT 1",
        "COPY raw.order_lines TO '/tmp/ecom-serve-leak.csv'",
        "ATTACH '/tmp/ecom-serve-other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET threads = 1",
        "PRAGMA threads = 1",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM read_parquet('/tmp/*.parquet')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM read_text('/etc/hostname')",
        "WITH t AS (SELECT * FROM read_csv_auto('/etc/passwd')) SELECT * FROM t",
        "SELECT * FROM raw.order_lines WHERE invoice_no IN (SELECT column0 FROM read_csv('/etc/passwd'))",
        "SELECT 1; DROP TABLE raw.order_lines",
        "SELECT * FROM 'https://example.com/data.csv'",
        "CALL pragma_version()",
    ];
    for sql in forbidden {
        let response = server.query(&admin, json!({"sql": sql}), None);
        assert!(
            response.status().is_client_error(),
            "{sql}: {}",
            response.status()
        );
        let problem: Value = response.json().unwrap();
        assert!(
            !problem["detail"].as_str().unwrap_or("").contains("root:"),
            "{sql} leaked: {problem}"
        );
    }
    assert!(!Path::new("/tmp/ecom-serve-leak.csv").exists());

    // The OpenAPI document validates and lists every route.
    let document: Value = server.get("/openapi.json", None).json().unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    for route in [
        "/health",
        "/metrics",
        "/openapi.json",
        "/api/v1/summary",
        "/api/v1/sales",
        "/api/v1/countries",
        "/api/v1/products/{stock_code}",
        "/api/v1/customers/{id}",
        "/api/v1/customers/{id}/recommendations",
        "/api/v1/segments",
        "/api/v1/anomalies",
        "/api/v1/stream/windows",
        "/api/v1/query",
        "/api/v1/tables",
        "/api/v1/tokens",
        "/api/v1/tokens/{name}",
        "/api/v1/jobs",
        "/api/v1/jobs/{id}",
        "/api/v1/workbench/{part}",
        "/api/v1/dashboards/bind",
        "/api/v1/dashboards/panel",
    ] {
        assert!(
            document["paths"][route].is_object(),
            "{route} missing from the OpenAPI document"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec(&document).unwrap()).unwrap();
    run_ok(Command::new(venv_bin("openapi-spec-validator")).arg(&file));

    // Metrics.
    let metrics = server.get("/metrics", None).text().unwrap();
    for needle in [
        "ecom_http_requests_total{route=\"/api/v1/summary\",status=\"200\"}",
        "ecom_http_requests_total{route=\"/api/v1/summary\",status=\"401\"}",
        "ecom_http_request_duration_seconds_bucket{route=\"/api/v1/summary\",le=\"+Inf\"}",
        "ecom_cache_hits_total",
        "ecom_http_open_connections",
    ] {
        assert!(metrics.contains(needle), "{needle} missing:\n{metrics}");
    }

    assert_eq!(server.terminate(), Some(0), "SIGTERM exits 0");
    assert_eq!(
        query_json(&db, FINGERPRINT_SQL),
        before,
        "the warehouse is unchanged"
    );
}

#[test]
fn the_in_process_pipeline_lands_new_data_and_the_cache_misses_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    for day in ["2010-12-01.csv", "2010-12-02.csv"] {
        std::fs::copy(by_day_dir().join(day), inbox.join(day)).unwrap();
    }
    run_ok(
        ecom(&db)
            .args(["--quiet", "pipeline", "run", "--ingest"])
            .arg(&inbox),
    );
    let read = token(&db, "reader", "read");
    let querier = token(&db, "querier", "query");
    // The pipeline ingests, builds the models (seeds read through DuckDB) and exports a
    // mart to a folder (written through DuckDB), all inside the server's sandbox.
    let lake = dir.path().join("lake");
    let config = dir.path().join("home/config/ecom/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        format!(
            r#"
[[pipeline.jobs]]
name = "ingest"
kind = "ingest"
[[pipeline.jobs]]
name = "models"
kind = "models"
depends_on = ["ingest"]
[[pipeline.jobs]]
name = "export"
kind = "export"
depends_on = ["models"]
to = "{}"
tables = ["marts.sales_daily"]
"#,
            lake.display()
        ),
    )
    .unwrap();
    let secret = dir.path().join("secret.csv");
    std::fs::write(&secret, "secret\nhunter2\n").unwrap();
    let pipeline = format!("--every 1s --ingest '{}'", inbox.display());
    let server = Server::start(&db, &["--pipeline", &pipeline, "--metrics-token", "s3cret"]);
    let first = server.get("/api/v1/summary", Some(&read));
    let lines = |response: Response| -> (String, i64) {
        let cache = response.headers()["x-cache"].to_str().unwrap().to_string();
        let summary: Value = response.json().unwrap();
        (cache, summary["lines"].as_i64().unwrap())
    };
    let (_, before) = lines(first);
    let expected_before = 3_108 + 2_109;
    assert_eq!(before, expected_before);
    // With nothing new, repeats come from the cache (a pipeline run may land between
    // two requests, so look for a hit among a few).
    assert!((0..5).any(|_| lines(server.get("/api/v1/summary", Some(&read))).0 == "hit"));
    std::fs::copy(
        by_day_dir().join("2010-12-03.csv"),
        inbox.join("2010-12-03.csv"),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let (cache, after) = loop {
        let (cache, now) = lines(server.get("/api/v1/summary", Some(&read)));
        if now != before || Instant::now() > deadline {
            break (cache, now);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(after, expected_before + 2_202, "the third day landed");
    assert_eq!(cache, "miss", "new data is never answered from the cache");
    // While the pipeline reads seeds and writes the lake through the same database, a
    // client reaches neither those folders nor any other file.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !lake.join("marts/sales_daily/_manifest.json").is_file() {
        assert!(
            Instant::now() < deadline,
            "the export job never wrote the lake"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for sql in [
        format!("SELECT * FROM '{}'", secret.display()),
        format!(
            "SELECT * FROM read_parquet('{}/**/*.parquet')",
            lake.display()
        ),
        format!(
            "SELECT * FROM '{}/marts/sales_daily/part-0.parquet'",
            lake.display()
        ),
    ] {
        let refused = is_problem(
            server.query(&querier, json!({"sql": sql}), None),
            StatusCode::FORBIDDEN,
        );
        assert!(!refused.to_string().contains("hunter2"), "{refused}");
    }
    // The pipeline's next model build covers the third day too.
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.rows(&querier, "SELECT count(*) AS n FROM marts.sales_daily")[0]["n"] != 3 {
        assert!(
            Instant::now() < deadline,
            "the models never covered the third day"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    is_problem(server.get("/metrics", None), StatusCode::UNAUTHORIZED);
    let metrics = server.get("/metrics", Some("s3cret")).text().unwrap();
    assert!(
        metrics.contains("ecom_job_running{job=\"pipeline\"} 1"),
        "{metrics}"
    );
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn the_in_process_tail_lands_windows_that_the_api_serves() {
    use crate::stream::{brokers, simulate, unique};
    let topic = unique("serve-tail");
    let sent = simulate(&topic, &[by_day_dir().join("2011-11-01.csv")], &[]);
    let events = sent["sent"].as_i64().expect("events sent");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    let read = token(&db, "reader", "read");
    let querier = token(&db, "querier", "query");
    let tail = format!(
        "--brokers {} --topic {topic} --group {topic} --window 1h --metrics-topic '' \
         --consumer-config session.timeout.ms=2000 heartbeat.interval.ms=500",
        brokers()
    );
    let server = Server::start(&db, &["--tail", &tail]);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let landed = server.rows(&querier, "SELECT count(*) AS n FROM stream.events");
        if landed[0]["n"].as_i64() == Some(events) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{landed:?} of {events} events after 90 s"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let served = server.json("/api/v1/stream/windows?limit=1000", &read);
    let expected = server.rows(
        &querier,
        "SELECT window_start::VARCHAR AS window_start, country, revenue::DOUBLE AS revenue, orders::BIGINT AS orders \
         FROM stream.window_totals ORDER BY window_start, window_seconds, country",
    );
    let items = served["items"].as_array().unwrap();
    assert!(!items.is_empty(), "closed windows are served");
    assert_eq!(items.len(), expected.len());
    for (item, row) in items.iter().zip(&expected) {
        for key in ["window_start", "country", "revenue", "orders"] {
            assert_eq!(item[key], row[key], "{key}");
        }
    }
    // The tail publishes its figures twice a second: wait for the last batch's.
    let wanted = format!("ecom_tail_events_total {events}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let metrics = loop {
        let metrics = server.get("/metrics", None).text().unwrap();
        if metrics.contains(&wanted) || Instant::now() > deadline {
            break metrics;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        metrics.contains("ecom_job_running{job=\"tail\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains(&wanted),
        "the tail's own figures: {metrics}"
    );
    assert_eq!(
        server.terminate(),
        Some(0),
        "SIGTERM stops the tail and exits 0"
    );
}
