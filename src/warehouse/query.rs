//! Running user SQL and turning Arrow results into text or JSON cells.
//!
//! Results are streamed batch by batch so a query of any size can be written out without
//! holding it in memory; the CLI's formats and the TUI grid share the cell formatting.

use duckdb::Connection;
use duckdb::arrow::array::{Array, ArrayRef};
use duckdb::arrow::datatypes::{DataType, SchemaRef};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};

use super::WarehouseError;

/// The first keyword of a statement, upper-cased, skipping comments and brackets.
pub fn leading_keyword(sql: &str) -> String {
    let mut rest = sql.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("--") {
            rest = after
                .split_once('\n')
                .map(|x| x.1)
                .unwrap_or("")
                .trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after
                .split_once("*/")
                .map(|x| x.1)
                .unwrap_or("")
                .trim_start();
        } else if let Some(after) = rest.strip_prefix('(') {
            rest = after.trim_start();
        } else {
            break;
        }
    }
    rest.chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Whether the statement is a query whose rows can be materialised with
/// `CREATE TABLE … AS` (as opposed to DDL, DML, `SHOW`, `PRAGMA` …).
pub fn is_row_query(sql: &str) -> bool {
    matches!(
        leading_keyword(sql).as_str(),
        "SELECT" | "WITH" | "FROM" | "VALUES" | "TABLE" | "PIVOT" | "UNPIVOT"
    )
}

/// Runs `sql` and hands every Arrow batch of its result to `on_batch`, whose error type
/// is the caller's. Returns the result's schema (also for results without rows).
pub fn stream_batches<E: From<WarehouseError>>(
    conn: &Connection,
    sql: &str,
    mut on_batch: impl FnMut(&RecordBatch) -> Result<(), E>,
) -> Result<SchemaRef, E> {
    let mut stmt = conn.prepare(sql).map_err(WarehouseError::from)?;
    let arrow = stmt.query_arrow([]).map_err(WarehouseError::from)?;
    let schema = arrow.get_schema();
    for batch in arrow {
        on_batch(&batch)?;
    }
    Ok(schema)
}

/// Formats the cells of one Arrow column as text (DuckDB's own rendering of
/// timestamps and decimals, `null_text` for NULL).
pub struct CellText<'a> {
    formatter: ArrayFormatter<'a>,
    array: &'a dyn Array,
    null_text: &'a str,
}

impl<'a> CellText<'a> {
    pub fn new(array: &'a ArrayRef, options: &'a FormatOptions<'a>, null_text: &'a str) -> Self {
        let formatter = ArrayFormatter::try_new(array.as_ref(), options)
            .expect("every Arrow type has a display formatter");
        Self {
            formatter,
            array: array.as_ref(),
            null_text,
        }
    }

    pub fn get(&self, row: usize) -> String {
        if self.array.is_null(row) {
            self.null_text.to_string()
        } else {
            self.formatter.value(row).to_string()
        }
    }

    /// The cell as a JSON value: numbers stay numbers, NULL is null, the rest is text.
    pub fn json(&self, row: usize) -> serde_json::Value {
        use serde_json::Value;
        if self.array.is_null(row) {
            return Value::Null;
        }
        let text = self.formatter.value(row).to_string();
        match self.array.data_type() {
            DataType::Boolean => Value::Bool(text == "true"),
            t if t.is_integer()
                || matches!(t, DataType::Decimal128(_, 0) | DataType::Decimal256(_, 0)) =>
            {
                text.parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| text.parse::<u64>().map(Value::from))
                    .unwrap_or(Value::String(text))
            }
            t if t.is_floating() || is_decimal(t) => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or(Value::String(text)),
            _ => Value::String(text),
        }
    }
}

/// Whether values of this type are numbers (right-aligned in tables).
pub fn is_numeric(data_type: &DataType) -> bool {
    data_type.is_integer() || data_type.is_floating() || is_decimal(data_type)
}

fn is_decimal(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Decimal32(..)
            | DataType::Decimal64(..)
            | DataType::Decimal128(..)
            | DataType::Decimal256(..)
    )
}

/// Display options shared by every text rendering of cells: times to the second, with
/// their fraction when they have one (3, 6 or 9 digits; never dropped).
pub fn format_options() -> FormatOptions<'static> {
    FormatOptions::default()
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"))
        .with_datetime_format(Some("%Y-%m-%d %H:%M:%S%.f"))
}

/// A formatter for each column of `batch`.
fn column_cells<'a>(
    batch: &'a RecordBatch,
    options: &'a FormatOptions<'a>,
    null_text: &'a str,
) -> Vec<CellText<'a>> {
    batch
        .columns()
        .iter()
        .map(|a| CellText::new(a, options, null_text))
        .collect()
}

/// Renders every row of a batch as text cells.
pub fn batch_to_text(batch: &RecordBatch, null_text: &str) -> Vec<Vec<String>> {
    let options = format_options();
    let columns = column_cells(batch, &options, null_text);
    (0..batch.num_rows())
        .map(|row| columns.iter().map(|c| c.get(row)).collect())
        .collect()
}

/// Every row of a batch as an array of JSON cells, in column order.
pub fn batch_to_json_rows(batch: &RecordBatch) -> Vec<Vec<serde_json::Value>> {
    let options = format_options();
    let columns = column_cells(batch, &options, "");
    (0..batch.num_rows())
        .map(|row| columns.iter().map(|c| c.json(row)).collect())
        .collect()
}

/// Every row of a batch as a JSON object keyed by column name.
pub fn batch_to_json_objects(
    batch: &RecordBatch,
) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let options = format_options();
    let schema = batch.schema();
    let columns = column_cells(batch, &options, "");
    (0..batch.num_rows())
        .map(|row| {
            schema
                .fields()
                .iter()
                .zip(&columns)
                .map(|(field, cell)| (field.name().clone(), cell.json(row)))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_keyword_skips_comments_and_brackets() {
        assert_eq!(leading_keyword("  -- hi\n/* x */ (select 1)"), "SELECT");
        assert!(is_row_query("with t as (select 1) select * from t"));
        assert!(is_row_query("FROM raw.order_lines"));
        assert!(!is_row_query("create table x as select 1"));
        assert!(!is_row_query("SHOW TABLES"));
    }

    #[test]
    fn cells_render_as_text_and_json() {
        let conn = Connection::open_in_memory().unwrap();
        let sql = "SELECT 1::INTEGER AS i, 2.550::DECIMAL(18,3) AS d, NULL::VARCHAR AS n, \
                   TIMESTAMP '2010-12-01 08:26:00' AS ts, 'x' AS s";
        let mut rows = Vec::new();
        let mut json = Vec::new();
        stream_batches::<WarehouseError>(&conn, sql, |b| {
            rows.extend(batch_to_text(b, "NULL"));
            let options = format_options();
            let cells: Vec<_> = b
                .columns()
                .iter()
                .map(|a| CellText::new(a, &options, ""))
                .collect();
            json.extend(cells.iter().map(|c| c.json(0)));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            rows,
            vec![vec!["1", "2.550", "NULL", "2010-12-01 08:26:00", "x"]]
        );
        assert_eq!(json[0], serde_json::json!(1));
        assert_eq!(json[1], serde_json::json!(2.55));
        assert_eq!(json[2], serde_json::Value::Null);
    }
}
