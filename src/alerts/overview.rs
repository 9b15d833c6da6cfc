//! Reading and steering the alert state: per-rule overview, history, silences.
//! Readers answer empty on a warehouse that was never evaluated (no `alerts` schema).

use chrono::{DateTime, NaiveDateTime, Utc};
use duckdb::{Connection, OptionalExt};
use serde::Serialize;

use super::file::AlertsFile;
use super::payload::utc;
use super::rows::Labels;
use super::{Result, store};

/// One rule as `ecom alerts ls` and screen 8 show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleOverview {
    pub name: String,
    /// `sql` or the shorthand it was written with.
    pub kind: String,
    /// The SQL evaluated (a shorthand's compiled SQL).
    pub sql: String,
    pub severity: String,
    pub receivers: Vec<String>,
    /// The rule's `for`, in seconds.
    pub for_seconds: u64,
    pub firing: usize,
    pub pending: usize,
    pub last_evaluated: Option<String>,
    pub last_duration_ms: Option<i64>,
    /// Why the last evaluation failed.
    pub last_error: Option<String>,
    /// Silenced until then: state is kept, nothing is sent.
    pub silenced_until: Option<String>,
    /// Notifications not delivered yet (retried at each evaluation).
    pub undelivered: usize,
    /// The latest delivery error of the rule's notifications still pending or given up.
    pub last_failure: Option<String>,
}

/// One transition of an instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub at: String,
    pub rule: String,
    pub fingerprint: String,
    pub labels: Labels,
    /// `inactive`, `pending`, `firing` or `resolved`.
    pub from: String,
    pub to: String,
}

/// Every rule of `file` with its state in the warehouse (`now` decides silences).
pub fn overview(
    conn: &Connection,
    file: &AlertsFile,
    now: DateTime<Utc>,
) -> Result<Vec<RuleOverview>> {
    let has_state = store::exists(conn)?;
    file.rules
        .iter()
        .map(|rule| {
            let mut o = RuleOverview {
                name: rule.name.clone(),
                kind: rule.kind.into(),
                sql: rule.sql.clone(),
                severity: rule.severity.clone(),
                receivers: rule.receivers.clone(),
                for_seconds: rule.for_.as_secs(),
                firing: 0,
                pending: 0,
                last_evaluated: None,
                last_duration_ms: None,
                last_error: None,
                silenced_until: None,
                undelivered: 0,
                last_failure: None,
            };
            if !has_state {
                return Ok(o);
            }
            let name = rule.name.as_str();
            let (firing, pending): (i64, i64) = conn.query_row(
                "SELECT count(*) FILTER (state = 'firing'), count(*) FILTER (state = 'pending') \
                 FROM alerts.instances WHERE rule = ?",
                [name],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            o.firing = usize::try_from(firing).unwrap_or_default();
            o.pending = usize::try_from(pending).unwrap_or_default();
            if let Some((at, ms, error)) = conn
                .query_row(
                    "SELECT evaluated_at, duration_ms, error FROM alerts.evaluations WHERE rule = ?",
                    [name],
                    |row| Ok((row.get::<_, NaiveDateTime>(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?
            {
                o.last_evaluated = Some(utc(at));
                o.last_duration_ms = Some(ms);
                o.last_error = error;
            }
            o.silenced_until = store::silenced_until(conn, name, now.naive_utc())?.map(utc);
            let undelivered: i64 = conn.query_row(
                "SELECT count(*) FROM alerts.outbox WHERE rule = ? AND state = 'pending'",
                [name],
                |row| row.get(0),
            )?;
            o.undelivered = usize::try_from(undelivered).unwrap_or_default();
            o.last_failure = conn
                .query_row(
                    "SELECT receiver || ': ' || last_error FROM alerts.outbox \
                     WHERE rule = ? AND state <> 'delivered' AND last_error IS NOT NULL \
                     ORDER BY created_at DESC LIMIT 1",
                    [name],
                    |row| row.get(0),
                )
                .optional()?;
            Ok(o)
        })
        .collect()
}

/// The latest `limit` transitions, newest first, of one rule or all.
pub fn history(conn: &Connection, rule: Option<&str>, limit: usize) -> Result<Vec<HistoryEntry>> {
    if !store::exists(conn)? {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(
        "SELECT happened_at, rule, fingerprint, labels, from_state, to_state FROM alerts.history \
         WHERE ?::VARCHAR IS NULL OR rule = ? ORDER BY happened_at DESC, rule, fingerprint LIMIT ?",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(duckdb::params![rule, rule, limit], |row| {
        Ok(HistoryEntry {
            at: utc(row.get(0)?),
            rule: row.get(1)?,
            fingerprint: row.get(2)?,
            labels: Labels::from_json(&row.get::<_, String>(3)?),
            from: row.get(4)?,
            to: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

/// Silences `rule` until `until`: its evaluations keep state but send nothing; firing
/// instances not yet sent are sent once the silence ends.
pub fn silence(conn: &Connection, rule: &str, until: DateTime<Utc>) -> Result<()> {
    store::set_silence(conn, rule, Some(until.naive_utc()), Utc::now().naive_utc())
}

/// Ends `rule`'s silence now.
pub fn unsilence(conn: &Connection, rule: &str) -> Result<()> {
    store::set_silence(conn, rule, None, Utc::now().naive_utc())
}
