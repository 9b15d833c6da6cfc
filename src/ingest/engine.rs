//! Running a mapping over a [`TextTable`]: DuckDB (in memory, with no access to files)
//! evaluates each field's column, SQL expression or constant over the table, where every
//! column is text; then each value is read exactly under the mapping's conventions
//! (decimal mark, date order decided for the whole file, time zones). A row that does
//! not read is quarantined with its reason and its cells, never rounded or guessed.

use std::borrow::Cow;
use std::sync::Arc;

use chrono_tz::Tz;
use duckdb::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, StringArray, StringBuilder,
};
use duckdb::arrow::datatypes::{DataType, Field as ArrowField, Schema};
use duckdb::arrow::record_batch::RecordBatch;

use super::customers::EmailKeys;
use super::dialect::{Field, TimestampFormat};
use super::formats::{TextRow, TextTable};
use super::mapping::{DateOrder, Expr, Mapping, find_column};
use super::mapping_error::MappingError;
use super::parse::{ParsedFile, Rejected};
use super::row_error::RowError;
use super::rows::{Columns, Row, parse_customer, parse_price};
use super::values::{NumberFormat, TimeReading, whole, zone};
use crate::warehouse::{quote_ident, quote_literal};

/// The fields the engine selects, in this order after `__row`.
const FIELDS: [&str; 12] = [
    "invoice_no",
    "stock_code",
    "description",
    "quantity",
    "invoice_date",
    "unit_price",
    "customer",
    "country",
    "currency",
    "cancelled",
    "refund_amount",
    "first_of_order",
];

/// Maps a whole table into rows of `raw.order_lines`. `Err` means the mapping does not
/// fit the file at all (a column it names is missing, its SQL does not run).
pub fn apply(
    table: TextTable,
    mapping: &Mapping,
    shop_zone: Tz,
    source_file: &str,
    ingest_id: i64,
) -> Result<ParsedFile, MappingError> {
    let conn = crate::warehouse::engine::open_in_memory().map_err(MappingError::Engine)?;
    stage(&conn, &table).map_err(MappingError::Stage)?;
    let mut header = table.columns.clone();
    for name in &mapping.optional {
        if find_column(&header, name).is_none() {
            conn.execute_batch(&format!(
                "ALTER TABLE src ADD COLUMN {} VARCHAR",
                quote_ident(name)
            ))
            .map_err(MappingError::Stage)?;
            header.push(name.clone());
        }
    }
    conn.execute_batch("SET enable_external_access = false; SET lock_configuration = true;")
        .map_err(MappingError::Engine)?;
    let sql = select_sql(mapping, &header)?;
    let mut stmt = conn.prepare(&sql).map_err(MappingError::Sql)?;
    let batches: Vec<RecordBatch> = stmt.query_arrow([]).map_err(MappingError::Sql)?.collect();
    let reading = time_reading(mapping, shop_zone, &batches)?;
    let mut out = Output::new(&table, mapping, source_file, reading);
    for batch in &batches {
        out.add(batch);
    }
    let mut file = out.finish(ingest_id);
    let mut rejected = table.rejected;
    rejected.append(&mut file.rejected);
    file.rejected = rejected;
    Ok(file)
}

/// Copies the table into DuckDB as `src`: `__row` (index into the table's rows) and
/// one text column per header name.
fn stage(conn: &duckdb::Connection, table: &TextTable) -> Result<(), duckdb::Error> {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("{} VARCHAR", quote_ident(c)))
        .collect();
    conn.execute_batch(&format!(
        "CREATE TABLE src (__row BIGINT, {})",
        columns.join(", ")
    ))?;
    let mut fields = vec![ArrowField::new("__row", DataType::Int64, false)];
    fields.extend(
        table
            .columns
            .iter()
            .map(|c| ArrowField::new(c, DataType::Utf8, true)),
    );
    let schema = Arc::new(Schema::new(fields));
    let mut appender = conn.appender("src")?;
    for (start, chunk) in (0..).step_by(100_000).zip(table.rows.chunks(100_000)) {
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(Int64Array::from_iter_values(
            start..start + chunk.len() as i64,
        ))];
        for index in 0..table.columns.len() {
            let mut builder = StringBuilder::new();
            for row in chunk {
                builder.append_option(row.cells[index].as_deref());
            }
            arrays.push(Arc::new(builder.finish()));
        }
        let batch = RecordBatch::try_new(schema.clone(), arrays).expect("staged columns match");
        appender.append_record_batch(batch)?;
    }
    appender.flush()
}

/// The SQL of one field: a column of the file, the user's expression, or a constant.
fn expr_sql(
    field: &'static str,
    expr: Option<&Expr>,
    header: &[String],
) -> Result<String, MappingError> {
    Ok(match expr {
        None => "NULL".into(),
        Some(Expr::Column(name)) => {
            let index = find_column(header, name).ok_or_else(|| missing(field, name, header))?;
            quote_ident(&header[index])
        }
        Some(Expr::Sql { sql }) => format!("({sql})"),
        Some(Expr::Value { value }) => quote_literal(value),
    })
}

fn missing(field: &'static str, name: &str, header: &[String]) -> MappingError {
    MappingError::MissingColumn {
        field,
        name: name.to_string(),
        header: header.to_vec(),
    }
}

/// The query that evaluates every field, one row per table row, in table order.
fn select_sql(mapping: &Mapping, header: &[String]) -> Result<String, MappingError> {
    let c = &mapping.columns;
    let customer = c.customer_id.as_ref().or(c.customer_email.as_ref());
    let field = |name: &'static str, expr: Option<&Expr>| expr_sql(name, expr, header);
    let invoice = field("invoice_no", c.invoice_no.as_ref())?;
    let currency = match (&c.currency, &mapping.format.currency) {
        (None, Some(constant)) => quote_literal(constant),
        (expr, _) => field("currency", expr.as_ref())?,
    };
    let values = [
        invoice.clone(),
        field("stock_code", c.stock_code.as_ref())?,
        field("description", c.description.as_ref())?,
        field("quantity", c.quantity.as_ref())?,
        field("invoice_date", c.invoice_date.as_ref())?,
        field("unit_price", c.unit_price.as_ref())?,
        field("customer", customer)?,
        field("country", c.country.as_ref())?,
        currency,
    ];
    let mut select: Vec<String> = vec!["__row".into()];
    select.extend(
        values
            .iter()
            .zip(FIELDS)
            .map(|(sql, name)| format!("CAST({sql} AS VARCHAR) AS {name}")),
    );
    select.push(format!(
        "coalesce(TRY_CAST({} AS BOOLEAN), false) AS cancelled",
        field("cancelled", c.cancelled.as_ref())?
    ));
    select.push(format!(
        "CAST({} AS VARCHAR) AS refund_amount",
        field("refund_amount", c.refund_amount.as_ref())?
    ));
    select.push(format!(
        "row_number() OVER (PARTITION BY {invoice} ORDER BY __row) = 1 AS first_of_order"
    ));
    let from = if mapping.fill_down.is_empty() {
        "src".to_string()
    } else {
        let mut filled = Vec::new();
        for name in &mapping.fill_down {
            let index =
                find_column(header, name).ok_or_else(|| missing("fill_down", name, header))?;
            let column = quote_ident(&header[index]);
            filled.push(format!(
                "last_value({column} IGNORE NULLS) OVER w AS {column}"
            ));
        }
        format!(
            "(SELECT * REPLACE ({}) FROM src WINDOW w AS (PARTITION BY {invoice} ORDER BY __row \
             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS src",
            filled.join(", ")
        )
    };
    Ok(format!(
        "SELECT {} FROM {from} ORDER BY __row",
        select.join(", ")
    ))
}

/// How this file's times read: the mapping's pattern or order, and for `auto` the
/// order told by the whole file's values.
fn time_reading(
    mapping: &Mapping,
    shop_zone: Tz,
    batches: &[RecordBatch],
) -> Result<TimeReading, MappingError> {
    let date_column = 1 + FIELDS
        .iter()
        .position(|f| *f == "invoice_date")
        .expect("a field");
    let order = match mapping.format.date_order {
        DateOrder::Iso => TimestampFormat::Iso,
        DateOrder::DayFirst => TimestampFormat::DayFirst,
        DateOrder::MonthFirst => TimestampFormat::MonthFirst,
        DateOrder::Auto => TimestampFormat::detect(
            batches
                .iter()
                .flat_map(|b| b.column(date_column).as_string::<i32>().iter().flatten()),
        ),
    };
    Ok(TimeReading {
        order,
        pattern: mapping.format.date_format.clone(),
        source_zone: mapping
            .format
            .timezone
            .as_deref()
            .map(zone)
            .transpose()
            .map_err(MappingError::SourceZone)?,
        shop_zone,
    })
}

/// The rows being built from the query's batches.
struct Output<'t> {
    table: &'t TextTable,
    source_file: &'t str,
    numbers: NumberFormat,
    reading: TimeReading,
    by_email: bool,
    columns: Columns,
    customers: EmailKeys,
    rejected: Vec<Rejected>,
}

/// The text of one selected field in one row.
struct Values<'b> {
    text: Vec<&'b StringArray>,
    cancelled: &'b BooleanArray,
    first_of_order: &'b BooleanArray,
}

impl Values<'_> {
    fn get(&self, field: usize, row: usize) -> Option<&str> {
        let column = self.text[field];
        (!column.is_null(row))
            .then(|| column.value(row).trim())
            .filter(|v| !v.is_empty())
    }
}

impl<'t> Output<'t> {
    fn new(
        table: &'t TextTable,
        mapping: &Mapping,
        source_file: &'t str,
        reading: TimeReading,
    ) -> Self {
        Self {
            table,
            source_file,
            numbers: mapping.number_format(),
            reading,
            by_email: mapping.columns.customer_email.is_some(),
            columns: Columns::with_capacity(
                table.rows.len(),
                table.rows.len() * 40,
                mapping.name(),
            ),
            customers: EmailKeys::new(mapping.format.keep_emails),
            rejected: Vec::new(),
        }
    }

    fn add(&mut self, batch: &RecordBatch) {
        let rows = batch
            .column(0)
            .as_primitive::<duckdb::arrow::datatypes::Int64Type>();
        let values = Values {
            text: (1..=9)
                .map(|i| batch.column(i).as_string::<i32>())
                .collect(),
            cancelled: batch.column(10).as_boolean(),
            first_of_order: batch.column(12).as_boolean(),
        };
        let refunds = batch.column(11).as_string::<i32>();
        for i in 0..batch.num_rows() {
            let source = &self.table.rows[rows.value(i) as usize];
            let file = self.table.part(source).unwrap_or(self.source_file);
            match self.row(&values, i) {
                Ok(mut row) => {
                    if values.cancelled.value(i) {
                        row.invoice_no = Cow::Owned(cancellation(&row.invoice_no));
                        row.quantity = -row.quantity.abs();
                    }
                    let refund = (values.first_of_order.value(i)
                        && !values.cancelled.value(i)
                        && !refunds.is_null(i))
                    .then(|| refunds.value(i).trim())
                    .filter(|r| !r.is_empty());
                    let email = self.by_email.then(|| values.get(6, i)).flatten();
                    self.push(&row, email, file, source.line);
                    match refund.map(|r| parse_price(&self.numbers.normalise(r))) {
                        Some(Ok(amount)) if amount > 0 => {
                            let invoice = cancellation(&row.invoice_no);
                            let refund_row = Row {
                                invoice_no: Cow::Owned(invoice),
                                stock_code: "REFUND",
                                description: Some("Refund"),
                                quantity: -1,
                                unit_price: amount,
                                ..row
                            };
                            self.push(&refund_row, email, file, source.line);
                        }
                        Some(Err(reason)) => {
                            self.reject(source, RowError::Refund(Box::new(reason)))
                        }
                        _ => {}
                    }
                }
                Err(reason) => self.reject(source, reason),
            }
        }
    }

    fn push(&mut self, row: &Row, email: Option<&str>, file: &str, line: u64) {
        self.columns.push(row, file, line);
        if self.by_email {
            self.customers.push(email);
        }
    }

    fn reject(&mut self, source: &TextRow, reason: RowError) {
        self.rejected.push(Rejected {
            part: self.table.part(source).map(String::from),
            line: source.line,
            raw: self.table.raw(source),
            reason: reason.to_string(),
        });
    }

    /// Reads one row's fields; the reasons name the fields as the UCI parser does.
    fn row<'b>(&self, v: &'b Values, i: usize) -> Result<Row<'b>, RowError> {
        let required = |index: usize, field: Field| v.get(index, i).ok_or(RowError::Empty(field));
        let invoice_no = required(0, Field::InvoiceNo)?;
        let stock_code = required(1, Field::StockCode)?;
        let quantity_text = required(3, Field::Quantity)?;
        let quantity = whole(&self.numbers.normalise(quantity_text), Field::Quantity)
            .map_err(|_| RowError::NotWhole {
                field: Field::Quantity,
                text: quantity_text.to_string(),
            })
            .and_then(|q| {
                i32::try_from(q).map_err(|_| RowError::OutOfRange {
                    field: Field::Quantity,
                    text: quantity_text.to_string(),
                })
            })?;
        let date_text = required(4, Field::InvoiceDate)?;
        let invoice_ts = self
            .reading
            .read(date_text)
            .ok_or_else(|| RowError::NotADate {
                text: date_text.to_string(),
                form: self
                    .reading
                    .pattern
                    .clone()
                    .unwrap_or_else(|| self.reading.order.name().to_string()),
            })?;
        let price_text = required(5, Field::UnitPrice)?;
        let unit_price = parse_price(&self.numbers.normalise(price_text))
            .map_err(|e| e.with_text(price_text))?;
        let customer_id = match (self.by_email, v.get(6, i)) {
            (false, Some(text)) => Some(parse_customer(&self.numbers.normalise(text))?),
            _ => None,
        };
        Ok(Row {
            invoice_no: Cow::Borrowed(invoice_no),
            stock_code,
            description: v.get(2, i),
            quantity,
            invoice_ts,
            unit_price,
            customer_id,
            country: v.get(7, i),
            currency: v.get(8, i),
        })
    }

    fn finish(self, ingest_id: i64) -> ParsedFile {
        ParsedFile {
            preset: self.columns.preset().to_string(),
            timestamp_format: self.reading.order,
            batch: self.columns.finish(ingest_id),
            rejected: self.rejected,
            customers: self.by_email.then_some(self.customers),
        }
    }
}

/// A cancellation's invoice number: the UCI convention, a `C` in front.
fn cancellation(invoice: &str) -> String {
    if invoice.starts_with('C') {
        invoice.to_string()
    } else {
        format!("C{invoice}")
    }
}
