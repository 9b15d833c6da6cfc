//! The report's figures ([`ReportData`]), read from the marts (and from the ML and
//! stream tables when those have run) for a period and, for the dashboard, a country.

use chrono::NaiveDate;
use duckdb::Connection;
use serde::Serialize;

use super::period::Period;
use crate::export::ExportError;

/// Headline figures of a period.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Kpis {
    pub revenue: f64,
    pub orders: i64,
    pub customers: i64,
    pub average_order_value: f64,
    pub cancellation_rate: f64,
}

/// Everything the report shows, also written as `report.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReportData {
    pub period: Period,
    pub previous: Period,
    pub kpis: Kpis,
    pub previous_kpis: Kpis,
    pub monthly_revenue: Vec<(String, f64)>,
    pub daily_revenue: Vec<(NaiveDate, f64)>,
    pub top_countries: Vec<(String, f64)>,
    pub top_products: Vec<(String, String, f64)>,
    pub cancellation_rate_by_month: Vec<(NaiveDate, f64)>,
    pub cohorts: Vec<(String, usize, f64)>,
    /// `ml.segment_profiles`, when the segmentation has run: (segment, customers).
    pub segments: Vec<(String, f64)>,
    /// `stream.window_metrics` (all countries), when a tail has run: (day, revenue).
    pub stream_revenue: Vec<(NaiveDate, f64)>,
    /// `ml.anomalies`, when anomaly detection has run: its columns and top rows by score.
    pub anomalies: Option<TableSection>,
}

/// A table shown as is in the report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TableSection {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Columns of a table, or none when it does not exist.
fn columns_of(
    conn: &Connection,
    schema: &str,
    table: &str,
) -> Result<Vec<(String, String)>, ExportError> {
    let mut stmt = conn.prepare(
        "SELECT column_name, data_type FROM duckdb_columns()
         WHERE database_name = current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index",
    )?;
    let rows = stmt.query_map([schema, table], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Segment sizes from `ml.segment_profiles` (the first text column names the segment;
/// the size is `size`, `customers` or `n_customers`).
fn segments(conn: &Connection) -> Result<Vec<(String, f64)>, ExportError> {
    let columns = columns_of(conn, "ml", "segment_profiles")?;
    let label = columns
        .iter()
        .find(|(_, t)| t == "VARCHAR")
        .map(|c| c.0.clone());
    let size = ["size", "customers", "n_customers", "customer_count"]
        .iter()
        .find(|name| columns.iter().any(|(c, _)| c == *name));
    match (label, size) {
        (Some(label), Some(size)) => pairs(
            conn,
            &format!(
                "SELECT {label}::VARCHAR, {size}::DOUBLE FROM ml.segment_profiles ORDER BY 2 DESC"
            ),
        ),
        _ => Ok(Vec::new()),
    }
}

/// Streamed revenue by day, from the smallest tumbling window (each event counts once
/// per window size, so sizes are never added together).
fn stream_revenue(conn: &Connection) -> Result<Vec<(NaiveDate, f64)>, ExportError> {
    pairs(
        conn,
        "WITH tumbling AS (SELECT * FROM stream.window_totals WHERE window_seconds = hop_seconds AND country = '*')
         SELECT window_start::DATE, sum(revenue)::DOUBLE FROM tumbling
         WHERE window_seconds = (SELECT min(window_seconds) FROM tumbling)
         GROUP BY 1 ORDER BY 1",
    )
}

fn anomalies(conn: &Connection) -> Result<Option<TableSection>, ExportError> {
    if columns_of(conn, "ml", "anomalies")?.is_empty() {
        return Ok(None);
    }
    let columns = ["kind", "when", "score", "reason"];
    let mut rows = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT kind, strftime(\"when\", '%Y-%m-%d %H:%M') AS \"when\", round(score, 1) AS score, reason
         FROM ml.anomalies ORDER BY abs(score) DESC LIMIT 20",
    )?;
    for batch in stmt.query_arrow([])? {
        rows.extend(crate::warehouse::query::batch_to_text(&batch, ""));
    }
    Ok(Some(TableSection {
        title: "Anomalies (highest scores)".into(),
        columns: columns.map(String::from).to_vec(),
        rows,
    }))
}

fn require_marts(conn: &Connection) -> Result<(), ExportError> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name IN ('fact_sales', 'dim_product', 'cohort_retention')",
        [],
        |r| r.get(0),
    )?;
    if n < 3 {
        return Err(ExportError::NoMarts);
    }
    Ok(())
}

fn kpis(conn: &Connection, filter: &str) -> Result<Kpis, ExportError> {
    let sql = format!(
        "SELECT coalesce(sum(revenue), 0)::DOUBLE,
                count(DISTINCT invoice_no) FILTER (WHERE NOT is_cancellation),
                count(DISTINCT customer_id),
                coalesce(sum(revenue) FILTER (WHERE NOT is_cancellation), 0)::DOUBLE
                    / greatest(count(DISTINCT invoice_no) FILTER (WHERE NOT is_cancellation), 1),
                count(DISTINCT invoice_no) FILTER (WHERE is_cancellation)::DOUBLE
                    / greatest(count(DISTINCT invoice_no), 1)
         FROM marts.fact_sales WHERE {filter}"
    );
    Ok(conn.query_row(&sql, [], |r| {
        Ok(Kpis {
            revenue: r.get(0)?,
            orders: r.get(1)?,
            customers: r.get(2)?,
            average_order_value: r.get(3)?,
            cancellation_rate: r.get(4)?,
        })
    })?)
}

fn pairs<T: duckdb::types::FromSql>(
    conn: &Connection,
    sql: &str,
) -> Result<Vec<(T, f64)>, ExportError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, T>(0)?, r.get::<_, f64>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Reads every figure of the report for `period` (default: the data's whole range).
pub fn gather(conn: &Connection, period: Option<Period>) -> Result<ReportData, ExportError> {
    gather_for(conn, period, None)
}

/// The report's figures for `period`, only for customers of `country` when given
/// (cohort retention is for all countries: its mart has no country).
pub fn gather_for(
    conn: &Connection,
    period: Option<Period>,
    country: Option<&str>,
) -> Result<ReportData, ExportError> {
    require_marts(conn)?;
    let period = match period {
        Some(p) => p,
        None => conn
            .query_row(
                "SELECT min(invoice_ts)::DATE, max(invoice_ts)::DATE FROM marts.fact_sales",
                [],
                |r| {
                    Ok(Period {
                        from: r.get(0)?,
                        to: r.get(1)?,
                    })
                },
            )
            .map_err(ExportError::NoSales)?,
    };
    let previous = period.previous();
    let country_filter = country
        .map(|c| format!(" AND country = {}", crate::warehouse::quote_literal(c)))
        .unwrap_or_default();
    let filter = format!("{}{country_filter}", period.sql());
    let previous_filter = format!("{}{country_filter}", previous.sql());
    let monthly_revenue = pairs(
        conn,
        &format!(
            "SELECT strftime(invoice_ts, '%Y-%m'), sum(revenue)::DOUBLE FROM marts.fact_sales WHERE {filter} GROUP BY 1 ORDER BY 1"
        ),
    )?;
    let daily_revenue = pairs(
        conn,
        &format!(
            "SELECT invoice_ts::DATE, sum(revenue)::DOUBLE FROM marts.fact_sales WHERE {filter} GROUP BY 1 ORDER BY 1"
        ),
    )?;
    let top_countries = pairs(
        conn,
        &format!(
            "SELECT country, sum(revenue)::DOUBLE FROM marts.fact_sales WHERE {filter} GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
        ),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT f.stock_code, coalesce(any_value(p.description), ''), sum(f.revenue)::DOUBLE
         FROM marts.fact_sales f LEFT JOIN marts.dim_product p ON p.stock_code = f.stock_code
         WHERE f.is_product AND {} GROUP BY 1 ORDER BY 3 DESC LIMIT 10",
        filter
            .replace("invoice_ts", "f.invoice_ts")
            .replace("country =", "f.country =")
    ))?;
    let top_products = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let cancellation_rate_by_month = pairs(conn, &format!(
        "SELECT date_trunc('month', invoice_ts)::DATE,
                count(DISTINCT invoice_no) FILTER (WHERE is_cancellation)::DOUBLE / count(DISTINCT invoice_no)
         FROM marts.fact_sales WHERE {filter} GROUP BY 1 ORDER BY 1"
    ))?;
    let mut stmt = conn.prepare(&format!(
        "SELECT strftime(cohort_month, '%Y-%m'), months_since_first, retention_rate
         FROM marts.cohort_retention
         WHERE cohort_month BETWEEN date_trunc('month', DATE '{}') AND DATE '{}'
         ORDER BY cohort_month, months_since_first",
        period.from, period.to
    ))?;
    let cohorts = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get::<_, i32>(1)? as usize, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(ReportData {
        period,
        previous,
        kpis: kpis(conn, &filter)?,
        previous_kpis: kpis(conn, &previous_filter)?,
        monthly_revenue,
        daily_revenue,
        top_countries,
        top_products,
        cancellation_rate_by_month,
        cohorts,
        segments: segments(conn)?,
        stream_revenue: stream_revenue(conn)?,
        anomalies: anomalies(conn)?,
    })
}
