//! The Arrow shape of `raw.order_lines` and the builder every reader fills: the UCI
//! line parser and the mapping engine produce the same columns, so the writer appends
//! either without knowing where a row came from.

use std::borrow::Cow;
use std::sync::Arc;

use duckdb::arrow::array::{
    ArrayBuilder, ArrayRef, Decimal128Builder, Int32Builder, Int64Array, Int64Builder, StringArray,
    StringBuilder, TimestampMicrosecondBuilder,
};
use duckdb::arrow::datatypes::{DataType, Field as ArrowField, Schema, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;

use super::dialect::Field;
use super::row_error::RowError;

/// Scale of `unit_price` (DECIMAL(18,3)).
pub const PRICE_SCALE: u32 = 3;

/// The Arrow schema of `raw.order_lines`, in table column order (the appender is positional).
pub fn order_lines_schema() -> Arc<Schema> {
    let text = |name: &str| ArrowField::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        text("invoice_no"),
        text("stock_code"),
        text("description"),
        ArrowField::new("quantity", DataType::Int32, true),
        ArrowField::new(
            "invoice_ts",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            true,
        ),
        ArrowField::new(
            "unit_price",
            DataType::Decimal128(18, PRICE_SCALE as i8),
            true,
        ),
        ArrowField::new("customer_id", DataType::Int32, true),
        text("country"),
        text("source_file"),
        ArrowField::new("source_line", DataType::Int64, true),
        ArrowField::new("ingest_id", DataType::Int64, true),
        text("currency"),
        text("source_preset"),
    ]))
}

/// Position of `customer_id` in [`order_lines_schema`] (filled late for e-mail keys).
pub const CUSTOMER_ID_COLUMN: usize = 6;

/// One parsed row, before it is appended to the builders.
pub struct Row<'a> {
    pub invoice_no: Cow<'a, str>,
    pub stock_code: &'a str,
    pub description: Option<&'a str>,
    pub quantity: i32,
    pub invoice_ts: i64,
    pub unit_price: i128,
    pub customer_id: Option<i32>,
    pub country: Option<&'a str>,
    pub currency: Option<&'a str>,
}

/// Column builders for one file's rows.
pub struct Columns {
    invoice_no: StringBuilder,
    stock_code: StringBuilder,
    description: StringBuilder,
    quantity: Int32Builder,
    invoice_ts: TimestampMicrosecondBuilder,
    unit_price: Decimal128Builder,
    customer_id: Int32Builder,
    country: StringBuilder,
    source_file: StringBuilder,
    source_line: Int64Builder,
    currency: StringBuilder,
    /// The preset or mapping that read the file, the same on every row.
    preset: String,
}

impl Columns {
    pub fn with_capacity(rows: usize, bytes: usize, preset: &str) -> Self {
        Self {
            invoice_no: StringBuilder::with_capacity(rows, rows * 7),
            stock_code: StringBuilder::with_capacity(rows, rows * 6),
            description: StringBuilder::with_capacity(rows, bytes / 2),
            quantity: Int32Builder::with_capacity(rows),
            invoice_ts: TimestampMicrosecondBuilder::with_capacity(rows),
            unit_price: Decimal128Builder::with_capacity(rows),
            customer_id: Int32Builder::with_capacity(rows),
            country: StringBuilder::with_capacity(rows, rows * 14),
            source_file: StringBuilder::with_capacity(rows, rows * 16),
            source_line: Int64Builder::with_capacity(rows),
            currency: StringBuilder::with_capacity(rows, rows * 3),
            preset: preset.to_string(),
        }
    }

    /// The preset or mapping name every row gets.
    pub fn preset(&self) -> &str {
        &self.preset
    }

    pub fn push(&mut self, row: &Row, source_file: &str, line: u64) {
        self.invoice_no.append_value(&row.invoice_no);
        self.stock_code.append_value(row.stock_code);
        self.description.append_option(row.description);
        self.quantity.append_value(row.quantity);
        self.invoice_ts.append_value(row.invoice_ts);
        self.unit_price.append_value(row.unit_price);
        self.customer_id.append_option(row.customer_id);
        self.country.append_option(row.country);
        self.source_file.append_value(source_file);
        self.source_line.append_value(line as i64);
        self.currency.append_option(row.currency);
    }

    pub fn finish(mut self, ingest_id: i64) -> RecordBatch {
        let rows = self.source_line.len();
        let ids: ArrayRef = Arc::new(Int64Array::from(vec![ingest_id; rows]));
        let presets: ArrayRef = Arc::new(StringArray::from(vec![self.preset.as_str(); rows]));
        let price = self
            .unit_price
            .finish()
            .with_precision_and_scale(18, PRICE_SCALE as i8)
            .expect("18,3 is a valid decimal type");
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.invoice_no.finish()),
            Arc::new(self.stock_code.finish()),
            Arc::new(self.description.finish()),
            Arc::new(self.quantity.finish()),
            Arc::new(self.invoice_ts.finish()),
            Arc::new(price),
            Arc::new(self.customer_id.finish()),
            Arc::new(self.country.finish()),
            Arc::new(self.source_file.finish()),
            Arc::new(self.source_line.finish()),
            ids,
            Arc::new(self.currency.finish()),
            presets,
        ];
        RecordBatch::try_new(order_lines_schema(), columns).expect("columns match the schema")
    }
}

/// A decimal price to thousandths, exactly (`2.55` → 2550). More than three decimals
/// cannot be stored without loss, so such a row is rejected rather than rounded.
pub fn parse_price(text: &str) -> Result<i128, RowError> {
    let bad = || RowError::NotDecimal(text.to_string());
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 15
    {
        return Err(bad());
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > PRICE_SCALE as usize {
        return Err(RowError::TooManyDecimals {
            text: text.to_string(),
            scale: PRICE_SCALE,
        });
    }
    let whole: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let mut thousandths: i128 = 0;
    for (i, b) in fraction.bytes().enumerate() {
        thousandths += i128::from(b - b'0') * 10i128.pow(PRICE_SCALE - 1 - i as u32);
    }
    let value = whole * 10i128.pow(PRICE_SCALE) + thousandths;
    Ok(if negative { -value } else { value })
}

/// `17850`, `17850.0` → 17850; anything else is an error.
pub fn parse_customer(text: &str) -> Result<i32, RowError> {
    super::values::whole(text, Field::CustomerId).and_then(|n| {
        i32::try_from(n).map_err(|_| RowError::OutOfRange {
            field: Field::CustomerId,
            text: text.to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_exact() {
        assert_eq!(parse_price("2.55").unwrap(), 2550);
        assert_eq!(parse_price("-11062.06").unwrap(), -11_062_060);
        assert_eq!(parse_price("0.001").unwrap(), 1);
        assert_eq!(parse_price("5").unwrap(), 5000);
        assert_eq!(parse_price("1.2500").unwrap(), 1250);
        assert!(parse_price("1.2345").is_err());
        assert!(parse_price("abc").is_err());
        assert!(parse_price("").is_err());
    }

    #[test]
    fn customer_ids_in_both_forms() {
        assert_eq!(parse_customer("17850.0").unwrap(), 17850);
        assert_eq!(parse_customer("17850").unwrap(), 17850);
        assert!(parse_customer("17850.5").is_err());
        assert!(parse_customer("99999999999").is_err());
    }
}
