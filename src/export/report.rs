//! `ecom report --out DIR`: what an analyst sends to others. A self-contained
//! `report.html` (charts as inline SVG), a `report.md` with PNG charts beside it, and
//! `report.json` with every figure, all from the marts for a chosen period.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use duckdb::Connection;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::charts::{Chart, money};

/// The time range a report covers, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// `2011`, `2011-11`, `2011-09-01..2011-11-30`; `None` means the whole data range.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        let date = |s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .with_context(|| format!("`{s}` is not a date (YYYY-MM-DD)"))
        };
        if let Some((from, to)) = text.split_once("..") {
            let period = Self {
                from: date(from)?,
                to: date(to)?,
            };
            if period.to < period.from {
                bail!("--period {text}: the end is before the start");
            }
            return Ok(period);
        }
        if let Ok(year) = text.parse::<i32>() {
            return Ok(Self {
                from: NaiveDate::from_ymd_opt(year, 1, 1).context("bad year")?,
                to: NaiveDate::from_ymd_opt(year, 12, 31).context("bad year")?,
            });
        }
        if let Ok(first) = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d") {
            let next = first
                .checked_add_months(chrono::Months::new(1))
                .context("bad month")?;
            return Ok(Self {
                from: first,
                to: next.pred_opt().context("bad month")?,
            });
        }
        bail!("--period `{text}`: use YYYY, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD")
    }

    /// The period of the same length just before this one.
    pub fn previous(&self) -> Self {
        let days = (self.to - self.from).num_days() + 1;
        let to = self.from.pred_opt().unwrap_or(self.from);
        Self {
            from: to - chrono::Duration::days(days - 1),
            to,
        }
    }

    fn sql(&self) -> String {
        format!(
            "invoice_ts >= DATE '{}' AND invoice_ts < DATE '{}' + INTERVAL 1 DAY",
            self.from, self.to
        )
    }
}

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
) -> anyhow::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT column_name, data_type FROM duckdb_columns()
         WHERE database_name = current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index",
    )?;
    let rows = stmt.query_map([schema, table], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Segment sizes from `ml.segment_profiles` (the first text column names the segment;
/// the size is `size`, `customers` or `n_customers`).
fn segments(conn: &Connection) -> anyhow::Result<Vec<(String, f64)>> {
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
fn stream_revenue(conn: &Connection) -> anyhow::Result<Vec<(NaiveDate, f64)>> {
    pairs(
        conn,
        "WITH tumbling AS (SELECT * FROM stream.window_totals WHERE window_seconds = hop_seconds AND country = '*')
         SELECT window_start::DATE, sum(revenue)::DOUBLE FROM tumbling
         WHERE window_seconds = (SELECT min(window_seconds) FROM tumbling)
         GROUP BY 1 ORDER BY 1",
    )
}

fn anomalies(conn: &Connection) -> anyhow::Result<Option<TableSection>> {
    if columns_of(conn, "ml", "anomalies")?.is_empty() {
        return Ok(None);
    }
    let columns = ["kind", "when", "score", "reason"];
    let mut rows = Vec::new();
    crate::warehouse::query::stream_batches(
        conn,
        "SELECT kind, strftime(\"when\", '%Y-%m-%d %H:%M') AS \"when\", round(score, 1) AS score, reason
         FROM ml.anomalies ORDER BY abs(score) DESC LIMIT 20",
        |batch| {
            rows.extend(crate::warehouse::query::batch_to_text(batch, ""));
            Ok(())
        },
    )?;
    Ok(Some(TableSection {
        title: "Anomalies (highest scores)".into(),
        columns: columns.map(String::from).to_vec(),
        rows,
    }))
}

fn require_marts(conn: &Connection) -> anyhow::Result<()> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name IN ('fact_sales', 'dim_product', 'cohort_retention')",
        [],
        |r| r.get(0),
    )?;
    if n < 3 {
        bail!("the marts are missing: run `ecom models build` first");
    }
    Ok(())
}

fn kpis(conn: &Connection, filter: &str) -> anyhow::Result<Kpis> {
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

fn pairs<T: duckdb::types::FromSql>(conn: &Connection, sql: &str) -> anyhow::Result<Vec<(T, f64)>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, T>(0)?, r.get::<_, f64>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Reads every figure of the report for `period` (default: the data's whole range).
pub fn gather(conn: &Connection, period: Option<Period>) -> anyhow::Result<ReportData> {
    gather_for(conn, period, None)
}

/// Ranges the dashboard offers, relative to the data's last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeriodPreset {
    #[default]
    All,
    LastYear,
    LastQuarter,
    LastMonth,
}

impl PeriodPreset {
    pub fn next(self) -> Self {
        match self {
            Self::All => Self::LastYear,
            Self::LastYear => Self::LastQuarter,
            Self::LastQuarter => Self::LastMonth,
            Self::LastMonth => Self::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::All => "all data",
            Self::LastYear => "last 12 months",
            Self::LastQuarter => "last 3 months",
            Self::LastMonth => "last month",
        }
    }

    /// The period, ending on the data's last day (`None` for all the data).
    pub fn resolve(self, conn: &Connection) -> anyhow::Result<Option<Period>> {
        let months = match self {
            Self::All => return Ok(None),
            Self::LastYear => 12,
            Self::LastQuarter => 3,
            Self::LastMonth => 1,
        };
        let to: NaiveDate = conn.query_row(
            "SELECT max(invoice_ts)::DATE FROM marts.fact_sales",
            [],
            |r| r.get(0),
        )?;
        let from = to
            .checked_sub_months(chrono::Months::new(months))
            .and_then(|d| d.succ_opt())
            .context("bad date")?;
        Ok(Some(Period { from, to }))
    }
}

/// The report's figures for `period`, only for customers of `country` when given
/// (cohort retention is for all countries: its mart has no country).
pub fn gather_for(
    conn: &Connection,
    period: Option<Period>,
    country: Option<&str>,
) -> anyhow::Result<ReportData> {
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
            .context("the marts hold no sales yet")?,
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

/// The charts of the report, in order.
pub fn charts(data: &ReportData) -> Vec<(Chart, String)> {
    let mut charts = vec![
        (
            Chart::Bars {
                title: "Revenue by month".into(),
                y_label: "revenue (£)".into(),
                labels: data.monthly_revenue.iter().map(|m| m.0.clone()).collect(),
                values: data.monthly_revenue.iter().map(|m| m.1).collect(),
            },
            "Net revenue per calendar month: sum(quantity × unit price), cancellations negative."
                .to_string(),
        ),
        (
            Chart::Line {
                title: "Revenue by day".into(),
                y_label: "revenue (£)".into(),
                points: data.daily_revenue.clone(),
                percent: false,
            },
            "Net revenue per day with sales.".into(),
        ),
        (
            Chart::Ranking {
                title: "Top 10 countries by revenue".into(),
                x_label: "revenue (£)".into(),
                labels: data.top_countries.iter().map(|c| c.0.clone()).collect(),
                values: data.top_countries.iter().map(|c| c.1).collect(),
            },
            "Net revenue by customer country.".into(),
        ),
        (
            Chart::Ranking {
                title: "Top 10 products by revenue".into(),
                x_label: "revenue (£)".into(),
                labels: data
                    .top_products
                    .iter()
                    .map(|p| format!("{} {}", p.0, p.1))
                    .collect(),
                values: data.top_products.iter().map(|p| p.2).collect(),
            },
            "Products only (postage, fees and adjustments excluded).".into(),
        ),
        (
            Chart::Line {
                title: "Cancellation rate by month".into(),
                y_label: "cancelled invoices".into(),
                points: data.cancellation_rate_by_month.clone(),
                percent: true,
            },
            "Share of invoices that are cancellations (invoice numbers starting with C).".into(),
        ),
    ];
    if !data.cohorts.is_empty() {
        let mut rows: Vec<String> = data.cohorts.iter().map(|c| c.0.clone()).collect();
        rows.dedup();
        let columns = data.cohorts.iter().map(|c| c.1).max().unwrap_or(0) + 1;
        let cells = data
            .cohorts
            .iter()
            .map(|(cohort, months, rate)| {
                (
                    rows.iter().position(|r| r == cohort).unwrap_or(0),
                    *months,
                    *rate,
                )
            })
            .collect();
        charts.push((
            Chart::Heatmap {
                title: "Monthly cohort retention".into(),
                rows,
                columns,
                cells,
            },
            "Share of each month's new customers who bought again N months later.".into(),
        ));
    }
    if !data.segments.is_empty() {
        charts.push((
            Chart::Ranking {
                title: "Customer segments".into(),
                x_label: "customers".into(),
                labels: data.segments.iter().map(|s| s.0.clone()).collect(),
                values: data.segments.iter().map(|s| s.1).collect(),
            },
            "Customers per segment of the latest `ecom ml segment` run.".into(),
        ));
    }
    if !data.stream_revenue.is_empty() {
        charts.push((
            Chart::Line {
                title: "Streamed revenue by day".into(),
                y_label: "revenue (£)".into(),
                points: data.stream_revenue.clone(),
                percent: false,
            },
            "Revenue of the closed stream windows (all countries), summed per day.".into(),
        ));
    }
    charts
}

/// The change from `before` to `now` in percent, or `None` when there was nothing before.
pub fn relative_change(now: f64, before: f64) -> Option<f64> {
    (before.abs() >= f64::EPSILON).then(|| (now - before) / before.abs() * 100.0)
}

fn change(now: f64, before: f64, percent_points: bool) -> (String, &'static str) {
    if before.abs() < f64::EPSILON && !percent_points {
        return ("no previous data".into(), "flat");
    }
    if percent_points {
        let delta = (now - before) * 100.0;
        let trend = if delta.abs() < 0.05 {
            "flat"
        } else if delta > 0.0 {
            "down"
        } else {
            "up"
        };
        return (format!("{delta:+.1} pp vs previous"), trend);
    }
    let Some(pct) = relative_change(now, before) else {
        return ("no previous data".into(), "flat");
    };
    let trend = if pct.abs() < 0.05 {
        "flat"
    } else if pct > 0.0 {
        "up"
    } else {
        "down"
    };
    (format!("{pct:+.1}% vs previous"), trend)
}

fn kpi_values(data: &ReportData) -> Vec<Value> {
    let k = &data.kpis;
    let p = &data.previous_kpis;
    let rows = [
        (
            "revenue",
            "Revenue",
            format!("£{}", money(k.revenue)),
            change(k.revenue, p.revenue, false),
        ),
        (
            "orders",
            "Orders",
            money(k.orders as f64),
            change(k.orders as f64, p.orders as f64, false),
        ),
        (
            "customers",
            "Customers",
            money(k.customers as f64),
            change(k.customers as f64, p.customers as f64, false),
        ),
        (
            "aov",
            "Average order value",
            format!("£{:.2}", k.average_order_value),
            change(k.average_order_value, p.average_order_value, false),
        ),
        (
            "cancellations",
            "Cancellation rate",
            format!("{:.1}%", k.cancellation_rate * 100.0),
            change(k.cancellation_rate, p.cancellation_rate, true),
        ),
    ];
    rows.into_iter()
        .map(|(key, label, text, (change, trend))| context! { key, label, text, change, trend })
        .collect()
}

/// What `write` produced.
#[derive(Debug, Clone, Serialize)]
pub struct ReportFiles {
    pub html: PathBuf,
    pub markdown: PathBuf,
    pub json: PathBuf,
    pub charts: Vec<PathBuf>,
}

/// Writes `report.html`, `report.md` (+ `chart-N.png`) and `report.json` into `out`.
pub fn write(
    conn: &Connection,
    out: &Path,
    period: Option<Period>,
    warehouse: &str,
) -> anyhow::Result<ReportFiles> {
    let data = gather(conn, period)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut rendered = Vec::new();
    let mut pngs = Vec::new();
    for (i, (chart, caption)) in charts(&data).into_iter().enumerate() {
        let png = out.join(format!("chart-{}.png", i + 1));
        chart.to_png(&png)?;
        rendered.push(context! {
            title => chart.title(),
            caption => caption,
            svg => Value::from_safe_string(chart.to_svg()?),
            png => png.file_name().map(|n| n.to_string_lossy().to_string()),
        });
        pngs.push(png);
    }
    let row = |name: &str, value: f64| context! { name, text => money(value) };
    let ctx = context! {
        title => "Online retail report",
        period => Value::from(minijinja::value::Serde(data.period)),
        previous => Value::from(minijinja::value::Serde(data.previous)),
        kpis => kpi_values(&data),
        charts => rendered,
        top_countries => data.top_countries.iter().map(|c| row(&c.0, c.1)).collect::<Vec<_>>(),
        top_products => data.top_products.iter().map(|p| context! { code => p.0.clone(), name => p.1.clone(), text => money(p.2) }).collect::<Vec<_>>(),
        tables => data.anomalies.iter().map(|t| Value::from(minijinja::value::Serde(t.clone()))).collect::<Vec<_>>(),
        version => crate::VERSION,
        generated_at => chrono::Local::now().format("%Y-%m-%d %H:%M").to_string(),
        warehouse => warehouse,
    };
    let mut env = Environment::new();
    env.add_template(
        "report.html",
        include_str!("../../assets/report/report.html.j2"),
    )?;
    env.add_template(
        "report.md",
        include_str!("../../assets/report/report.md.j2"),
    )?;
    let html = out.join("report.html");
    std::fs::write(&html, env.get_template("report.html")?.render(&ctx)?)?;
    let markdown = out.join("report.md");
    std::fs::write(&markdown, env.get_template("report.md")?.render(&ctx)?)?;
    let json = out.join("report.json");
    std::fs::write(&json, serde_json::to_vec_pretty(&data)?)?;
    Ok(ReportFiles {
        html,
        markdown,
        json,
        charts: pngs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let p = Period::parse("2011-11").unwrap();
        assert_eq!(
            (p.from.to_string(), p.to.to_string()),
            ("2011-11-01".into(), "2011-11-30".into())
        );
        let prev = p.previous();
        assert_eq!(
            (prev.from.to_string(), prev.to.to_string()),
            ("2011-10-02".into(), "2011-10-31".into())
        );
        assert_eq!(Period::parse("2011").unwrap().to.to_string(), "2011-12-31");
        assert!(Period::parse("2011-12-01..2011-01-01").is_err());
        assert!(Period::parse("soon").is_err());
    }
}
