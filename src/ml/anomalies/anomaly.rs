//! One flagged day or line ([`Anomaly`]) and the Arrow batch of them for
//! `ml.anomalies`.

use std::sync::Arc;

use crate::ml::error::Result;
use chrono::NaiveDateTime;
use duckdb::arrow::array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use serde::Serialize;

/// One flagged day or line, as written to `ml.anomalies`.
#[derive(Debug, Clone, Serialize)]
pub struct Anomaly {
    pub kind: String,
    pub what: String,
    pub when: NaiveDateTime,
    pub score: f64,
    pub reason: String,
    pub value: f64,
    pub expected: f64,
    pub invoice_no: Option<String>,
    pub stock_code: Option<String>,
    pub customer_id: Option<i64>,
}

pub(super) fn anomaly_batch(found: &[Anomaly]) -> Result<RecordBatch> {
    let text = |f: fn(&Anomaly) -> &str| {
        Arc::new(StringArray::from_iter_values(found.iter().map(f))) as ArrayRef
    };
    let number = |f: fn(&Anomaly) -> f64| {
        Arc::new(Float64Array::from_iter_values(found.iter().map(f))) as ArrayRef
    };
    let optional = |f: fn(&Anomaly) -> Option<&str>| {
        Arc::new(StringArray::from_iter(found.iter().map(f))) as ArrayRef
    };
    Ok(RecordBatch::try_from_iter([
        ("kind", text(|a| &a.kind)),
        ("what", text(|a| &a.what)),
        (
            "when",
            Arc::new(TimestampMicrosecondArray::from_iter_values(
                found.iter().map(|a| a.when.and_utc().timestamp_micros()),
            )),
        ),
        ("score", number(|a| a.score)),
        ("reason", text(|a| &a.reason)),
        ("value", number(|a| a.value)),
        ("expected", number(|a| a.expected)),
        ("invoice_no", optional(|a| a.invoice_no.as_deref())),
        ("stock_code", optional(|a| a.stock_code.as_deref())),
        (
            "customer_id",
            Arc::new(Int64Array::from_iter(found.iter().map(|a| a.customer_id))),
        ),
    ])?)
}
