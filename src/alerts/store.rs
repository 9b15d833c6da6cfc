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

/// What one evaluation of a rule changes, written at once by [`Changes::write`]: a
/// rule whose SQL returns tens of thousands of rows costs a few statements, not three
/// per row.
#[derive(Debug, Default)]
pub(super) struct Changes {
    /// Instances whose stored row is replaced (last seen now).
    puts: Vec<Stored>,
    /// Instances dropped (pending ones that went away before they fired).
    forgets: Vec<String>,
    /// Transitions for `alerts.history`: fingerprint, labels, from, to.
    records: Vec<(String, Labels, String, String)>,
}

impl Changes {
    /// Replaces `instance`'s row, and records its transition when it left `from_state`.
    pub fn put(&mut self, instance: Stored, from_state: &str) {
        if from_state != instance.state {
            self.records.push((
                instance.fingerprint.clone(),
                instance.labels.clone(),
                from_state.to_string(),
                instance.state.clone(),
            ));
        }
        self.puts.push(instance);
    }

    /// Drops a pending instance that went away, recording it as inactive again.
    pub fn forget(&mut self, instance: &Stored) {
        self.records.push((
            instance.fingerprint.clone(),
            instance.labels.clone(),
            instance.state.clone(),
            "inactive".into(),
        ));
        self.forgets.push(instance.fingerprint.clone());
    }

    /// Writes the changes (inside the caller's transaction): the replaced and dropped
    /// instances go in one DELETE, the new rows and the history through appenders.
    pub fn write(self, conn: &Connection, rule: &str, now: NaiveDateTime) -> Result<()> {
        conn.execute_batch("CREATE OR REPLACE TEMP TABLE alert_keys (fingerprint VARCHAR)")?;
        {
            let mut keys = conn.appender_to_catalog_and_db("alert_keys", "temp", "main")?;
            for key in self
                .puts
                .iter()
                .map(|s| &s.fingerprint)
                .chain(&self.forgets)
            {
                keys.append_row([key])?;
            }
        }
        conn.execute(
            "DELETE FROM alerts.instances WHERE rule = ? AND fingerprint IN (SELECT fingerprint FROM temp.alert_keys)",
            [rule],
        )?;
        conn.execute_batch("DROP TABLE temp.alert_keys")?;
        {
            let mut rows = conn.appender_to_db("instances", "alerts")?;
            for s in &self.puts {
                rows.append_row(params![
                    rule,
                    s.fingerprint,
                    s.labels.to_json(),
                    s.state,
                    s.since,
                    now,
                    s.notified
                ])?;
            }
        }
        let mut history = conn.appender_to_db("history", "alerts")?;
        for (fingerprint, labels, from, to) in &self.records {
            history.append_row(params![now, rule, fingerprint, labels.to_json(), from, to])?;
        }
        Ok(())
    }
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
