//! Closed windows to the metrics topic: the ones the broker has not acknowledged yet
//! are sent (again) and marked published once it has them.

use std::time::Duration as StdDuration;

use chrono::NaiveDateTime;
use duckdb::Connection;

use crate::stream::error::Result;
use crate::stream::kafka::ReliableProducer;

/// Publishes the closed windows not yet acknowledged by the metrics topic, keyed
/// `window_start/window_end/window_seconds/hop_seconds/country/topic/partition` so a
/// reader can deduplicate, and marks them published once the broker has them. False
/// when some were not delivered (they are sent again next time).
pub(super) fn publish_unpublished(
    conn: &Connection,
    producer: &ReliableProducer,
    metrics_topic: &str,
) -> Result<bool> {
    let mut stmt = conn.prepare(
        "SELECT window_start, window_end, country, revenue::DOUBLE, orders, items, customers, cancellations,
                views, carts, purchases, conversion, window_seconds, hop_seconds, topic, \"partition\"
         FROM stream.window_metrics WHERE NOT published",
    )?;
    let rows = stmt
        .query_map([], |r| {
            let start: NaiveDateTime = r.get(0)?;
            let end: NaiveDateTime = r.get(1)?;
            let value = serde_json::json!({
                "window_start": start.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "window_end": end.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "country": r.get::<_, String>(2)?,
                "revenue": r.get::<_, f64>(3)?,
                "orders": r.get::<_, i64>(4)?,
                "items": r.get::<_, i64>(5)?,
                "customers": r.get::<_, i64>(6)?,
                "cancellations": r.get::<_, i64>(7)?,
                "views": r.get::<_, i64>(8)?,
                "carts": r.get::<_, i64>(9)?,
                "purchases": r.get::<_, i64>(10)?,
                "conversion": r.get::<_, Option<f64>>(11)?,
                "window_seconds": r.get::<_, i64>(12)?,
                "hop_seconds": r.get::<_, i64>(13)?,
                "topic": r.get::<_, String>(14)?,
                "partition": r.get::<_, i32>(15)?,
            });
            let key = format!(
                "{}/{}/{}/{}/{}/{}/{}",
                value["window_start"].as_str().unwrap_or_default(),
                value["window_end"].as_str().unwrap_or_default(),
                value["window_seconds"],
                value["hop_seconds"],
                value["country"].as_str().unwrap_or_default(),
                value["topic"].as_str().unwrap_or_default(),
                value["partition"]
            );
            Ok((key, value.to_string()))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    if rows.is_empty() {
        return Ok(true);
    }
    for (key, payload) in &rows {
        producer.send(metrics_topic, key, payload)?;
    }
    producer.flush(StdDuration::from_secs(30))?;
    let failed = producer.take_failed();
    if !failed.is_empty() {
        tracing::warn!(
            count = failed.len(),
            "metrics not published; sent again in a few seconds"
        );
        return Ok(false);
    }
    conn.execute_batch("UPDATE stream.window_metrics SET published = true WHERE NOT published")?;
    Ok(true)
}
