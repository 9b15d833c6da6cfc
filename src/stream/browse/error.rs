//! Why browsing a topic failed, with the sentences users see.

use rdkafka::error::KafkaError;

/// Why `ecom kafka topics`, `browse` or `produce` stopped (or refused to start).
#[derive(Debug, thiserror::Error)]
pub enum BrowseError {
    /// A Kafka client call failed; `doing` says which ("reading the topic list").
    #[error("{doing}: {source}")]
    Kafka {
        doing: String,
        #[source]
        source: KafkaError,
    },
    #[error("topic {0:?} does not exist on the broker (`ecom kafka topics` lists them)")]
    NoSuchTopic(String),
    #[error("topic {topic:?} has no partition {partition} (it has {count})")]
    NoSuchPartition {
        topic: String,
        partition: i32,
        count: usize,
    },
    #[error(
        "filter {text:?}: {reason} (use e.g. `.country == \"France\"`, `key ~ \"170\"` or plain text)"
    )]
    Filter { text: String, reason: String },
    #[error("{doing}: the broker sent nothing within {seconds} s")]
    Timeout { doing: String, seconds: u64 },
    #[error("line {line}: {reason}")]
    BadLine { line: usize, reason: String },
    #[error("reading the messages to produce: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Stream(#[from] crate::stream::StreamError),
}

/// The result of the topic browser.
pub type Result<T, E = BrowseError> = std::result::Result<T, E>;

/// Wraps a Kafka error with what was being done.
pub(super) fn kafka(doing: impl Into<String>) -> impl FnOnce(KafkaError) -> BrowseError {
    let doing = doing.into();
    move |source| BrowseError::Kafka { doing, source }
}
