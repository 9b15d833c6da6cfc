//! The events of a batch as one Arrow batch shaped like `stream.events`, enriched with
//! lookups from the marts and the ML tables (product description, customer segment and
//! first purchase, country region).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use duckdb::Connection;
use duckdb::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};

use super::batch::AcceptedEvent;
use crate::stream::error::Result;
use crate::stream::event::Event;

/// Lookups from the marts (and ML tables) that enrich events; empty when absent.
#[derive(Default)]
pub(super) struct Enrichment {
    products: HashMap<String, String>,
    first_purchase: HashMap<i64, chrono::NaiveDate>,
    segments: HashMap<i64, String>,
    regions: HashMap<String, String>,
}

impl Enrichment {
    pub(super) fn load(conn: &Connection) -> Result<Self> {
        Ok(Self {
            products: pairs(
                conn,
                "marts.dim_product",
                "SELECT stock_code, description FROM marts.dim_product WHERE description IS NOT NULL",
            )?,
            first_purchase: pairs(
                conn,
                "marts.dim_customer",
                "SELECT customer_id::BIGINT, first_purchase_ts::DATE FROM marts.dim_customer WHERE first_purchase_ts IS NOT NULL",
            )?,
            segments: pairs(
                conn,
                "ml.customer_segments",
                "SELECT customer_id, segment FROM ml.customer_segments",
            )?,
            regions: pairs(
                conn,
                "marts.dim_country",
                "SELECT country, region FROM marts.dim_country",
            )?,
        })
    }
}

/// The two columns of `sql` as a map, or an empty one when `relation` does not exist
/// (the marts or the ML tables are not built yet).
fn pairs<K, V>(conn: &Connection, relation: &str, sql: &str) -> Result<HashMap<K, V>>
where
    K: duckdb::types::FromSql + Eq + std::hash::Hash,
    V: duckdb::types::FromSql,
{
    if !crate::warehouse::catalog::relation_exists(conn, relation)? {
        return Ok(HashMap::new());
    }
    let mut stmt = conn.prepare(sql)?;
    let map = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(map)
}

/// The events of a batch shaped like `stream.events` (the appender is positional).
pub(super) fn event_batch<'a>(
    topic: &'a str,
    events: &'a [AcceptedEvent],
    enrichment: &'a Enrichment,
    now: NaiveDateTime,
) -> Result<RecordBatch> {
    // Borrowed text: the array copies each value once, into its own buffer.
    let text = |f: &dyn Fn(&'a AcceptedEvent) -> Option<&'a str>| {
        Arc::new(StringArray::from_iter(events.iter().map(f))) as ArrayRef
    };
    let micros = |t: NaiveDateTime| t.and_utc().timestamp_micros();
    let decimal = |f: &dyn Fn(&Event) -> i64| -> Result<ArrayRef> {
        Ok(Arc::new(
            Decimal128Array::from_iter_values(events.iter().map(|e| f(&e.2) as i128))
                .with_precision_and_scale(18, 3)?,
        ))
    };
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let columns: Vec<ArrayRef> = vec![
        text(&|_| Some(topic)),
        Arc::new(Int32Array::from_iter_values(events.iter().map(|e| e.0))),
        Arc::new(Int64Array::from_iter_values(events.iter().map(|e| e.1))),
        text(&|e| Some(&e.2.event_id)),
        text(&|e| Some(e.2.event_type.name())),
        Arc::new(TimestampMicrosecondArray::from_iter_values(
            events.iter().map(|e| micros(e.2.event_time)),
        )),
        text(&|e| e.2.invoice_no.as_deref()),
        text(&|e| Some(&e.2.stock_code)),
        text(&|e| e.2.description.as_deref()),
        Arc::new(Int64Array::from_iter_values(
            events.iter().map(|e| e.2.quantity),
        )),
        decimal(&|e| e.unit_price)?,
        decimal(&|e| e.revenue_milli())?,
        Arc::new(Int64Array::from_iter(
            events.iter().map(|e| e.2.customer_id),
        )),
        text(&|e| e.2.country.as_deref()),
        text(&|e| enrichment.products.get(&e.2.stock_code).map(String::as_str)),
        text(&|e| {
            e.2.customer_id
                .and_then(|c| enrichment.segments.get(&c).map(String::as_str))
        }),
        Arc::new(Date32Array::from_iter(events.iter().map(|e| {
            e.2.customer_id
                .and_then(|c| enrichment.first_purchase.get(&c))
                .map(|d| (*d - epoch).num_days() as i32)
        }))),
        text(&|e| {
            e.2.country
                .as_ref()
                .and_then(|c| enrichment.regions.get(c).map(String::as_str))
        }),
        Arc::new(BooleanArray::from_iter(events.iter().map(|e| Some(e.3)))),
        Arc::new(TimestampMicrosecondArray::from_iter_values(
            events.iter().map(|_| micros(now)),
        )),
    ];
    Ok(RecordBatch::try_new(events_schema(), columns)?)
}

/// The Arrow schema of `stream.events`, in table column order.
fn events_schema() -> Arc<Schema> {
    let field = |name: &str, dtype: DataType| Field::new(name, dtype, true);
    let text = |name: &str| field(name, DataType::Utf8);
    let timestamp = DataType::Timestamp(TimeUnit::Microsecond, None);
    Arc::new(Schema::new(vec![
        text("topic"),
        field("partition", DataType::Int32),
        field("offset", DataType::Int64),
        text("event_id"),
        text("event_type"),
        field("event_time", timestamp.clone()),
        text("invoice_no"),
        text("stock_code"),
        text("description"),
        field("quantity", DataType::Int64),
        field("unit_price", DataType::Decimal128(18, 3)),
        field("revenue", DataType::Decimal128(18, 3)),
        field("customer_id", DataType::Int64),
        text("country"),
        text("product_description"),
        text("customer_segment"),
        field("customer_first_purchase", DataType::Date32),
        text("country_region"),
        field("late", DataType::Boolean),
        field("received_at", timestamp),
    ]))
}
