//! The bridge from the warehouse to polars: a query's Arrow batches (arrow-rs, as DuckDB
//! hands them out) cross into polars through the Arrow C Data Interface, without copying
//! the buffers, and numeric columns leave polars as `ndarray` matrices for linfa.
//!
//! Both crates implement the same C structs (`ArrowArray`, `ArrowSchema`), so the
//! hand-over is a move of those structs: ownership of the buffers goes with the release
//! callback they carry.

use super::error::{MlError, Result};
use duckdb::Connection;
use duckdb::arrow::array::{Array, RecordBatch};
use ndarray::Array2;
use polars::prelude::{Column, DataFrame, DataType, Series};

/// Runs `sql` and returns its result as one polars frame.
///
/// Columns keep DuckDB's Arrow types; queries cast what polars should see as numbers to
/// `DOUBLE` or `BIGINT` (DuckDB's `DECIMAL` needs no polars decimal support that way).
pub fn query_frame(conn: &Connection, sql: &str) -> Result<DataFrame> {
    let mut stmt = conn.prepare(sql)?;
    let batches: Vec<RecordBatch> = stmt.query_arrow([])?.collect();
    let schema = stmt.schema();
    let mut columns: Vec<Column> = Vec::with_capacity(schema.fields().len());
    for (index, field) in schema.fields().iter().enumerate() {
        let chunks = batches
            .iter()
            .map(|b| b.column(index).clone())
            .collect::<Vec<_>>();
        columns.push(import_column(field.name(), &chunks)?.into());
    }
    if columns.is_empty() {
        return Ok(DataFrame::empty());
    }
    Ok(DataFrame::new_infer_height(columns)?)
}

/// Moves one arrow-rs column (its chunks) into a polars `Series`.
fn import_column(name: &str, chunks: &[duckdb::arrow::array::ArrayRef]) -> Result<Series> {
    let mut field = None;
    let mut arrays = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let (array, schema) = duckdb::arrow::ffi::to_ffi(&chunk.to_data())?;
        // SAFETY: arrow-rs and polars-arrow both define these as the `#[repr(C)]` structs
        // of the Arrow C Data Interface; the size checks make a layout drift a
        // compile error. Ownership moves with the struct: polars calls `release`.
        let (array, schema): (
            polars_arrow::ffi::ArrowArray,
            polars_arrow::ffi::ArrowSchema,
        ) = unsafe {
            (
                std::mem::transmute::<
                    duckdb::arrow::ffi::FFI_ArrowArray,
                    polars_arrow::ffi::ArrowArray,
                >(array),
                std::mem::transmute::<
                    duckdb::arrow::ffi::FFI_ArrowSchema,
                    polars_arrow::ffi::ArrowSchema,
                >(schema),
            )
        };
        let imported =
            unsafe { polars_arrow::ffi::import_field_from_c(&schema) }.map_err(|source| {
                MlError::UnreadableColumn {
                    name: name.to_string(),
                    source,
                }
            })?;
        let dtype = imported.dtype().clone();
        arrays.push(unsafe { polars_arrow::ffi::import_array_from_c(array, dtype) }?);
        field.get_or_insert(imported);
    }
    match field {
        Some(mut field) => {
            field.name = name.into();
            Ok(Series::try_from((&field, arrays))?)
        }
        None => Ok(Series::new_empty(name.into(), &DataType::Null)),
    }
}

/// The named columns of `frame`, cast to `f64`, as a rows × columns matrix.
///
/// A null becomes an error naming the column: the features are built not to have any.
pub fn matrix(frame: &DataFrame, columns: &[&str]) -> Result<Array2<f64>> {
    let rows = frame.height();
    let mut out = Array2::<f64>::zeros((rows, columns.len()));
    for (j, name) in columns.iter().enumerate() {
        let values = f64_values(frame, name)?;
        out.column_mut(j)
            .assign(&ndarray::ArrayView1::from(&values));
    }
    Ok(out)
}

/// Column `name` of `frame` cast to `dtype`; `what` names the frame in the error.
fn cast_column(
    frame: &DataFrame,
    name: &str,
    what: &'static str,
    dtype: &DataType,
) -> Result<Column> {
    Ok(frame
        .column(name)
        .map_err(|source| MlError::MissingColumn {
            frame: what,
            name: name.to_string(),
            source,
        })?
        .cast(dtype)?)
}

/// An error when a column that must be complete has `nulls`.
fn refuse_nulls(nulls: usize, what: &'static str, name: &str) -> Result<()> {
    if nulls > 0 {
        return Err(MlError::Nulls {
            column: what,
            name: name.to_string(),
            count: nulls,
        });
    }
    Ok(())
}

/// One column of `frame` as `f64`s, nulls refused.
pub fn f64_values(frame: &DataFrame, name: &str) -> Result<Vec<f64>> {
    let column = cast_column(frame, name, "feature frame", &DataType::Float64)?;
    let values = column.f64()?;
    refuse_nulls(values.null_count(), "feature column", name)?;
    Ok(values.into_no_null_iter().collect())
}

/// One column of `frame` as `i64`s, nulls refused.
pub fn i64_values(frame: &DataFrame, name: &str) -> Result<Vec<i64>> {
    let column = cast_column(frame, name, "frame", &DataType::Int64)?;
    let values = column.i64()?;
    refuse_nulls(values.null_count(), "column", name)?;
    Ok(values.into_no_null_iter().collect())
}

/// One text column of `frame`, nulls as empty strings.
pub fn string_values(frame: &DataFrame, name: &str) -> Result<Vec<String>> {
    let series = cast_column(frame, name, "frame", &DataType::String)?;
    let text = series.str()?;
    Ok((0..text.len())
        .map(|i| text.get(i).unwrap_or_default().to_string())
        .collect())
}

/// Writes `batch` as the whole content of `table` (created from the batch's schema by
/// the caller's DDL), inside the caller's transaction.
pub fn append_batch(
    conn: &Connection,
    schema: &str,
    table: &str,
    batch: RecordBatch,
) -> Result<()> {
    if batch.num_rows() == 0 {
        return Ok(());
    }
    let mut appender = conn.appender_to_db(table, schema)?;
    appender.append_record_batch(batch)?;
    appender.flush()?;
    Ok(())
}
