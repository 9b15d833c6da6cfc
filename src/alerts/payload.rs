//! The notification every receiver gets: one JSON document per rule, receiver and
//! status, listing the instances that changed (docs/ALERTS.md shows one).

use chrono::NaiveDateTime;
use serde::Serialize;

use super::file::Rule;
use super::rows::Labels;

#[derive(Serialize)]
pub(super) struct Notification<'a> {
    /// Stable across retries and restarts: the receiver's de-duplication key.
    pub id: &'a str,
    pub rule: &'a str,
    /// `firing` or `resolved`.
    pub status: &'a str,
    pub severity: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<&'a str>,
    pub receiver: &'a str,
    /// Sent by `ecom alerts test`, not by a state change.
    pub test: bool,
    /// When the evaluation that caused it ran (UTC, RFC 3339).
    pub at: String,
    pub instances: Vec<NotifiedInstance<'a>>,
}

#[derive(Serialize)]
pub(super) struct NotifiedInstance<'a> {
    pub fingerprint: &'a str,
    pub labels: &'a Labels,
    /// Since when it fires (pending counts: it is when the rule first saw it).
    pub since: String,
}

impl<'a> Notification<'a> {
    pub fn new(
        id: &'a str,
        rule: &'a Rule,
        receiver: &'a str,
        status: &'a str,
        at: NaiveDateTime,
        test: bool,
    ) -> Self {
        Self {
            id,
            rule: &rule.name,
            status,
            severity: &rule.severity,
            summary: rule.summary.as_deref(),
            receiver,
            test,
            at: utc(at),
            instances: Vec::new(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a notification serializes")
    }
}

/// A UTC time as RFC 3339 (`2026-12-05T14:30:00Z`).
pub(super) fn utc(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A fresh notification id (128 random bits, hex).
pub(super) fn new_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the system's random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What became of one notification in this evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: String,
    pub rule: String,
    pub receiver: String,
    /// `firing` or `resolved`.
    pub status: String,
    pub delivered: bool,
    /// Attempts so far, over every evaluation that tried it.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// Whether the outbox gave up on it (undeliverable for a day, or no such receiver).
    pub gave_up: bool,
    /// The JSON sent (the log receiver's line).
    pub payload: String,
    /// Whether its receiver is the log (`ecom alerts check` prints those).
    pub to_log: bool,
}
