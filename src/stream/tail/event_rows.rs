//! A batch's events as the columns of `stream.events`: what each message carried, where
//! it came from, whether it was late and when it arrived. The enrichment is joined at
//! read time (`stream.events_enriched`).
//!
//! The consuming thread appends each accepted event's values to the column builders and
//! drops the event there; the writer thread gets a few large buffers to append. Handing
//! it the events themselves cost millions of small allocations freed on another thread,
//! which the allocator paid for in fresh pages.

use std::sync::Arc;

use chrono::NaiveDateTime;
use duckdb::arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Decimal128Builder, Int32Builder, Int64Builder,
    RecordBatch, StringArray, StringBuilder, TimestampMicrosecondArray,
    TimestampMicrosecondBuilder,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};

use crate::stream::error::Result;
use crate::stream::event::Event;

/// The columns of the accepted events of one batch, in `stream.events` order (the
/// appender is positional), without the two that are the same for the whole batch
/// (`topic`, `received_at`: [`EventRows::finish`] adds them).
#[derive(Default)]
pub(super) struct EventRows {
    partition: Int32Builder,
    offset: Int64Builder,
    event_id: StringBuilder,
    event_type: StringBuilder,
    event_time: TimestampMicrosecondBuilder,
    invoice_no: StringBuilder,
    stock_code: StringBuilder,
    description: StringBuilder,
    quantity: Int64Builder,
    unit_price: Decimal128Builder,
    revenue: Decimal128Builder,
    customer_id: Int64Builder,
    country: StringBuilder,
    late: BooleanBuilder,
}

impl EventRows {
    pub(super) fn len(&self) -> usize {
        self.offset.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one accepted event.
    pub(super) fn push(&mut self, partition: i32, offset: i64, event: &Event, late: bool) {
        self.partition.append_value(partition);
        self.offset.append_value(offset);
        self.event_id.append_value(&event.event_id);
        self.event_type.append_value(event.event_type.name());
        self.event_time
            .append_value(event.event_time.and_utc().timestamp_micros());
        self.invoice_no.append_option(event.invoice_no.as_deref());
        self.stock_code.append_value(&event.stock_code);
        self.description.append_option(event.description.as_deref());
        self.quantity.append_value(event.quantity);
        self.unit_price.append_value(i128::from(event.unit_price));
        self.revenue.append_value(i128::from(event.revenue_milli()));
        self.customer_id.append_option(event.customer_id);
        self.country.append_option(event.country.as_deref());
        self.late.append_value(late);
    }

    /// The rows as one Arrow batch shaped like `stream.events`, every one from `topic`
    /// and received at `received_at`.
    pub(super) fn finish(
        &mut self,
        topic: &str,
        received_at: NaiveDateTime,
    ) -> Result<RecordBatch> {
        let rows = self.len();
        let decimal = |builder: &mut Decimal128Builder| -> Result<ArrayRef> {
            Ok(Arc::new(builder.finish().with_precision_and_scale(18, 3)?))
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
                topic, rows,
            ))),
            Arc::new(self.partition.finish()),
            Arc::new(self.offset.finish()),
            Arc::new(self.event_id.finish()),
            Arc::new(self.event_type.finish()),
            Arc::new(self.event_time.finish()),
            Arc::new(self.invoice_no.finish()),
            Arc::new(self.stock_code.finish()),
            Arc::new(self.description.finish()),
            Arc::new(self.quantity.finish()),
            decimal(&mut self.unit_price)?,
            decimal(&mut self.revenue)?,
            Arc::new(self.customer_id.finish()),
            Arc::new(self.country.finish()),
            Arc::new(self.late.finish()),
            Arc::new(TimestampMicrosecondArray::from_value(
                received_at.and_utc().timestamp_micros(),
                rows,
            )),
        ];
        Ok(RecordBatch::try_new(events_schema(), columns)?)
    }
}

/// The Arrow schema of `stream.events`, in table column order.
fn events_schema() -> Arc<Schema> {
    let field = |name: &str, dtype: DataType| Field::new(name, dtype, true);
    let text = |name: &str| field(name, DataType::Utf8);
    let timestamp = DataType::Timestamp(TimeUnit::Microsecond, None);
    Arc::new(Schema::new(vec![
        text("topic"),
        field("partition", DataType::Int32),
        field("offset", DataType::Int64),
        text("event_id"),
        text("event_type"),
        field("event_time", timestamp.clone()),
        text("invoice_no"),
        text("stock_code"),
        text("description"),
        field("quantity", DataType::Int64),
        field("unit_price", DataType::Decimal128(18, 3)),
        field("revenue", DataType::Decimal128(18, 3)),
        field("customer_id", DataType::Int64),
        text("country"),
        field("late", DataType::Boolean),
        field("received_at", timestamp),
    ]))
}
