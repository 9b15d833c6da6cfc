//! [`ExportError`]: what can go wrong getting data out of the warehouse (the lake, its
//! upload, the report and its charts), in the sentences users see.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("`{0}` has no bucket: use s3://BUCKET/PREFIX")]
    NoBucket(String),
    #[error("`{0}`: only folders and s3:// destinations are supported")]
    UnsupportedDestination(String),
    #[error("no table matches `{0}` (see `ecom status`)")]
    NoTableMatches(String),
    #[error("export cancelled after {done} of {total} tables")]
    Cancelled { done: usize, total: u64 },
    #[error("cannot clear {}", dir.display())]
    Clear {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("exporting {table}")]
    Copy {
        table: String,
        #[source]
        source: duckdb::Error,
    },
    #[error("cannot configure the S3 client")]
    S3Client(#[source] object_store::Error),
    /// An S3 call failed: `action` is read, reach, upload, list or delete.
    #[error("cannot {action} {place}: {error}")]
    S3 {
        action: &'static str,
        place: String,
        error: object_store::Error,
    },
    #[error("cannot read {}", path.display())]
    ReadStaged {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{text}` is not a date (YYYY-MM-DD)")]
    NotADate {
        text: String,
        #[source]
        source: chrono::ParseError,
    },
    #[error("--period {0}: the end is before the start")]
    PeriodBackwards(String),
    #[error("--period `{0}`: use YYYY, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD")]
    PeriodFormat(String),
    /// A day, month or year past the calendar's range: "bad year", "bad month", "bad date".
    #[error("bad {0}")]
    OutOfCalendar(&'static str),
    #[error("the marts are missing: run `ecom models build` first")]
    NoMarts,
    #[error("the marts hold no sales yet")]
    NoSales(#[source] duckdb::Error),
    #[error("cannot create {}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("drawing {chart}: {detail}")]
    Draw { chart: String, detail: String },
    #[error("writing {}: {detail}", path.display())]
    WriteChart { path: PathBuf, detail: String },
    #[error(transparent)]
    Db(#[from] duckdb::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Template(#[from] minijinja::Error),
}
