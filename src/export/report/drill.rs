//! The rows behind a figure of the dashboard (and the report): the SQL that lists the
//! order lines of `marts.fact_sales` a KPI tile, a month's bar or a country's bar is
//! computed from, for the same period and country filter, so summing its `revenue`
//! gives back the figure shown.

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
        }
    }
}

/// The SQL listing the order lines behind `figure` in `period`, for `country` only when
/// the dashboard is filtered to one.
pub fn rows_sql(period: &Period, country: Option<&str>, figure: &Figure) -> String {
    let mut conditions = vec![period.sql()];
    conditions.extend(country.map(|c| format!("country = {}", quote_literal(c))));
    conditions.extend(figure.condition());
    let period_label = format!("{} to {}", period.from, period.to);
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
            &period(),
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
        let cancelled = rows_sql(&period(), None, &Figure::Cancelled);
        assert!(cancelled.contains("AND is_cancellation"), "{cancelled}");
        let revenue = rows_sql(&period(), None, &Figure::Revenue);
        let conditions = revenue.split("WHERE").nth(1).unwrap();
        assert!(!conditions.contains("cancellation"), "{revenue}");
        let month = rows_sql(&period(), None, &Figure::Month("2011-03".into()));
        assert!(
            month.contains("strftime(invoice_ts, '%Y-%m') = '2011-03'"),
            "{month}"
        );
    }
}
