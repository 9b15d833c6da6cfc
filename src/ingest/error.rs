//! What stops an ingest run as a whole: a source argument that names nothing, the
//! warehouse failing, or a bad `[ingest]` setting (a bad file or row never does).

use super::values::UnknownZone;

/// Errors that stop an ingest run as a whole (a bad file or row never does).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}: no such file or folder")]
    NotFound(String),
    #[error("no file matches {0}")]
    NoMatch(String),
    #[error("bad pattern {pattern}: {reason}")]
    BadPattern { pattern: String, reason: String },
    #[error("cannot read {source_name}: {source}")]
    Read {
        source_name: String,
        source: std::io::Error,
    },
    #[error("nothing to ingest: give files, folders, globs or - for standard input")]
    NoSources,
    #[error("writing to the warehouse failed: {0}")]
    Warehouse(#[from] duckdb::Error),
    #[error("ingest.timezone: {0}")]
    Timezone(UnknownZone),
}
