//! Getting data out of the warehouse: the Parquet data lake (`lake`, to a folder or to
//! any S3-compatible store through `store`) and the report with charts (`report`,
//! `charts`).

pub mod charts;
pub mod lake;
pub mod report;
pub mod store;

pub use lake::{Destination, ExportOptions, ExportSummary, export};
