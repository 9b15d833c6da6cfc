//! Delivering the outbox after its rows are committed: each row is sent with its
//! receiver's retries, then marked delivered (or left pending for the next evaluation,
//! or given up on after a day).

use chrono::NaiveDateTime;
use duckdb::Connection;

use super::Result;
use super::evaluate::EvaluateOptions;
use super::file::{AlertsFile, ReceiverKind, Rule};
use super::payload::Delivery;
use super::receivers::{self, Sent};
use super::store;

/// How long an undeliverable notification is retried (once per evaluation) before the
/// outbox marks it failed.
const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::hours(24);

/// Sends every pending outbox row, oldest first, and records each attempt.
pub(super) fn deliver_pending(
    conn: &Connection,
    file: &AlertsFile,
    options: &EvaluateOptions,
    now: NaiveDateTime,
) -> Result<Vec<Delivery>> {
    let mut out = Vec::new();
    for row in store::undelivered(conn)? {
        let receiver = file.receiver(&row.receiver);
        let sent = match receiver {
            Some(receiver) => receivers::send(
                receiver,
                &row.id,
                &row.payload,
                options.default_brokers.as_deref(),
            ),
            None => Sent {
                attempts: 0,
                error: None,
            },
        };
        let attempts = u32::try_from(row.attempts).unwrap_or_default() + sent.attempts;
        let mut error = sent.error.map(|e| e.to_string());
        if receiver.is_none() {
            error = Some(format!(
                "no receiver named `{}` in the alerts file any more",
                row.receiver
            ));
        }
        let delivered = error.is_none();
        let gave_up = !delivered && (receiver.is_none() || now - row.created_at > GIVE_UP_AFTER);
        let state = match (delivered, gave_up) {
            (true, _) => "delivered",
            (false, true) => "failed",
            (false, false) => "pending",
        };
        store::attempted(
            conn,
            &row.id,
            i32::try_from(attempts).unwrap_or(i32::MAX),
            state,
            error.as_deref(),
            now,
        )?;
        if let Some(error) = &error {
            tracing::warn!(rule = %row.rule, receiver = %row.receiver, id = %row.id, %error, attempts, "alert notification not delivered");
        }
        out.push(Delivery {
            id: row.id,
            rule: row.rule,
            receiver: row.receiver,
            status: row.status,
            delivered,
            attempts,
            error,
            gave_up,
            payload: row.payload,
            to_log: matches!(receiver.map(|r| &r.kind), Some(ReceiverKind::Log)),
        });
    }
    Ok(out)
}

/// Sends one notification outside the outbox (`ecom alerts test`).
pub(super) fn send_now(
    file: &AlertsFile,
    options: &EvaluateOptions,
    id: String,
    rule: &Rule,
    receiver: &str,
    status: &str,
    payload: String,
) -> Delivery {
    let found = file.receiver(receiver);
    let sent = found.map(|r| receivers::send(r, &id, &payload, options.default_brokers.as_deref()));
    let error = sent.as_ref().map_or_else(
        || Some(format!("no receiver named `{receiver}`")),
        |s| s.error.as_ref().map(|e| e.to_string()),
    );
    Delivery {
        id,
        rule: rule.name.clone(),
        receiver: receiver.to_string(),
        status: status.to_string(),
        delivered: error.is_none(),
        attempts: sent.map_or(0, |s| s.attempts),
        gave_up: error.is_some(),
        error,
        payload,
        to_log: matches!(found.map(|r| &r.kind), Some(ReceiverKind::Log)),
    }
}
