//! A remote answer kept in a table of the workbench's own DuckDB, so the grid's
//! filters, sorts, searches, profiles, charts and exports work on it exactly as on a
//! local result. Columns DuckDB's appender cannot take as they are (lists, structs,
//! unions, maps) are kept as their text.

use std::sync::Arc;

use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use duckdb::Connection;

use super::RemoteError;
use crate::warehouse::quote_ident;

/// The DuckDB type a column of `data_type` is kept as, or `None` when it is kept as
/// text.
fn duckdb_type(data_type: &DataType) -> Option<String> {
    Some(
        match data_type {
            DataType::Boolean => "BOOLEAN",
            DataType::Int8 => "TINYINT",
            DataType::Int16 => "SMALLINT",
            DataType::Int32 => "INTEGER",
            DataType::Int64 => "BIGINT",
            DataType::UInt8 => "UTINYINT",
            DataType::UInt16 => "USMALLINT",
            DataType::UInt32 => "UINTEGER",
            DataType::UInt64 => "UBIGINT",
            DataType::Float16 | DataType::Float32 => "FLOAT",
            DataType::Float64 => "DOUBLE",
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "VARCHAR",
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView => "BLOB",
            DataType::Date32 | DataType::Date64 => "DATE",
            DataType::Time32(_) | DataType::Time64(_) => "TIME",
            DataType::Interval(_) | DataType::Duration(_) => "INTERVAL",
            DataType::Timestamp(_, Some(_)) => "TIMESTAMPTZ",
            DataType::Timestamp(TimeUnit::Second, None) => "TIMESTAMP_S",
            DataType::Timestamp(TimeUnit::Millisecond, None) => "TIMESTAMP_MS",
            DataType::Timestamp(TimeUnit::Microsecond, None) => "TIMESTAMP",
            DataType::Timestamp(TimeUnit::Nanosecond, None) => "TIMESTAMP_NS",
            DataType::Decimal128(precision, scale) if *precision <= 38 && *scale >= 0 => {
                return Some(format!("DECIMAL({precision}, {scale})"));
            }
            _ => return None,
        }
        .to_string(),
    )
}

/// The schema rows are kept in: `schema` with every column DuckDB cannot take as it
/// is turned into text.
fn kept_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match duckdb_type(f.data_type()) {
            Some(_) => f.as_ref().clone(),
            None => Field::new(f.name(), DataType::Utf8, true),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

impl super::Client {
    /// Runs `request` on the server and keeps its rows in the temporary table
    /// `temp.{table}` of `conn` as they arrive (an empty answer still makes the table,
    /// with the answer's columns).
    pub async fn query_into(
        &self,
        conn: &Connection,
        table: &str,
        request: &super::QueryRequest,
        cancel: &mut super::Cancel,
    ) -> Result<super::Answered, RemoteError> {
        let mut created = false;
        let answered = self
            .query(request, cancel, |batch| {
                if !created {
                    create_table(conn, table, &batch.schema())?;
                    created = true;
                }
                append_batch(conn, table, batch)
            })
            .await?;
        if !created {
            create_table(conn, table, &answered.schema)?;
        }
        Ok(answered)
    }
}

/// Creates (or replaces) the temporary table `temp.{table}` for rows of `schema`.
fn create_table(conn: &Connection, table: &str, schema: &Schema) -> Result<(), RemoteError> {
    let columns: Vec<String> = kept_schema(schema)
        .fields()
        .iter()
        .map(|f| {
            let kind = duckdb_type(f.data_type()).unwrap_or_else(|| "VARCHAR".into());
            format!("{} {kind}", quote_ident(f.name()))
        })
        .collect();
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE {} ({})",
        quote_ident(table),
        columns.join(", ")
    ))
    .map_err(keeping)
}

/// Appends `batch` to `temp.{table}` (made by [`create_table`] for its schema).
fn append_batch(conn: &Connection, table: &str, batch: &RecordBatch) -> Result<(), RemoteError> {
    let schema = kept_schema(&batch.schema());
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(Arc::clone(column))
            } else {
                cast(column, field.data_type()).map_err(keeping)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let kept = RecordBatch::try_new(schema, columns).map_err(keeping)?;
    let mut appender = conn
        .appender_to_catalog_and_db(table, "temp", "main")
        .map_err(keeping)?;
    appender.append_record_batch(kept).map_err(keeping)?;
    appender.flush().map_err(keeping)
}

fn keeping(error: impl std::fmt::Display) -> RemoteError {
    RemoteError::Answer(format!("the rows could not be kept: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Decimal128Array, Int64Array, ListArray, StringArray};
    use arrow::datatypes::Int32Type;

    #[test]
    fn rows_keep_their_types_and_nested_columns_become_text() {
        let conn = Connection::open_in_memory().unwrap();
        let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            None,
        ]);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![1, 2])),
            Arc::new(StringArray::from(vec![Some("a"), None])),
            Arc::new(
                Decimal128Array::from(vec![1234, -5])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
            Arc::new(list),
        ];
        let batch =
            RecordBatch::try_from_iter(["n", "s", "price", "l"].into_iter().zip(columns)).unwrap();
        create_table(&conn, "answer", &batch.schema()).unwrap();
        append_batch(&conn, "answer", &batch).unwrap();
        append_batch(&conn, "answer", &batch).unwrap();
        let (rows, total, kinds): (i64, String, String) = conn
            .query_row(
                "SELECT count(*), sum(price)::VARCHAR, \
                 (SELECT string_agg(data_type, ',' ORDER BY column_index) FROM duckdb_columns() WHERE table_name = 'answer') \
                 FROM temp.answer",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(rows, 4);
        assert_eq!(total, "24.58");
        assert_eq!(kinds, "BIGINT,VARCHAR,DECIMAL(10,2),VARCHAR");
        let first: String = conn
            .query_row("SELECT l FROM temp.answer WHERE n = 1 LIMIT 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(first, "[1, 2]");
    }
}
