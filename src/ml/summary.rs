//! What the workbench's ML screen shows: segment profiles, the strongest anomalies and
//! the latest runs, read in one go from the `ml.*` tables (empty when a job has not run).

use duckdb::Connection;
use serde::{Deserialize, Serialize};

use super::error::Result;
use super::runs::{ModelRun, recent_runs};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentRow {
    pub segment: String,
    pub size: i64,
    pub recency_days: f64,
    pub frequency: f64,
    pub monetary: f64,
    pub revenue_share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnomalyRow {
    pub when: String,
    pub kind: String,
    pub score: f64,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MlSummary {
    pub segments: Vec<SegmentRow>,
    pub anomalies: Vec<AnomalyRow>,
    /// Net revenue by day (`marts.sales_daily`), for the chart the anomalies sit on.
    pub daily_revenue: Vec<(chrono::NaiveDate, f64)>,
    /// The days flagged by `ml anomalies` on that series, with their revenue.
    pub revenue_anomalies: Vec<(chrono::NaiveDate, f64)>,
    pub runs: Vec<(i64, chrono::NaiveDateTime, ModelRun)>,
}

pub fn summary(conn: &Connection) -> Result<MlSummary> {
    let exists = |table: &str| crate::warehouse::catalog::relation_exists(conn, table);
    let mut out = MlSummary::default();
    if exists("ml.segment_profiles")? {
        let mut stmt = conn.prepare(
            "SELECT segment, size, recency_days, frequency, monetary, revenue_share
             FROM ml.segment_profiles ORDER BY revenue_share DESC",
        )?;
        out.segments = stmt
            .query_map([], |r| {
                Ok(SegmentRow {
                    segment: r.get(0)?,
                    size: r.get(1)?,
                    recency_days: r.get(2)?,
                    frequency: r.get(3)?,
                    monetary: r.get(4)?,
                    revenue_share: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
    }
    if exists("ml.anomalies")? {
        let mut stmt = conn.prepare(
            "SELECT strftime(\"when\", '%Y-%m-%d'), kind, score, reason
             FROM ml.anomalies ORDER BY abs(score) DESC LIMIT 50",
        )?;
        out.anomalies = stmt
            .query_map([], |r| {
                Ok(AnomalyRow {
                    when: r.get(0)?,
                    kind: r.get(1)?,
                    score: r.get(2)?,
                    reason: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
    }
    if exists("marts.sales_daily")? {
        let mut stmt = conn.prepare(
            "SELECT sales_date, net_revenue::DOUBLE FROM marts.sales_daily ORDER BY sales_date",
        )?;
        out.daily_revenue = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
    }
    if exists("ml.anomalies")? {
        let mut stmt = conn.prepare(
            "SELECT \"when\"::DATE, value FROM ml.anomalies WHERE kind = 'daily_revenue' ORDER BY \"when\"",
        )?;
        out.revenue_anomalies = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
    }
    out.runs = recent_runs(conn, None, 10)?;
    Ok(out)
}
