//! Why streaming fails: the errors at the public boundary of `crate::stream`
//! (`ecom simulate`, `ecom tail`), with the sentences users see.

use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use super::event::Rejected;

/// Why `ecom simulate` or `ecom tail` stopped (or refused to start).
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("duration {text:?}: {error} (use e.g. 30s, 5m, 1h)")]
    Duration {
        text: String,
        error: humantime::DurationError,
    },
    #[error(transparent)]
    DurationRange(#[from] chrono::OutOfRangeError),
    #[error("client setting {0:?}: use key=value (e.g. session.timeout.ms=6000)")]
    Setting(String),
    /// A Kafka client call failed; `doing` says which ("creating topic x").
    #[error("{doing}")]
    Kafka {
        doing: String,
        #[source]
        source: KafkaError,
    },
    #[error(transparent)]
    KafkaClient(#[from] KafkaError),
    #[error("creating topic {name}: {code}")]
    CreateTopic {
        name: String,
        code: RDKafkaErrorCode,
    },
    #[error("producing to {topic}: {error}")]
    Produce { topic: String, error: KafkaError },
    #[error("reading {0} did not reach its end within 30 s")]
    CheckpointsUnread(String),
    #[error("stopped with {count} message(s) not acknowledged: {last_error}")]
    Unacknowledged { count: usize, last_error: String },
    /// A file or socket call failed; `doing` says which ("writing x").
    #[error("{doing}")]
    Io {
        doing: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    IoError(#[from] std::io::Error),
    /// A warehouse call failed; `doing` says which.
    #[error("{doing}")]
    Warehouse {
        doing: String,
        #[source]
        source: duckdb::Error,
    },
    #[error(transparent)]
    Duckdb(#[from] duckdb::Error),
    #[error(transparent)]
    Arrow(#[from] duckdb::arrow::error::ArrowError),
    #[error(transparent)]
    Sources(#[from] crate::ingest::IngestError),
    /// A source that could not be read or parsed, with the reason.
    #[error("{name}: {reason}")]
    Source { name: String, reason: String },
    #[error("{path} is not UTF-8")]
    NotUtf8 {
        path: String,
        #[source]
        source: std::string::FromUtf8Error,
    },
    #[error("{path}, line {line}: {error}")]
    BadEvent {
        path: String,
        line: usize,
        error: Rejected,
    },
    #[error("no events to send: the sources hold no valid line")]
    NothingToSend,
    #[error("at least one window size is needed (--window 1m)")]
    NoWindows,
    #[error("the tail's writer stopped")]
    WriterStopped,
}

/// The result of the streaming code.
pub type Result<T, E = StreamError> = std::result::Result<T, E>;
