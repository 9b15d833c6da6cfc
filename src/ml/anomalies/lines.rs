//! Unusual invoice lines: each sold line's quantity and unit price against what is
//! usual for its product, with the reason.

use duckdb::Connection;
use polars::prelude::*;

use super::anomaly::Anomaly;
use crate::ml::error::Result;
use crate::ml::eval::{mad, median};
use crate::ml::frames;

const LINES_SQL: &str = "
SELECT invoice_no, stock_code, customer_id::BIGINT AS customer_id, epoch_us(invoice_ts) AS ts,
       quantity::DOUBLE AS quantity, unit_price::DOUBLE AS unit_price
FROM marts.fact_sales
WHERE NOT is_cancellation AND is_product AND quantity > 0 AND unit_price > 0";

/// A product needs this many sold lines before its "usual" means anything; rarer
/// products are compared with what is usual across all products.
const MIN_LINES_PER_PRODUCT: u32 = 20;

/// The spread below which a product's quantities or prices count as constant: without
/// a floor, a product always sold by the dozen would flag any other quantity.
const LOG_MAD_FLOOR: f64 = 0.35;

/// Lines whose quantity or unit price is far from what is usual for their product.
pub(super) fn line_anomalies(conn: &Connection, threshold: f64) -> Result<Vec<Anomaly>> {
    let lines = frames::query_frame(conn, LINES_SQL)?;
    let overall = |column: &str| -> Result<(f64, f64)> {
        let logs: Vec<f64> = frames::f64_values(&lines, column)?
            .iter()
            .map(|v| v.ln())
            .collect();
        let center = median(&logs);
        Ok((center, mad(&logs, center)))
    };
    let (quantity_all, quantity_all_mad) = overall("quantity")?;
    let (price_all, price_all_mad) = overall("unit_price")?;
    // Rare products take the overall median and spread.
    let rare = || col("lines").lt(lit(MIN_LINES_PER_PRODUCT));
    let or_overall = |name: &str, value: f64| {
        when(rare())
            .then(lit(value))
            .otherwise(col(name))
            .alias(name.to_string())
    };
    let floored = |name: &str| {
        when(col(name).lt(lit(LOG_MAD_FLOOR)))
            .then(lit(LOG_MAD_FLOOR))
            .otherwise(col(name))
    };
    let logs = lines.lazy().with_columns([
        col("quantity")
            .log(lit(std::f64::consts::E))
            .alias("log_quantity"),
        col("unit_price")
            .log(lit(std::f64::consts::E))
            .alias("log_price"),
    ]);
    let centers = logs.clone().group_by([col("stock_code")]).agg([
        len().alias("lines"),
        col("log_quantity").median().alias("quantity_median"),
        col("log_price").median().alias("price_median"),
    ]);
    let by_code = |frame: LazyFrame, other: LazyFrame| {
        frame.join(
            other,
            [col("stock_code")],
            [col("stock_code")],
            JoinArgs::new(JoinType::Inner),
        )
    };
    let deviations = by_code(logs, centers).with_columns([
        (col("log_quantity") - col("quantity_median"))
            .abs()
            .alias("quantity_dev"),
        (col("log_price") - col("price_median"))
            .abs()
            .alias("price_dev"),
    ]);
    let spreads = deviations.clone().group_by([col("stock_code")]).agg([
        col("quantity_dev").median().alias("quantity_mad"),
        col("price_dev").median().alias("price_mad"),
    ]);
    let scored = by_code(deviations, spreads)
        .with_columns([
            or_overall("quantity_median", quantity_all),
            or_overall("quantity_mad", quantity_all_mad),
            or_overall("price_median", price_all),
            or_overall("price_mad", price_all_mad),
        ])
        .with_columns([
            (lit(0.6745) * (col("log_quantity") - col("quantity_median"))
                / floored("quantity_mad"))
            .alias("quantity_z"),
            (lit(0.6745) * (col("log_price") - col("price_median")) / floored("price_mad"))
                .alias("price_z"),
        ])
        .filter(
            col("quantity_z")
                .abs()
                .gt(lit(threshold))
                .or(col("price_z").abs().gt(lit(threshold))),
        )
        .sort(
            ["ts", "invoice_no", "stock_code"],
            SortMultipleOptions::default(),
        )
        .collect()?;

    let invoices = frames::string_values(&scored, "invoice_no")?;
    let codes = frames::string_values(&scored, "stock_code")?;
    let customers = scored.column("customer_id")?.cast(&DataType::Int64)?;
    let customers = customers.i64()?;
    let ts = frames::i64_values(&scored, "ts")?;
    let product_lines = frames::i64_values(&scored, "lines")?;
    let measures = [
        (
            "line_quantity",
            "quantity",
            "quantity",
            "quantity_median",
            "quantity_z",
        ),
        (
            "line_price",
            "unit price",
            "unit_price",
            "price_median",
            "price_z",
        ),
    ];
    let mut out = Vec::new();
    for (kind, label, value_col, median_col, z_col) in measures {
        let values = frames::f64_values(&scored, value_col)?;
        let medians = frames::f64_values(&scored, median_col)?;
        let zs = frames::f64_values(&scored, z_col)?;
        for row in 0..scored.height() {
            if zs[row].abs() <= threshold {
                continue;
            }
            let usual = medians[row].exp();
            let direction = if zs[row] > 0.0 { "above" } else { "below" };
            let whose = if product_lines[row] < MIN_LINES_PER_PRODUCT as i64 {
                format!(
                    "across all products ({} has {} sold line(s))",
                    codes[row], product_lines[row]
                )
            } else {
                format!("for {}", codes[row])
            };
            out.push(Anomaly {
                kind: kind.to_string(),
                what: format!("invoice {} line {}", invoices[row], codes[row]),
                when: chrono::DateTime::from_timestamp_micros(ts[row])
                    .map(|t| t.naive_utc())
                    .unwrap_or_default(),
                score: zs[row],
                reason: format!(
                    "{label} {} is far {direction} the usual {} {whose} ({:.1}×, robust z {:+.1})",
                    trim_number(values[row]),
                    trim_number(usual),
                    values[row] / usual,
                    zs[row]
                ),
                value: values[row],
                expected: usual,
                invoice_no: Some(invoices[row].clone()),
                stock_code: Some(codes[row].clone()),
                customer_id: customers.get(row),
            });
        }
    }
    Ok(out)
}

/// A quantity or price without trailing zeros: 12, 0.42, 80995.
fn trim_number(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_without_trailing_zeros() {
        assert_eq!(trim_number(12.0), "12");
        assert_eq!(trim_number(0.42), "0.42");
    }
}
