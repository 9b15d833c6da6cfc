//! What the report shows of its figures: the charts with their captions, and the KPI
//! tiles with their change against the previous period.

use minijinja::{Value, context};

use super::data::ReportData;
use crate::export::charts::{Chart, HeatCell, HeatmapChart, money};

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
            .map(|(cohort, months, rate)| HeatCell {
                row: rows.iter().position(|r| r == cohort).unwrap_or(0),
                column: *months,
                value: *rate,
                text: format!("{:.0}%", rate * 100.0),
            })
            .collect();
        charts.push((
            Chart::Heatmap(HeatmapChart {
                title: "Monthly cohort retention".into(),
                x_label: "months since first purchase".into(),
                y_label: "cohort (first purchase)".into(),
                rows,
                columns: (0..columns).map(|c| c.to_string()).collect(),
                cells,
            }),
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

pub(super) fn kpi_values(data: &ReportData) -> Vec<Value> {
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
