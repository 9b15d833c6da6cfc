//! A warehouse written by the previous version of the tail (schema 7: every event stored
//! with its enrichment) opened by this one: the migration narrows `stream.events`, keeps
//! every row and window, and `stream.events_enriched` gives the enrichment the old rows
//! carried; the tail then goes on writing into the migrated table.

use std::io::Read;

use crate::common::{by_day_dir, query_json, scalar};
use crate::stream::{simulate, tail, unique};

/// The fixture's figures, read with the previous version before the change.
const EVENTS: u64 = 5_090;
const REVENUE: &str = "78933.560";
const DESCRIBED: u64 = 5_085;
const FIRST_PURCHASE: u64 = 3_046;

#[test]
fn a_previous_versions_warehouse_keeps_its_events_and_windows_and_enriches_through_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v7.duckdb");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/warehouses/stream-v7.duckdb.gz");
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&fixture).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    std::fs::write(&db, bytes).unwrap();

    // The first open migrates.
    assert_eq!(
        scalar(&db, "SELECT max(version) FROM meta.schema_migrations"),
        8
    );
    let columns = query_json(
        &db,
        "SELECT string_agg(column_name, ',' ORDER BY column_index) AS c FROM duckdb_columns() \
         WHERE schema_name = 'stream' AND table_name = 'events'",
    );
    assert_eq!(
        columns[0]["c"],
        "topic,partition,offset,event_id,event_type,event_time,invoice_no,stock_code,\
         description,quantity,unit_price,revenue,customer_id,country,late,received_at"
    );
    let events = &query_json(
        &db,
        "SELECT count(*) AS n, sum(revenue)::VARCHAR AS revenue FROM stream.events",
    )[0];
    assert_eq!(events["n"], EVENTS);
    assert_eq!(events["revenue"], REVENUE);
    // What the previous version stored with each event, now joined at read time.
    let enriched = &query_json(
        &db,
        "SELECT count(*) AS n, count(product_description) AS described, \
         count(customer_first_purchase) AS first_purchase, count(country_region) AS region, \
         count(customer_segment) AS segment FROM stream.events_enriched",
    )[0];
    assert_eq!(enriched["n"], EVENTS);
    assert_eq!(enriched["described"], DESCRIBED);
    assert_eq!(enriched["first_purchase"], FIRST_PURCHASE);
    assert_eq!(enriched["region"], EVENTS);
    assert_eq!(enriched["segment"], 0, "no ML segments in the fixture");
    // The closed windows are untouched.
    let windows = &query_json(
        &db,
        "SELECT count(*) AS windows, sum(revenue)::VARCHAR AS revenue, sum(orders) AS orders, \
         sum(items) AS items, sum(customers) AS customers FROM stream.window_totals",
    )[0];
    assert_eq!(
        serde_json::Value::Object(windows.clone()),
        serde_json::json!({"windows": 482, "revenue": "156008.800", "orders": 418, "items": 85026, "customers": 360})
    );

    // The tail writes narrow rows into the migrated table, and the view enriches them.
    let topic = unique("migrated");
    let sent = simulate(&topic, &[by_day_dir().join("2011-11-03.csv")], &[])["sent"]
        .as_u64()
        .unwrap();
    tail(&db, &topic, &unique("migrated-group"), &[]);
    let after = &query_json(
        &db,
        &format!(
            "SELECT count(*) AS n, count(*) FILTER (WHERE topic = '{topic}') AS new, \
             count(product_description) FILTER (WHERE topic = '{topic}') AS described, \
             count(*) FILTER (WHERE topic = '{topic}' AND stock_code IN \
               (SELECT stock_code FROM marts.dim_product WHERE description IS NOT NULL)) AS describable \
             FROM stream.events_enriched"
        ),
    )[0];
    assert_eq!(after["n"], EVENTS + sent);
    assert_eq!(after["new"], sent);
    assert_eq!(after["described"], after["describable"], "{after:?}");
    assert!(after["described"].as_u64().unwrap() > 0, "{after:?}");
}
