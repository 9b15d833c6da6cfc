//! The rows behind a figure of the dashboard (and the report) or the ML screen: the SQL
//! that lists the order lines of `marts.fact_sales` a KPI tile, a month's bar or a
//! country's bar is computed from, for the same period and country filter, so summing
//! its `revenue` gives back the figure shown; and the lines of a segment's customers
//! or of an anomaly's day.

use super::Period;
use crate::warehouse::quote_literal;

/// The columns a drill-down lists, what an analyst reads first leading.
const COLUMNS: &str = "invoice_ts, invoice_no, country, customer_id, stock_code, quantity, unit_price, revenue, is_cancellation, is_product";

/// A figure whose rows can be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Figure {
    /// The KPI tiles: revenue and customers count every line of the period.
    Revenue,
    /// Orders and the average order count the lines of orders, not of cancellations.
    Orders,
    Customers,
    AverageOrder,
    /// The lines of cancellations.
    Cancelled,
    /// A month's revenue bar, `2011-03`.
    Month(String),
    /// A country's revenue bar.
    Country(String),
    /// The customers of an ML segment (`ml.customer_segments`).
    Segment(String),
    /// A day, `2011-03-14` (an anomaly's).
    Day(String),
}

impl Figure {
    /// How the figure is named in the status line and the SQL's comment.
    pub fn label(&self) -> String {
        match self {
            Self::Revenue => "revenue".into(),
            Self::Orders => "orders".into(),
            Self::Customers => "customers".into(),
            Self::AverageOrder => "average order".into(),
            Self::Cancelled => "cancellations".into(),
            Self::Month(month) => format!("revenue of {month}"),
            Self::Country(country) => format!("revenue of {country}"),
            Self::Segment(segment) => format!("the customers of segment {segment}"),
            Self::Day(day) => format!("the day {day}"),
        }
    }

    fn condition(&self) -> Option<String> {
        match self {
            Self::Revenue | Self::Customers => None,
            Self::Orders | Self::AverageOrder => Some("NOT is_cancellation".into()),
            Self::Cancelled => Some("is_cancellation".into()),
            Self::Month(month) => Some(format!(
                "strftime(invoice_ts, '%Y-%m') = {}",
                quote_literal(month)
            )),
            Self::Country(country) => Some(format!("country = {}", quote_literal(country))),
            Self::Segment(segment) => Some(format!(
                "customer_id IN (SELECT customer_id FROM ml.customer_segments WHERE segment = {})",
                quote_literal(segment)
            )),
            Self::Day(day) => {
                let day = format!("CAST({} AS DATE)", quote_literal(day));
                Some(format!(
                    "invoice_ts >= {day} AND invoice_ts < {day} + INTERVAL 1 DAY"
                ))
            }
        }
    }
}

/// The SQL listing the order lines behind `figure` in `period` (every day when
/// `None`), for `country` only when the dashboard is filtered to one.
pub fn rows_sql(period: Option<&Period>, country: Option<&str>, figure: &Figure) -> String {
    let mut conditions: Vec<String> = period.map(Period::sql).into_iter().collect();
    conditions.extend(country.map(|c| format!("country = {}", quote_literal(c))));
    conditions.extend(figure.condition());
    if conditions.is_empty() {
        conditions.push("true".into());
    }
    let period_label = period.map_or("every day".into(), |p| format!("{} to {}", p.from, p.to));
    format!(
        "-- the order lines behind {}, {period_label}\nSELECT {COLUMNS}\nFROM marts.fact_sales\nWHERE {}\nORDER BY invoice_ts, invoice_no, sales_key",
        figure.label().replace('\n', " "),
        conditions.join("\n  AND ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period() -> Period {
        Period::parse("2011").unwrap()
    }

    #[test]
    fn a_country_with_a_quote_is_a_literal_and_the_filter_is_kept() {
        let sql = rows_sql(
            Some(&period()),
            Some("Côte d'Ivoire"),
            &Figure::Country("O'Hare\n--".into()),
        );
        assert!(sql.contains("country = 'Côte d''Ivoire'"), "{sql}");
        assert!(sql.contains("country = 'O''Hare\n--'"), "{sql}");
        assert!(sql.contains("invoice_ts >= DATE '2011-01-01'"), "{sql}");
        assert!(
            sql.lines()
                .next()
                .unwrap()
                .starts_with("-- the order lines behind revenue of O'Hare --")
        );
    }

    #[test]
    fn tiles_list_the_lines_their_figure_counts() {
        let cancelled = rows_sql(Some(&period()), None, &Figure::Cancelled);
        assert!(cancelled.contains("AND is_cancellation"), "{cancelled}");
        let revenue = rows_sql(Some(&period()), None, &Figure::Revenue);
        let conditions = revenue.split("WHERE").nth(1).unwrap();
        assert!(!conditions.contains("cancellation"), "{revenue}");
        let month = rows_sql(Some(&period()), None, &Figure::Month("2011-03".into()));
        assert!(
            month.contains("strftime(invoice_ts, '%Y-%m') = '2011-03'"),
            "{month}"
        );
        let segment = rows_sql(None, None, &Figure::Segment("Champions'".into()));
        assert!(
            segment.contains("WHERE customer_id IN (SELECT customer_id FROM ml.customer_segments WHERE segment = 'Champions''')"),
            "{segment}"
        );
        let day = rows_sql(None, None, &Figure::Day("2011-03-14".into()));
        assert!(
            day.contains("invoice_ts < CAST('2011-03-14' AS DATE) + INTERVAL 1 DAY"),
            "{day}"
        );
    }
}
