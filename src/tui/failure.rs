//! Why background work failed, as the workbench shows it: the error's text with its
//! causes, rendered where it happened (a worker thread or a job), so it can travel in an
//! action and be kept by a screen (errors themselves are neither `Clone` nor `PartialEq`).

use std::fmt::Display;

/// A failure of background work, by its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Failure(pub String);

/// What background work reports: its result, or why it failed.
pub type Reported<T> = Result<T, Failure>;

impl Failure {
    /// The failure of `error`, by its `Display` text.
    pub fn of(error: impl Display) -> Self {
        Self(error.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Self(message.to_string())
    }
}

impl From<Failure> for String {
    fn from(failure: Failure) -> Self {
        failure.0
    }
}
