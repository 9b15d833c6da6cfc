//! Why an ML job fails: the errors at the public boundary of `crate::ml`.

/// Why an ML job refused to run.
#[derive(Debug, thiserror::Error)]
pub enum MlError {
    #[error("{relation} does not exist: run `ecom models build` first")]
    MartsMissing { relation: String },
    #[error("too little data: {0}")]
    TooLittleData(String),
    #[error("{0}")]
    BadParameter(String),
}
