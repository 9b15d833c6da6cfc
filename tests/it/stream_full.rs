//! The narrow tail on the whole data set: every one of the 541,909 lines through Tansu
//! into a copy of the full warehouse (marts and ML tables built), its windows equal to
//! batch SQL over the same lines, the enrichment view filled wherever the dimensions
//! know the answer, and the API serving the same windows as the table.

use crate::common::{by_day_dir, query_json, scalar};
use crate::serve::{Server, full_marts_with_ml, token};
use crate::stream::{MISMATCHES_SQL, simulate, tail, unique};

/// MISSION.md's reference figures.
const LINES: u64 = 541_909;
const REVENUE: &str = "9747747.934";

#[test]
fn the_whole_year_tails_into_narrow_events_with_windows_enrichment_and_api_answers_intact() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.duckdb");
    {
        let full = full_marts_with_ml();
        std::fs::copy(&*full, &db).unwrap();
    }
    let topic = unique("full-year");
    let sent = simulate(&topic, &[by_day_dir()], &[]);
    assert_eq!(sent["sent"].as_u64().unwrap(), LINES, "{sent}");
    let status = tail(
        &db,
        &topic,
        &unique("full-year-group"),
        &["--max-messages", &LINES.to_string()],
    );
    // `ecom --json tail`'s contract, and where the time went.
    assert_eq!(status["messages"].as_u64().unwrap(), LINES, "{status}");
    assert_eq!(status["events"].as_u64().unwrap(), LINES, "{status}");
    assert!(status["active_seconds"].as_f64().unwrap() > 0.0, "{status}");
    let stages = status["stages"].as_object().unwrap();
    for stage in [
        "poll",
        "decode",
        "window",
        "rows",
        "append",
        "commit",
        "other_threads",
    ] {
        assert!(stages[stage].as_f64().unwrap() >= 0.0, "{stage}: {status}");
    }
    assert!(stages["total"].as_f64().unwrap() > 0.0, "{status}");

    let events = &query_json(
        &db,
        "SELECT count(*) AS n, count(DISTINCT event_id) AS ids, sum(revenue)::VARCHAR AS revenue, \
         count(*) FILTER (WHERE late) AS late FROM stream.events",
    )[0];
    assert_eq!(events["n"], LINES);
    assert_eq!(events["ids"], LINES);
    assert_eq!(events["revenue"], REVENUE);
    assert_eq!(events["late"], 0, "the simulator sends in time order");
    // The hourly windows of every partition equal batch SQL over the same lines.
    assert_eq!(
        scalar(&db, MISMATCHES_SQL),
        0,
        "windows differ from batch SQL"
    );
    // Each enrichment is filled exactly where its dimension knows the key.
    let enriched = &query_json(
        &db,
        "SELECT count(*) AS n,
                count(product_description) AS described,
                count(*) FILTER (WHERE stock_code IN
                    (SELECT stock_code FROM marts.dim_product WHERE description IS NOT NULL)) AS describable,
                count(customer_segment) AS segmented,
                count(*) FILTER (WHERE customer_id IN
                    (SELECT customer_id FROM ml.customer_segments)) AS segmentable,
                count(customer_first_purchase) AS first_purchase,
                count(*) FILTER (WHERE customer_id IN
                    (SELECT customer_id::BIGINT FROM marts.dim_customer WHERE first_purchase_ts IS NOT NULL)) AS known,
                count(country_region) AS region
         FROM stream.events_enriched",
    )[0];
    assert_eq!(enriched["n"], LINES);
    assert_eq!(
        enriched["described"], enriched["describable"],
        "{enriched:?}"
    );
    assert_eq!(
        enriched["segmented"], enriched["segmentable"],
        "{enriched:?}"
    );
    assert_eq!(
        enriched["first_purchase"], enriched["known"],
        "{enriched:?}"
    );
    assert_eq!(enriched["region"], LINES, "{enriched:?}");
    assert!(
        enriched["segmented"].as_u64().unwrap() > 300_000,
        "{enriched:?}"
    );

    // The API serves the windows the table holds (December's, one page).
    let read = token(&db, "reader", "read");
    let querier = token(&db, "querier", "query");
    let server = Server::start(&db, &[]);
    let served = server.json(
        "/api/v1/stream/windows?since=2011-12-01T00:00:00&limit=1000",
        &read,
    );
    let expected = server.rows(
        &querier,
        "SELECT window_start::VARCHAR AS window_start, country, revenue::DOUBLE AS revenue, orders::BIGINT AS orders \
         FROM stream.window_totals WHERE window_end > TIMESTAMP '2011-12-01' \
         ORDER BY window_start, window_seconds, country LIMIT 1000",
    );
    let items = served["items"].as_array().unwrap();
    assert!(items.len() > 100, "{} windows served", items.len());
    assert_eq!(items.len(), expected.len());
    for (item, row) in items.iter().zip(&expected) {
        for key in ["window_start", "country", "revenue", "orders"] {
            assert_eq!(item[key], row[key], "{key}");
        }
    }
    server.terminate();
}
