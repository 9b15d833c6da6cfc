//! Alert rules over the warehouse: evaluation, state, receivers (docs/ALERTS.md).
//!
//! A rule is SQL whose rows are the firing instances (or a shorthand compiled to such
//! SQL); each evaluation compares the rows with the instances kept in the warehouse's
//! `alerts` schema, records the transitions and the notifications they cause in one
//! transaction (the outbox), and only then delivers the outbox. So a restart neither
//! loses a notification (undelivered rows are retried at the next evaluation) nor sends
//! a new one for what was already sent; the one repeat a kill can cause (between a
//! receiver accepting a notification and its row being marked delivered) carries the
//! same notification id, for the receiver to de-duplicate.
//!
//! The API the CLI and the workbench's screen 8 use:
//! - [`AlertsFile::load`] parses and checks `alerts.toml` (errors name the file and line);
//! - [`evaluate`] evaluates every rule once and delivers what is due, [`test_rule`]
//!   evaluates one without touching state and sends a test notification;
//! - [`overview`], [`history`], [`silence`] and [`unsilence`] read and steer the state;
//!   on a warehouse without the `alerts` schema they answer empty, never fail;
//! - [`run_every`] evaluates on the file's interval until cancelled (`serve`, `tail`).

mod deliver;
mod evaluate;
mod file;
mod overview;
mod payload;
mod receivers;
mod rows;
mod schedule;
mod shorthand;
mod store;

pub use evaluate::{EvaluateOptions, Evaluation, RuleResult, TestResult, evaluate, test_rule};
pub use file::{AlertsFile, Receiver, ReceiverKind, Rule};
pub use overview::{HistoryEntry, RuleOverview, history, overview, silence, unsilence};
pub use payload::Delivery;
pub use rows::{Instance, Labels};
pub use schedule::run_every;

/// What can go wrong with alert rules; file errors carry the file and line.
#[derive(Debug, thiserror::Error)]
pub enum AlertsError {
    #[error("{path} line {line}: {message}")]
    File {
        path: String,
        line: usize,
        message: String,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("rule `{rule}`: key column `{column}` is not in its rows")]
    KeyColumn { rule: String, column: String },
    #[error("no rule named `{0}` in the alerts file")]
    UnknownRule(String),
    /// The rule's own SQL failed.
    #[error("{0}")]
    Query(duckdb::Error),
    #[error("alerts state in the warehouse: {0}")]
    Db(#[from] duckdb::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = AlertsError> = std::result::Result<T, E>;
