//! One browsed message, decoded: the key and headers as text, the payload as JSON when
//! it is JSON (else as a string), as `ecom kafka browse --json` prints it and the
//! workbench shows it.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use serde::Serialize;
use serde_json::Value;

/// A message of any topic, ready to filter, print or export as a JSON line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrowsedMessage {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The record's timestamp (CreateTime or LogAppendTime), when it has one.
    pub timestamp: Option<DateTime<Utc>>,
    pub key: Option<String>,
    /// Header name → value (text; `null` for a header without a value). A name sent
    /// twice keeps its last value.
    pub headers: BTreeMap<String, Option<String>>,
    /// The payload's JSON, or the payload as a string when it is not JSON (`null` for
    /// a tombstone).
    pub value: Value,
    /// The payload as text, which text filters search.
    #[serde(skip)]
    pub payload: String,
}

impl BrowsedMessage {
    /// Decodes the parts of a record; bytes that are not UTF-8 are replaced (U+FFFD).
    pub fn decode(
        topic: &str,
        partition: i32,
        offset: i64,
        timestamp_millis: Option<i64>,
        key: Option<&[u8]>,
        headers: Vec<(String, Option<String>)>,
        payload: Option<&[u8]>,
    ) -> Self {
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let value = match payload {
            None => Value::Null,
            Some(bytes) => {
                serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(text(bytes)))
            }
        };
        Self {
            topic: topic.to_string(),
            partition,
            offset,
            timestamp: timestamp_millis.and_then(DateTime::from_timestamp_millis),
            key: key.map(text),
            headers: headers.into_iter().collect(),
            value,
            payload: payload.map(text).unwrap_or_default(),
        }
    }

    pub fn from_kafka(message: &BorrowedMessage<'_>) -> Self {
        let headers = message
            .headers()
            .map(|headers| {
                headers
                    .iter()
                    .map(|h| {
                        let value = h.value.map(|v| String::from_utf8_lossy(v).into_owned());
                        (h.key.to_string(), value)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self::decode(
            message.topic(),
            message.partition(),
            message.offset(),
            message.timestamp().to_millis(),
            message.key(),
            headers,
            message.payload(),
        )
    }

    /// The message as one JSON line, as `ecom kafka browse --json` prints it and the
    /// workbench's browser exports it.
    pub fn write_json_line(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, self).map_err(std::io::Error::other)?;
        out.write_all(b"\n")
    }

    /// The readable form: a header line (partition, offset, timestamp, key), one line
    /// per header, then the value pretty-printed.
    pub fn pretty(&self) -> String {
        let mut out = format!("── partition {} · offset {}", self.partition, self.offset);
        if let Some(t) = self.timestamp {
            let _ = write!(
                out,
                " · {}",
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            );
        }
        match &self.key {
            Some(key) => {
                let _ = write!(out, " · key {key}");
            }
            None => out.push_str(" · no key"),
        }
        out.push('\n');
        for (name, value) in &self.headers {
            let _ = writeln!(out, "  {name}: {}", value.as_deref().unwrap_or("(null)"));
        }
        match &self.value {
            Value::String(s) => out.push_str(s),
            other => out.push_str(&serde_json::to_string_pretty(other).unwrap_or_default()),
        }
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_payloads_are_values_and_others_are_strings() {
        let headers = vec![("source".to_string(), Some("pos".to_string()))];
        let m = BrowsedMessage::decode(
            "t",
            2,
            7,
            Some(1_320_134_400_000),
            Some(b"17850"),
            headers,
            Some(br#"{"country":"France"}"#),
        );
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"topic":"t","partition":2,"offset":7,"timestamp":"2011-11-01T08:00:00Z","key":"17850","headers":{"source":"pos"},"value":{"country":"France"}}"#
        );
        let mut line = Vec::new();
        m.write_json_line(&mut line).unwrap();
        assert_eq!(
            line,
            format!("{}\n", serde_json::to_string(&m).unwrap()).as_bytes()
        );
        assert_eq!(
            m.pretty(),
            "── partition 2 · offset 7 · 2011-11-01T08:00:00.000Z · key 17850\n  source: pos\n{\n  \"country\": \"France\"\n}\n"
        );
        let text = BrowsedMessage::decode("t", 0, 0, None, None, Vec::new(), Some(b"plain \xff"));
        assert_eq!(text.value, Value::String("plain \u{fffd}".into()));
        assert_eq!(
            text.pretty(),
            "── partition 0 · offset 0 · no key\nplain \u{fffd}\n"
        );
        let tombstone = BrowsedMessage::decode("t", 0, 1, None, Some(b"k"), Vec::new(), None);
        assert_eq!(tombstone.value, Value::Null);
    }
}
