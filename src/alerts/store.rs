//! The `alerts` schema: instances, evaluations, silences, history and the outbox.
//! Created by this module on first write (idempotently), so the warehouse's migrations
//! know nothing of alerts and a warehouse never evaluated simply has no state.

use chrono::NaiveDateTime;
use duckdb::{Connection, OptionalExt, params};

use super::Result;
use super::rows::Labels;

const SCHEMA: &str = "
CREATE SCHEMA IF NOT EXISTS alerts;
CREATE TABLE IF NOT EXISTS alerts.instances (
    rule        VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    labels      VARCHAR NOT NULL,
    state       VARCHAR NOT NULL,   -- pending | firing | resolved
    since       TIMESTAMP NOT NULL, -- when it entered this state
    last_seen   TIMESTAMP NOT NULL,
    notified    BOOLEAN NOT NULL    -- its firing was put in the outbox
);
CREATE TABLE IF NOT EXISTS alerts.evaluations (
    rule         VARCHAR NOT NULL,
    evaluated_at TIMESTAMP NOT NULL,
    duration_ms  BIGINT NOT NULL,
    instances    BIGINT,
    error        VARCHAR
);
CREATE TABLE IF NOT EXISTS alerts.silences (
    rule       VARCHAR NOT NULL,
    until      TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts.history (
    happened_at TIMESTAMP NOT NULL,
    rule        VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    labels      VARCHAR NOT NULL,
    from_state  VARCHAR NOT NULL,   -- inactive | pending | firing | resolved
    to_state    VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts.outbox (
    id           VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    rule         VARCHAR NOT NULL,
    receiver     VARCHAR NOT NULL,
    status       VARCHAR NOT NULL,  -- firing | resolved
    payload      VARCHAR NOT NULL,
    attempts     INTEGER NOT NULL,
    state        VARCHAR NOT NULL,  -- pending | delivered | failed
    last_error   VARCHAR,
    delivered_at TIMESTAMP
);
";

/// Creates the schema when it is missing.
pub(super) fn ensure(conn: &Connection) -> Result<()> {
    if !exists(conn)? {
        conn.execute_batch(SCHEMA)?;
    }
    Ok(())
}

/// Whether the warehouse has the alerts schema (a read-only reader may find none).
pub(super) fn exists(conn: &Connection) -> Result<bool> {
    let count: i64 = conn.query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'alerts' AND table_name = 'outbox'",
        [],
        |row| row.get(0),
    )?;
    Ok(count > 0)
}

/// An instance as the warehouse remembers it.
#[derive(Debug, Clone)]
pub(super) struct Stored {
    pub fingerprint: String,
    pub labels: Labels,
    pub state: String,
    pub since: NaiveDateTime,
    pub notified: bool,
}

pub(super) fn instances(conn: &Connection, rule: &str) -> Result<Vec<Stored>> {
    let mut stmt = conn.prepare(
        "SELECT fingerprint, labels, state, since, notified FROM alerts.instances WHERE rule = ? ORDER BY since, fingerprint",
    )?;
    let rows = stmt.query_map([rule], |row| {
        Ok(Stored {
            fingerprint: row.get(0)?,
            labels: Labels::from_json(&row.get::<_, String>(1)?),
            state: row.get(2)?,
            since: row.get(3)?,
            notified: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

/// Writes an instance's new state (replacing what was stored) and its history row.
pub(super) fn put(
    conn: &Connection,
    rule: &str,
    instance: &Stored,
    from_state: &str,
    now: NaiveDateTime,
) -> Result<()> {
    forget(conn, rule, &instance.fingerprint)?;
    conn.execute(
        "INSERT INTO alerts.instances VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![
            rule,
            instance.fingerprint,
            instance.labels.to_json(),
            instance.state,
            instance.since,
            now,
            instance.notified
        ],
    )?;
    if from_state != instance.state {
        record(
            conn,
            rule,
            &instance.fingerprint,
            &instance.labels,
            from_state,
            &instance.state,
            now,
        )?;
    }
    Ok(())
}

/// Drops an instance (a pending one that went away before it fired).
pub(super) fn forget(conn: &Connection, rule: &str, fingerprint: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM alerts.instances WHERE rule = ? AND fingerprint = ?",
        params![rule, fingerprint],
    )?;
    Ok(())
}

/// One transition in `alerts.history`.
pub(super) fn record(
    conn: &Connection,
    rule: &str,
    fingerprint: &str,
    labels: &Labels,
    from_state: &str,
    to_state: &str,
    now: NaiveDateTime,
) -> Result<()> {
    conn.execute(
        "INSERT INTO alerts.history VALUES (?, ?, ?, ?, ?, ?)",
        params![
            now,
            rule,
            fingerprint,
            labels.to_json(),
            from_state,
            to_state
        ],
    )?;
    Ok(())
}

/// Marks the instances of a firing notification as sent.
pub(super) fn mark_notified(conn: &Connection, rule: &str, fingerprint: &str) -> Result<()> {
    conn.execute(
        "UPDATE alerts.instances SET notified = true WHERE rule = ? AND fingerprint = ?",
        params![rule, fingerprint],
    )?;
    Ok(())
}

/// The rule's last evaluation replaces the one before.
pub(super) fn evaluated(
    conn: &Connection,
    rule: &str,
    at: NaiveDateTime,
    duration_ms: i64,
    instances: Option<i64>,
    error: Option<&str>,
) -> Result<()> {
    conn.execute("DELETE FROM alerts.evaluations WHERE rule = ?", [rule])?;
    conn.execute(
        "INSERT INTO alerts.evaluations VALUES (?, ?, ?, ?, ?)",
        params![rule, at, duration_ms, instances, error],
    )?;
    Ok(())
}

/// The end of the rule's silence when it is still on at `now`.
pub(super) fn silenced_until(
    conn: &Connection,
    rule: &str,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>> {
    if !exists(conn)? {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            "SELECT until FROM alerts.silences WHERE rule = ? AND until > ?",
            params![rule, now],
            |row| row.get(0),
        )
        .optional()?)
}

pub(super) fn set_silence(
    conn: &Connection,
    rule: &str,
    until: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<()> {
    ensure(conn)?;
    conn.execute("DELETE FROM alerts.silences WHERE rule = ?", [rule])?;
    if let Some(until) = until {
        conn.execute(
            "INSERT INTO alerts.silences VALUES (?, ?, ?)",
            params![rule, until, now],
        )?;
    }
    Ok(())
}

/// A notification waiting in (or gone through) the outbox.
#[derive(Debug, Clone)]
pub(super) struct OutboxRow {
    pub id: String,
    pub created_at: NaiveDateTime,
    pub rule: String,
    pub receiver: String,
    pub status: String,
    pub payload: String,
    pub attempts: i32,
}

pub(super) fn enqueue(conn: &Connection, row: &OutboxRow) -> Result<()> {
    conn.execute(
        "INSERT INTO alerts.outbox VALUES (?, ?, ?, ?, ?, ?, 0, 'pending', NULL, NULL)",
        params![
            row.id,
            row.created_at,
            row.rule,
            row.receiver,
            row.status,
            row.payload
        ],
    )?;
    Ok(())
}

/// The notifications not yet delivered, oldest first.
pub(super) fn undelivered(conn: &Connection) -> Result<Vec<OutboxRow>> {
    let mut stmt = conn.prepare(
        "SELECT id, created_at, rule, receiver, status, payload, attempts FROM alerts.outbox \
         WHERE state = 'pending' ORDER BY created_at, rule, receiver, status",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(OutboxRow {
            id: row.get(0)?,
            created_at: row.get(1)?,
            rule: row.get(2)?,
            receiver: row.get(3)?,
            status: row.get(4)?,
            payload: row.get(5)?,
            attempts: row.get(6)?,
        })
    })?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

/// Records a delivery attempt's end: `state` is delivered, pending (retry later) or failed.
pub(super) fn attempted(
    conn: &Connection,
    id: &str,
    attempts: i32,
    state: &str,
    error: Option<&str>,
    now: NaiveDateTime,
) -> Result<()> {
    conn.execute(
        "UPDATE alerts.outbox SET attempts = ?, state = ?, last_error = ?, \
         delivered_at = CASE WHEN ? = 'delivered' THEN ?::TIMESTAMP END WHERE id = ?",
        params![attempts, state, error, state, now, id],
    )?;
    Ok(())
}

/// How long sent notifications, history and resolved instances are kept.
const RETENTION: chrono::Duration = chrono::Duration::days(30);

/// Drops what is older than [`RETENTION`] and no longer needed (never a pending
/// notification), so evaluating every minute for a year does not grow the schema.
pub(super) fn prune(conn: &Connection, now: NaiveDateTime) -> Result<()> {
    let before = now - RETENTION;
    conn.execute(
        "DELETE FROM alerts.outbox WHERE state <> 'pending' AND created_at < ?",
        [before],
    )?;
    conn.execute("DELETE FROM alerts.history WHERE happened_at < ?", [before])?;
    conn.execute(
        "DELETE FROM alerts.instances WHERE state = 'resolved' AND since < ?",
        [before],
    )?;
    Ok(())
}
