//! What the tail wrote lately, for the workbench's Stream screen: the latest closed
//! windows (all countries), dead letters and late events, with their totals.

use duckdb::Connection;
use serde::{Deserialize, Serialize};

/// The latest rows of the tail's tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamRecent {
    /// Closed windows over all countries (`country = '*'`), merged over partitions,
    /// newest first.
    pub windows: Vec<RecentWindow>,
    pub dead_letters: Vec<RecentDeadLetter>,
    pub late_events: Vec<RecentLate>,
    pub events: u64,
    pub dead_letter_count: u64,
    pub late_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentWindow {
    /// `MM-DD HH:MM` (event time), like the other times here: short enough for 80 columns.
    pub window_start: String,
    /// The window's bounds in full (`YYYY-MM-DD HH:MM:SS`, start included, end not),
    /// for the query that lists its events.
    pub start: String,
    pub end: String,
    pub window_seconds: i64,
    pub revenue: f64,
    pub orders: i64,
    pub customers: i64,
    pub conversion: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentDeadLetter {
    pub partition: i32,
    pub offset: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentLate {
    pub event_id: String,
    pub event_time: String,
    pub watermark: String,
}

/// The latest `limit` rows of each table.
pub fn load(conn: &Connection, limit: usize) -> duckdb::Result<StreamRecent> {
    let limit = limit as i64;
    let mut windows = conn.prepare(
        "SELECT strftime(window_start, '%m-%d %H:%M'), window_seconds, revenue::DOUBLE, orders::BIGINT, \
         customers::BIGINT, conversion, strftime(window_start, '%Y-%m-%d %H:%M:%S'), \
         strftime(window_end, '%Y-%m-%d %H:%M:%S') FROM stream.window_totals WHERE country = '*' \
         ORDER BY window_start DESC, window_seconds LIMIT ?",
    )?;
    let windows = windows
        .query_map([limit], |r| {
            Ok(RecentWindow {
                window_start: r.get(0)?,
                window_seconds: r.get(1)?,
                revenue: r.get(2)?,
                orders: r.get(3)?,
                customers: r.get(4)?,
                start: r.get(6)?,
                end: r.get(7)?,
                conversion: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut dead = conn.prepare(
        "SELECT \"partition\", \"offset\", reason FROM stream.dead_letters ORDER BY received_at DESC, \"offset\" DESC LIMIT ?",
    )?;
    let dead_letters = dead
        .query_map([limit], |r| {
            Ok(RecentDeadLetter {
                partition: r.get(0)?,
                offset: r.get(1)?,
                reason: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut late = conn.prepare(
        "SELECT event_id, strftime(event_time, '%m-%d %H:%M'), strftime(watermark, '%m-%d %H:%M') \
         FROM stream.late_events ORDER BY received_at DESC, \"offset\" DESC LIMIT ?",
    )?;
    let late_events = late
        .query_map([limit], |r| {
            Ok(RecentLate {
                event_id: r.get(0)?,
                event_time: r.get(1)?,
                watermark: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let (events, dead_letter_count, late_count): (i64, i64, i64) = conn.query_row(
        "SELECT (SELECT count(*) FROM stream.events), (SELECT count(*) FROM stream.dead_letters), \
         (SELECT count(*) FROM stream.late_events)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(StreamRecent {
        windows,
        dead_letters,
        late_events,
        events: events as u64,
        dead_letter_count: dead_letter_count as u64,
        late_count: late_count as u64,
    })
}
/// The SQL that lists the events behind `window`: every event the tail stored whose
/// event time falls in it (the `late` column marks those that came after it closed,
/// which its figures leave out), in event-time order.
pub fn window_rows_sql(window: &RecentWindow) -> String {
    use crate::warehouse::quote_literal;
    format!(
        "-- the events behind the {} s window from {}\n\
         SELECT event_time, event_type, invoice_no, customer_id, country, stock_code,\n       \
         quantity, unit_price, revenue, late, topic, \"partition\", \"offset\"\n\
         FROM stream.events\n\
         WHERE event_time >= CAST({} AS TIMESTAMP) AND event_time < CAST({} AS TIMESTAMP)\n\
         ORDER BY event_time, topic, \"partition\", \"offset\"",
        window.window_seconds,
        window.start,
        quote_literal(&window.start),
        quote_literal(&window.end),
    )
}
