//! The routes a remote workbench reads and drives (`ecom --remote`): the workbench's
//! parts as its own types, dashboards evaluated in the server behind the query guard,
//! queries interrupted when their client goes away, and jobs started by admin clients.
//! A real `ecom serve` on the full data.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use ecom::dashboards::{BoundVariables, Figure};
use ecom::ml::summary::MlSummary;
use ecom::models::overview::ModelRow;
use ecom::stream::recent::StreamRecent;
use ecom::warehouse::Warehouse;
use ecom::warehouse::catalog::{QualitySummary, Relation};
use ecom::warehouse::history::RecentRun;

use crate::common::full_marts;
use crate::serve::{Server, full_marts_with_ml, is_problem, token};

impl Server {
    fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .expect("the server answers")
    }

    fn part<T: DeserializeOwned>(&self, part: &str, token: &str) -> T {
        serde_json::from_value(self.json(&format!("/api/v1/workbench/{part}"), token))
            .unwrap_or_else(|e| panic!("{part} deserializes: {e}"))
    }

    /// The value of a line of `/metrics` with no labels.
    fn metric(&self, name: &str) -> Option<f64> {
        let text = self.get("/metrics", None).text().expect("metrics");
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
    }
}

fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[test]
fn the_workbench_parts_are_the_local_loaders_values_on_the_full_data() {
    let db = full_marts_with_ml();
    let local_ml = {
        let warehouse = Warehouse::open(&db).unwrap();
        ecom::ml::summary::summary(warehouse.conn()).unwrap()
    };
    let unique = std::process::id();
    let read = token(&db, &format!("remote-read-{unique}"), "read");
    let query = token(&db, &format!("remote-query-{unique}"), "query");
    let server = Server::start(&db, &[]);

    let catalog: Vec<Relation> = server.part("catalog", &read);
    let fact_sales = catalog
        .iter()
        .find(|r| r.schema == "marts" && r.name == "fact_sales")
        .expect("marts.fact_sales is listed");
    assert!(
        fact_sales.rows.is_some_and(|n| n > 500_000),
        "{fact_sales:?}"
    );
    assert!(fact_sales.columns.iter().any(|c| c.name == "revenue"));
    assert!(
        catalog.iter().all(|r| r.schema != "meta"),
        "the catalog lists the served schemas only"
    );

    let ml: MlSummary = server.part("ml", &read);
    assert!(!ml.segments.is_empty());
    let segments = |summary: &MlSummary| -> Vec<(String, i64, f64)> {
        summary
            .segments
            .iter()
            .map(|s| (s.segment.clone(), s.size, cents(s.monetary)))
            .collect()
    };
    assert_eq!(
        segments(&ml),
        segments(&local_ml),
        "the ML part is the local summary"
    );
    assert_eq!(ml.anomalies.len(), local_ml.anomalies.len());
    assert_eq!(ml.daily_revenue.len(), local_ml.daily_revenue.len());
    assert_eq!(ml.runs.len(), local_ml.runs.len());

    let _: QualitySummary = server.part("quality", &read);
    let _: StreamRecent = server.part("stream", &read);
    let runs: Vec<RecentRun> = server.part("runs", &read);
    assert!(runs.iter().any(|r| r.kind == "ingest"), "{runs:?}");
    assert!(runs.iter().any(|r| r.kind == "ml"), "{runs:?}");
    let models: Vec<ModelRow> = server.part("models", &read);
    assert!(
        models
            .iter()
            .any(|m| m.name == "fact_sales" && m.schema == "marts"),
        "{models:?}"
    );

    let customer = server.rows(
        &query,
        "SELECT min(customer_id) AS id FROM ml.recommendations",
    )[0]["id"]
        .as_i64()
        .unwrap();
    let found = server.json(&format!("/api/v1/workbench/lookup?text={customer}"), &read);
    assert_eq!(
        found["title"],
        format!("Recommended for customer {customer}")
    );
    let list: Vec<ecom::ml::recommend::Suggestion> =
        serde_json::from_value(found["list"].clone()).unwrap();
    assert!(!list.is_empty());

    let problem = is_problem(
        server.get("/api/v1/workbench/secrets", Some(&read)),
        StatusCode::NOT_FOUND,
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("catalog, quality"),
        "{problem}"
    );
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn dashboards_run_in_the_server_behind_the_query_guard() {
    let db = full_marts_with_ml();
    let unique = std::process::id();
    let query = token(&db, &format!("dash-query-{unique}"), "query");
    let read = token(&db, &format!("dash-read-{unique}"), "read");
    let server = Server::start(&db, &[]);
    let overview = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/dashboards/overview.toml"),
    )
    .unwrap();

    let bound = server.post(
        "/api/v1/dashboards/bind",
        &query,
        &json!({"dashboard": overview, "selection": [["period", "all"], ["country", "all"]]}),
    );
    assert_eq!(bound.status(), StatusCode::OK);
    let bound: BoundVariables = bound.json().expect("BoundVariables");
    assert_eq!(bound.choices[0][0], "all");
    assert!(bound.choices[1].iter().any(|c| c == "United Kingdom"));

    let panel = server.post(
        "/api/v1/dashboards/panel",
        &query,
        &json!({"dashboard": overview, "index": 0, "bindings": bound.bindings}),
    );
    assert_eq!(panel.status(), StatusCode::OK);
    let answer: Value = panel.json().unwrap();
    let figure: Figure = serde_json::from_value(answer["figure"].clone()).unwrap();
    let Figure::Kpi {
        value: Some(revenue),
        ..
    } = figure
    else {
        panic!("{figure:?}")
    };
    assert_eq!(cents(revenue), 9_726_006.95);

    // A panel that reads a file is refused by name, in bind and in panel.
    let evil = r#"title = "Evil"

[[panels]]
title = "Secrets"
kind = "table"
sql = "select * from read_csv('/etc/passwd')"
"#;
    for route in ["bind", "panel"] {
        let body =
            json!({"dashboard": evil, "index": 0, "selection": [], "bindings": bound.bindings});
        let problem = is_problem(
            server.post(&format!("/api/v1/dashboards/{route}"), &query, &body),
            StatusCode::FORBIDDEN,
        );
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("panel `Secrets` (line 4)"), "{detail}");
        assert!(!detail.contains("root:"), "{detail}");
    }
    // A broken file says where.
    let problem = is_problem(
        server.post(
            "/api/v1/dashboards/bind",
            &query,
            &json!({"dashboard": "title = \"x\"\n[[panels]]\ntitle = 3\n"}),
        ),
        StatusCode::BAD_REQUEST,
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("line 3"),
        "{problem}"
    );
    // Dashboards run SQL: a read token may not.
    is_problem(
        server.post(
            "/api/v1/dashboards/bind",
            &read,
            &json!({"dashboard": overview}),
        ),
        StatusCode::FORBIDDEN,
    );
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn a_query_whose_client_goes_away_is_interrupted_and_frees_its_turn() {
    let db = full_marts();
    let query = token(&db, &format!("cancel-{}", std::process::id()), "query");
    let server = Server::start(
        &db,
        &[
            "--max-queries",
            "1",
            "--query-timeout",
            "10m",
            "--queue-timeout",
            "60s",
        ],
    );
    assert_eq!(server.metric("ecom_queries_abandoned_total"), Some(0.0));
    // Hours of work on the full data: a hash of each of 500,000² pairs (no statistics
    // can rule a pair out).
    let slow = "SELECT count(*) AS n FROM marts.fact_sales a, marts.fact_sales b \
                WHERE hash(a.invoice_no, b.stock_code) % 1000 = 7";
    let impatient = Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let gone = impatient
        .post(format!("{}/api/v1/query", server.base))
        .bearer_auth(&query)
        .json(&json!({"sql": slow}))
        .send();
    assert!(gone.is_err_and(|e| e.is_timeout()), "the client gave up");
    drop(impatient);

    // The one turn is free again: the next query answers.
    let rows = server.rows(&query, "SELECT count(*) AS n FROM marts.dim_country");
    assert!(rows[0]["n"].as_i64().unwrap() > 30);
    // And the abandoned statement was interrupted (recorded as it happens).
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.metric("ecom_queries_abandoned_total") != Some(1.0)
        || server.metric("ecom_http_in_flight_requests") != Some(1.0)
    {
        assert!(
            Instant::now() < deadline,
            "the abandoned query was never interrupted"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Paging: `offset` skips rows.
    let page = |offset: u64| {
        let response = server.query(
            &query,
            json!({"sql": "SELECT i FROM range(10) t(i) ORDER BY i", "limit": 3, "offset": offset}),
            None,
        );
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().unwrap()["rows"].clone()
    };
    assert_eq!(page(0), json!([[0], [1], [2]]));
    assert_eq!(page(4), json!([[4], [5], [6]]));
    assert_eq!(page(9), json!([[9]]));
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn only_an_admin_starts_jobs_and_a_started_build_is_followed_to_its_end() {
    let db = full_marts();
    let unique = std::process::id();
    let read = token(&db, &format!("jobs-read-{unique}"), "read");
    let admin = token(&db, &format!("jobs-admin-{unique}"), "admin");
    let server = Server::start(&db, &[]);
    let build = json!({"kind": "models", "select": ["countries", "dim_country"]});

    let problem = is_problem(
        server.post("/api/v1/jobs", &read, &build),
        StatusCode::FORBIDDEN,
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("admin scope"),
        "{problem}"
    );
    assert_eq!(
        server.json("/api/v1/jobs", &admin),
        json!([]),
        "nothing started"
    );

    let started = server.post("/api/v1/jobs", &admin, &build);
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let started: Value = started.json().unwrap();
    let id = started["id"].as_u64().unwrap();
    assert_eq!(started["name"], "models build");
    let listed = server.json("/api/v1/jobs", &admin);
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["kind"], "models");

    let deadline = Instant::now() + Duration::from_secs(300);
    let job = loop {
        let job = server.json(&format!("/api/v1/jobs/{id}"), &admin);
        if job["state"] != "running" {
            break job;
        }
        assert!(Instant::now() < deadline, "the build never ended: {job}");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["done"], job["total"], "{job}");
    assert!(job["message"].as_str().unwrap().contains("nodes"), "{job}");
    is_problem(
        server.get("/api/v1/jobs/999999", Some(&admin)),
        StatusCode::NOT_FOUND,
    );
    let ended = server
        .client
        .delete(format!("{}/api/v1/jobs/{id}", server.base))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(
        ended.status(),
        StatusCode::OK,
        "an ended job stays as it ended"
    );

    // One build at a time; a cancelled one stops and says so.
    let everything = json!({"kind": "models"});
    let started = server.post("/api/v1/jobs", &admin, &everything);
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let id = started.json::<Value>().unwrap()["id"].as_u64().unwrap();
    let problem = is_problem(
        server.post("/api/v1/jobs", &admin, &everything),
        StatusCode::CONFLICT,
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("job {id}")),
        "{problem}"
    );
    let cancelled = server
        .client
        .delete(format!("{}/api/v1/jobs/{id}", server.base))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(cancelled.status(), StatusCode::ACCEPTED);
    let job = loop {
        let job = server.json(&format!("/api/v1/jobs/{id}"), &admin);
        if job["state"] != "running" {
            break job;
        }
        assert!(
            Instant::now() < deadline,
            "the cancelled build never ended: {job}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(job["state"], "cancelled", "{job}");
    let bad = server.post(
        "/api/v1/jobs",
        &admin,
        &json!({"kind": "ml", "model": "tarot"}),
    );
    is_problem(bad, StatusCode::BAD_REQUEST);
    assert_eq!(server.terminate(), Some(0));
}
