//! Getting data out of the warehouse: the Parquet data lake (`lake`, to a folder or to
//! any S3-compatible store through `store`, each table described by its `manifest`) and
//! the report with charts (`report`, `charts`). Every failure is an [`ExportError`].

pub mod charts;
mod error;
pub mod lake;
pub mod manifest;
pub mod report;
pub mod store;

pub use error::ExportError;
pub use lake::{Destination, ExportOptions, ExportSummary, export};
