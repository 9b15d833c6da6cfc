//! Why an ML job fails: the errors at the public boundary of `crate::ml`, with the
//! sentences users see.

use crate::jobs::Cancelled;

/// Why an ML job refused to run or stopped.
#[derive(Debug, thiserror::Error)]
pub enum MlError {
    #[error("{relation} does not exist: run `ecom models build` first")]
    MartsMissing { relation: String },
    #[error("too little data: {0}")]
    TooLittleData(String),
    #[error("{0}")]
    BadParameter(String),
    #[error("customer {0} is not in marts.dim_customer")]
    UnknownCustomer(i64),
    #[error("product {0} is not in marts.dim_product")]
    UnknownProduct(String),
    #[error("column {name}: Arrow type not readable by polars")]
    UnreadableColumn {
        name: String,
        #[source]
        source: polars::error::PolarsError,
    },
    /// `frame` says which: "feature frame" or "frame".
    #[error("{frame} has no column {name}")]
    MissingColumn {
        frame: &'static str,
        name: String,
        #[source]
        source: polars::error::PolarsError,
    },
    /// `column` says which: "feature column" or "column".
    #[error("{column} {name} has {count} null value(s)")]
    Nulls {
        column: &'static str,
        name: String,
        count: usize,
    },
    #[error("gaussian mixture with k = {k}: {error}")]
    GaussianMixture {
        k: usize,
        error: linfa_clustering::GmmError,
    },
    #[error(transparent)]
    KMeans(#[from] linfa_clustering::KMeansError),
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
    #[error(transparent)]
    Duckdb(#[from] duckdb::Error),
    #[error(transparent)]
    Polars(#[from] polars::error::PolarsError),
    #[error(transparent)]
    Arrow(#[from] duckdb::arrow::error::ArrowError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Duration(#[from] chrono::OutOfRangeError),
}

/// The result of the ML code.
pub(super) type Result<T, E = MlError> = std::result::Result<T, E>;
