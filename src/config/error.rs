//! Configuration errors, phrased for the user: a file that cannot be read, a setting
//! that is not valid (naming the key, and the line for TOML errors), a bad `ECOM_*`
//! variable.

use std::path::PathBuf;

use super::bad_rows::BadRowLimitError;
use crate::ingest::mapping_error::MappingError;
use crate::ingest::values::UnknownZone;

/// A configuration problem, phrased for the user.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The problem is part of the message, not a separate cause: the error prints
    /// once however it is shown (`{:#}` repeats a cause after its error).
    #[error("the config file {path} is not valid: {problem}")]
    Invalid {
        path: PathBuf,
        problem: Box<ConfigProblem>,
    },
    #[error("environment variable {name}: {problem}")]
    Env {
        name: String,
        problem: BadRowLimitError,
    },
}

/// What is wrong in a config file, naming the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigProblem {
    /// The TOML does not parse or does not fit the settings: toml's message, with the
    /// line spelled out.
    #[error("{0}")]
    Toml(String),
    #[error("keys.{0} and tui.keys.{0} are both set: keep one")]
    KeysTwice(String),
    #[error("ingest.max_bad_rows: {0}")]
    MaxBadRows(#[source] BadRowLimitError),
    #[error("ingest.timezone: {0}")]
    Timezone(#[source] UnknownZone),
    #[error("ingest.mapping: {0}")]
    Mapping(#[source] MappingError),
    #[error("ingest.batch_rows must be at least 1")]
    BatchRows,
    #[error("tui.page_rows must be at least 10")]
    PageRows,
    #[error("tui.stream.windows: `{window}`: {source}")]
    Window {
        window: String,
        source: humantime::DurationError,
    },
    #[error("pipeline job `{0}`: kind must be ingest, models, sql, export or ml")]
    JobKind(String),
    #[error("pipeline job `{job}`: model: {source}")]
    JobModel {
        job: String,
        source: crate::ml::MlError,
    },
    #[error("pipeline job `{0}`: an export job needs `to`")]
    ExportWithoutTo(String),
    #[error("pipeline job `{job}`: backoff `{value}`: {source}")]
    Backoff {
        job: String,
        value: String,
        source: humantime::DurationError,
    },
    #[error("pipeline job `{job}`: timeout `{value}`: {source}")]
    Timeout {
        job: String,
        value: String,
        source: humantime::DurationError,
    },
}
