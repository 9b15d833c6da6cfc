//! `ecom kafka produce`: JSON lines from a file or standard input, one message each,
//! keyed by a field of the line when asked, each acknowledged by the broker before the
//! command reports success.

use std::io::BufRead;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::error::{BrowseError, Result};
use super::filter::JsonPath;
use crate::jobs::CancelToken;
use crate::stream::StreamError;
use crate::stream::kafka::{ReliableProducer, client_config, ensure_topic};

pub struct ProduceOptions {
    pub brokers: String,
    pub settings: Vec<(String, String)>,
    pub topic: String,
    /// The field whose value keys each message (`None`: no keys). A line without the
    /// field, or with it `null`, gets no key.
    pub key_field: Option<JsonPath>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProduceSummary {
    pub topic: String,
    /// Messages sent and acknowledged.
    pub delivered: u64,
    /// Blank lines, which send nothing.
    pub blank_lines: u64,
}

/// Sends every non-blank line of `input` to the topic (created with one partition when
/// missing); stops at the first line that is not JSON when keys come from a field,
/// after sending the lines before it.
pub fn produce(
    options: &ProduceOptions,
    input: impl BufRead,
    cancel: &CancelToken,
) -> Result<ProduceSummary> {
    ensure_topic(
        &client_config(&options.brokers, &[], &options.settings),
        &options.topic,
        1,
    )?;
    let producer = ReliableProducer::new(&options.brokers, &options.settings)?;
    // The lines before a bad one are sent all the same: flush before reporting it.
    let sent = send_lines(&producer, options, input, cancel);
    producer.flush(Duration::from_secs(60))?;
    let blank_lines = sent?;
    let failed = producer.take_failed();
    if !failed.is_empty() || producer.in_flight() > 0 {
        return Err(StreamError::Unacknowledged {
            count: failed.len().max(producer.in_flight() as usize),
            last_error: producer.last_error().unwrap_or_default(),
        }
        .into());
    }
    Ok(ProduceSummary {
        topic: options.topic.clone(),
        delivered: producer.delivered(),
        blank_lines,
    })
}

/// Queues every non-blank line; returns the number of blank lines.
fn send_lines(
    producer: &ReliableProducer,
    options: &ProduceOptions,
    input: impl BufRead,
    cancel: &CancelToken,
) -> Result<u64> {
    let mut blank_lines = 0;
    for (index, line) in input.lines().enumerate() {
        if cancel.is_cancelled() {
            break;
        }
        let line = line?;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            blank_lines += 1;
            continue;
        }
        let key = match &options.key_field {
            Some(path) => key_of(line, path).map_err(|reason| BrowseError::BadLine {
                line: index + 1,
                reason,
            })?,
            None => None,
        };
        producer.send_record(&options.topic, key.as_deref(), line, None)?;
    }
    Ok(blank_lines)
}

/// The text of the key field: a string as it is, a number or other value as JSON.
fn key_of(line: &str, path: &JsonPath) -> Result<Option<String>, String> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| format!("not JSON ({e}), so it has no key field"))?;
    Ok(match path.lookup(&value) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    })
}
