//! One evaluation: each rule's rows against its stored instances, the transitions and
//! the notifications they cause committed together, then the outbox delivered.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, NaiveDateTime, Utc};
use duckdb::Connection;
use serde::Serialize;

use super::file::{AlertsFile, Rule};
use super::payload::{Delivery, Notification, NotifiedInstance, new_id, utc};
use super::rows::{self, Instance};
use super::store::{self, OutboxRow, Stored};
use super::{Result, deliver};
use crate::warehouse::commit::in_transaction;

/// What an evaluation needs beyond the file.
#[derive(Debug, Clone, Default)]
pub struct EvaluateOptions {
    /// Brokers for topic receivers that name none (the config's stream brokers).
    pub default_brokers: Option<String>,
}

/// One rule after an evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub rule: String,
    pub severity: String,
    /// Every instance firing now (new or not).
    pub firing: Vec<Instance>,
    /// Instances seen but not yet firing (waiting out the rule's `for`).
    pub pending: Vec<Instance>,
    /// Instances that started firing in this evaluation.
    pub newly_firing: Vec<Instance>,
    /// Instances that stopped firing in this evaluation.
    pub resolved: Vec<Instance>,
    /// The rule is silenced until then: state is kept, nothing is sent.
    pub silenced_until: Option<String>,
    /// Why the rule's SQL failed (its instances keep their state).
    pub error: Option<String>,
    /// Notifications this evaluation put in the outbox for the rule.
    pub queued: usize,
}

/// Every rule's result and every delivery attempted.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub evaluated_at: String,
    pub rules: Vec<RuleResult>,
    pub deliveries: Vec<Delivery>,
}

impl Evaluation {
    /// Whether an instance of a rule that is not silenced fires (`check` exits 3).
    pub fn firing(&self) -> bool {
        self.rules
            .iter()
            .any(|r| r.silenced_until.is_none() && !r.firing.is_empty())
    }

    /// Deliveries that did not get through in this evaluation.
    pub fn failed_deliveries(&self) -> impl Iterator<Item = &Delivery> {
        self.deliveries.iter().filter(|d| !d.delivered)
    }
}

/// Evaluates every rule of `file` at `now`, records the transitions, and delivers the
/// outbox (this evaluation's notifications and those left undelivered before).
pub fn evaluate(
    conn: &Connection,
    file: &AlertsFile,
    now: DateTime<Utc>,
    options: &EvaluateOptions,
) -> Result<Evaluation> {
    store::ensure(conn)?;
    let at = now.naive_utc();
    let mut rules = Vec::with_capacity(file.rules.len());
    for rule in &file.rules {
        rules.push(evaluate_rule(conn, rule, at)?);
    }
    let deliveries = deliver::deliver_pending(conn, file, options, at)?;
    store::prune(conn, at)?;
    Ok(Evaluation {
        evaluated_at: utc(at),
        rules,
        deliveries,
    })
}

fn evaluate_rule(conn: &Connection, rule: &Rule, at: NaiveDateTime) -> Result<RuleResult> {
    let started = Instant::now();
    let found = rows::instances(conn, rule);
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let silenced = store::silenced_until(conn, &rule.name, at)?;
    let mut result = RuleResult {
        rule: rule.name.clone(),
        severity: rule.severity.clone(),
        firing: Vec::new(),
        pending: Vec::new(),
        newly_firing: Vec::new(),
        resolved: Vec::new(),
        silenced_until: silenced.map(utc),
        error: None,
        queued: 0,
    };
    let found = match found {
        Ok(found) => found,
        Err(error) => {
            let error = error.to_string();
            tracing::warn!(rule = %rule.name, %error, "alert rule failed");
            store::evaluated(conn, &rule.name, at, duration_ms, None, Some(&error))?;
            result.firing = store::instances(conn, &rule.name)?
                .into_iter()
                .filter(|s| s.state == "firing")
                .map(|s| as_instance(&s))
                .collect();
            result.error = Some(error);
            return Ok(result);
        }
    };
    in_transaction(conn, |conn| {
        let stored = store::instances(conn, &rule.name)?;
        let by_key: HashMap<&str, &Stored> =
            stored.iter().map(|s| (s.fingerprint.as_str(), s)).collect();
        let seen: HashSet<&str> = found.iter().map(|i| i.fingerprint.as_str()).collect();
        let mut changes = store::Changes::default();
        let mut to_notify: Vec<Stored> = Vec::new();
        for instance in &found {
            let before = by_key.get(instance.fingerprint.as_str()).copied();
            let was = before.map_or("inactive", |s| s.state.as_str());
            let (since, notified) = match before {
                Some(s) if s.state != "resolved" => (s.since, s.notified),
                _ => (at, false),
            };
            let due = (at - since).to_std().unwrap_or_default() >= rule.for_;
            let state = if was == "firing" || due {
                "firing"
            } else {
                "pending"
            };
            // A firing instance not yet sent goes out now (unless silenced): its row
            // is written as notified, with the notification in the same transaction.
            let notify = state == "firing" && !notified && silenced.is_none();
            let now = Stored {
                fingerprint: instance.fingerprint.clone(),
                labels: instance.labels.clone(),
                state: state.into(),
                since: if state == was { since } else { at },
                notified: notified || notify,
            };
            if notify {
                to_notify.push(now.clone());
            }
            changes.put(now, was);
            if state == "pending" {
                result.pending.push(instance.clone());
                continue;
            }
            if was != "firing" {
                result.newly_firing.push(instance.clone());
            }
            result.firing.push(instance.clone());
        }
        let mut resolved: Vec<Stored> = Vec::new();
        for gone in stored
            .iter()
            .filter(|s| !seen.contains(s.fingerprint.as_str()))
        {
            match gone.state.as_str() {
                "pending" => changes.forget(gone),
                "firing" => {
                    let now = Stored {
                        state: "resolved".into(),
                        since: at,
                        ..gone.clone()
                    };
                    changes.put(now, "firing");
                    result.resolved.push(as_instance(gone));
                    if gone.notified && silenced.is_none() {
                        resolved.push(gone.clone());
                    }
                }
                _ => {}
            }
        }
        changes.write(conn, &rule.name, at)?;
        result.queued += enqueue(conn, rule, "firing", &to_notify, at)?;
        result.queued += enqueue(conn, rule, "resolved", &resolved, at)?;
        let count = i64::try_from(found.len()).unwrap_or(i64::MAX);
        store::evaluated(conn, &rule.name, at, duration_ms, Some(count), None)
    })?;
    Ok(result)
}

/// One outbox row per receiver of `rule` listing `instances`; returns how many.
fn enqueue(
    conn: &Connection,
    rule: &Rule,
    status: &str,
    instances: &[Stored],
    at: NaiveDateTime,
) -> Result<usize> {
    if instances.is_empty() {
        return Ok(0);
    }
    for receiver in &rule.receivers {
        let id = new_id();
        let payload = notification(&id, rule, receiver, status, instances, at, false);
        store::enqueue(
            conn,
            &OutboxRow {
                id,
                created_at: at,
                rule: rule.name.clone(),
                receiver: receiver.clone(),
                status: status.into(),
                payload,
                attempts: 0,
            },
        )?;
    }
    Ok(rule.receivers.len())
}

/// The JSON of one notification.
fn notification(
    id: &str,
    rule: &Rule,
    receiver: &str,
    status: &str,
    instances: &[Stored],
    at: NaiveDateTime,
    test: bool,
) -> String {
    let mut n = Notification::new(id, rule, receiver, status, at, test);
    n.instances = instances
        .iter()
        .map(|s| NotifiedInstance {
            fingerprint: &s.fingerprint,
            labels: &s.labels,
            since: utc(s.since),
        })
        .collect();
    n.to_json()
}

fn as_instance(s: &Stored) -> Instance {
    Instance {
        fingerprint: s.fingerprint.clone(),
        labels: s.labels.clone(),
    }
}

/// What `ecom alerts test RULE` found and sent.
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub rule: String,
    pub sql: String,
    pub instances: Vec<Instance>,
    pub deliveries: Vec<Delivery>,
}

/// Evaluates `rule` now without reading or writing any state, and sends its receivers a
/// notification marked `"test": true` listing what it finds (status `firing` when it
/// finds rows, `resolved` when none).
pub fn test_rule(
    conn: &Connection,
    file: &AlertsFile,
    rule: &str,
    now: DateTime<Utc>,
    options: &EvaluateOptions,
) -> Result<TestResult> {
    let rule = file.rule(rule)?;
    let at = now.naive_utc();
    let instances = rows::instances(conn, rule)?;
    let stored: Vec<Stored> = instances
        .iter()
        .map(|i| Stored {
            fingerprint: i.fingerprint.clone(),
            labels: i.labels.clone(),
            state: "firing".into(),
            since: at,
            notified: false,
        })
        .collect();
    let status = if instances.is_empty() {
        "resolved"
    } else {
        "firing"
    };
    let deliveries = rule
        .receivers
        .iter()
        .map(|receiver| {
            let id = new_id();
            let payload = notification(&id, rule, receiver, status, &stored, at, true);
            deliver::send_now(file, options, id, rule, receiver, status, payload)
        })
        .collect();
    Ok(TestResult {
        rule: rule.name.clone(),
        sql: rule.sql.clone(),
        instances,
        deliveries,
    })
}
