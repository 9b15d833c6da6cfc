//! [`OpenError`]: why one PATH of `ecom open` did not become a view, in the sentence the
//! CLI prints after the path and the workbench shows in its status line.

use crate::export::ExportError;
use crate::ingest::IngestError;
use crate::ingest::read_error::ReadError;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("no such file or folder")]
    NotFound,
    #[error("the pattern matches no file")]
    NoMatch,
    #[error("not a glob pattern: {0}")]
    BadPattern(String),
    #[error(
        "no data file in it (CSV/TSV, Parquet, JSON or NDJSON, .xlsx; each may be .gz; \
         names starting with _ or . are skipped)"
    )]
    NoDataFiles,
    #[error("{0}")]
    Files(#[from] IngestError),
    #[error("{0}")]
    Read(#[from] ReadError),
    #[error("a gzip-compressed {0} file cannot be read in place: unpack it first")]
    CompressedBinary(&'static str),
    #[error(
        "the workbooks have different headers ({first} has `{expected}`, {other} has \
         `{found}`): open them one by one"
    )]
    WorkbookHeaders {
        first: String,
        other: String,
        expected: String,
        found: String,
    },
    #[error("cannot stage the workbook's rows: {0}")]
    Stage(#[source] std::io::Error),
    #[error("DuckDB cannot read it: {}", first_paragraph(&.0.to_string()))]
    Db(#[from] duckdb::Error),
    #[error("{0}")]
    S3Client(#[from] ExportError),
    #[error("`{0}` has no bucket: use s3://BUCKET/PREFIX")]
    NoBucket(String),
    #[error("cannot {action} {place}: {error}")]
    S3 {
        action: &'static str,
        place: String,
        error: object_store::Error,
    },
    #[error("nothing under {0}")]
    S3Empty(String),
    #[error("cannot write the S3 cache {}: {source}", path.display())]
    Cache {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", file.display())]
    InFile {
        file: std::path::PathBuf,
        source: Box<OpenError>,
    },
    #[error("no opened view `{0}` (see the catalog's `opened` schema)")]
    NoView(String),
}

impl From<std::io::Error> for OpenError {
    fn from(e: std::io::Error) -> Self {
        Self::Read(ReadError::Io(e))
    }
}

/// DuckDB's reader errors run to twenty lines of sniffer settings; the first paragraph
/// says what is wrong, and the `file = …` line which file of a folder it was.
fn first_paragraph(text: &str) -> String {
    let head = text.split("\n\n").next().unwrap_or(text).trim();
    let file = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("file = "))
        .filter(|l| !head.contains(*l));
    match file {
        Some(file) => format!("{} ({file})", head.replace('\n', " ")),
        None => head.replace('\n', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duckdb_errors_keep_their_first_paragraph_and_the_file() {
        let text = "Invalid Input Error: CSV Error on Line: 2\nOriginal Line: a;b\n\n  file = g/b.csv\n  delimiter = ;";
        assert_eq!(
            first_paragraph(text),
            "Invalid Input Error: CSV Error on Line: 2 Original Line: a;b (file = g/b.csv)"
        );
        assert_eq!(first_paragraph("IO Error: gone"), "IO Error: gone");
    }
}
