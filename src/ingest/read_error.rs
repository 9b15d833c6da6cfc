//! Why a source cannot be read as a table of order lines: it cannot be read at all, is
//! too large or binary, or its format (CSV, JSON, Parquet, a workbook) does not read.
//! The `Display` is the reason a rejected file gets in `meta.rejected_files`.

/// A source that does not read (the whole file is rejected).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read it: {0}")]
    Io(#[from] std::io::Error),
    #[error("a binary file, and not one of the binary formats read (.xlsx, Parquet)")]
    Binary,
    #[error(
        "it {} more than ingest.max_inflated_bytes ({}): a gzip bomb, or a file to split",
        if *.gzip { "inflates to" } else { "holds" },
        indicatif::HumanBytes(*.max_bytes)
    )]
    TooLarge { gzip: bool, max_bytes: u64 },
    #[error("the file is empty")]
    Empty,
    #[error(
        "not online-retail data: the header has no column {} (found: {found})",
        .missing.join(", ")
    )]
    NotOnlineRetail {
        missing: Vec<&'static str>,
        /// The start of the header line.
        found: String,
    },
    #[error("cannot read the header: {0}")]
    CsvHeader(#[source] csv::Error),
    #[error("the header has {columns} columns, more than the {max} an order export may have")]
    TooManyColumns { columns: usize, max: usize },
    #[error("not a JSON array of objects: {0}")]
    JsonArray(#[source] serde_json::Error),
    #[error("no JSON object in the file")]
    NoJsonObject,
    #[error("cannot read it as Parquet: {0}")]
    Parquet(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("cannot read it as a workbook: {0}")]
    Zip(#[source] zip::result::ZipError),
    #[error("cannot read it as an .xlsx workbook: {0}")]
    Workbook(#[source] calamine::XlsxError),
    #[error("no sheet `{sheet}` (sheets: {})", .sheets.join(", "))]
    NoSheet { sheet: String, sheets: Vec<String> },
    #[error("cannot read sheet `{sheet}`: {source}")]
    Sheet {
        sheet: String,
        source: calamine::XlsxError,
    },
    #[error("sheet `{sheet}` has {columns} columns, more than the {max} an order export may have")]
    SheetTooWide {
        sheet: String,
        columns: usize,
        max: usize,
    },
    #[error(
        "sheet `{0}` has other columns than the first sheet: load one sheet at a time with --sheet"
    )]
    SheetColumnsDiffer(String),
    #[error("the workbook has no rows")]
    NoRows,
}
