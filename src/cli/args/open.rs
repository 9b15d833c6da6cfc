//! `ecom open PATH...`: the workbench over files, folders, lakes or `s3://` prefixes.

use clap::Args;

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// Files (CSV/TSV, Parquet, JSON or NDJSON, .xlsx; each may be .gz), folders,
    /// globs, Hive-partitioned lakes, or s3://BUCKET/PREFIX; each becomes a view in the
    /// schema `opened`.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// An S3-compatible endpoint for s3:// paths (MinIO, moto, …); credentials and
    /// region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Print the views created (name, source, format, columns, rows when cheap) instead
    /// of opening the workbench; exits 1 when a PATH did not open.
    #[arg(long)]
    pub list: bool,
}
