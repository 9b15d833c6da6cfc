//! Why a whole file is rejected (nothing of it loads): it does not read, no mapping or
//! preset fits it, or ecom failed on it. The `Display` is the reason kept in
//! `meta.rejected_files` and shown in the run's report.

use super::mapping_error::MappingError;
use super::read_error::ReadError;

/// A file that is not order lines ecom can load.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    /// A panic while reading it, with the panic's message.
    #[error("ecom failed on it with an internal error ({0})")]
    Internal(String),
}
