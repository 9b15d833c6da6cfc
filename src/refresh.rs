//! Auto-refresh, shared by the workbench's SQL tabs and `ecom query --auto-refresh`:
//! the interval as users write it, which statements may be re-run unattended, and when
//! the next run is due. A run starts only once the one before it has finished, so a
//! query slower than its interval never piles up runs: the next one starts as soon as
//! the slow one ends.

use std::time::{Duration, Instant};

use crate::warehouse::query::{is_row_query, leading_keyword};

/// The shortest interval: below it a refresh would keep the database busy re-running.
pub const MIN_EVERY: Duration = Duration::from_secs(1);

/// Why an interval cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EveryError {
    #[error("auto-refresh needs an interval: seconds (5) or a duration (5s, 1m), or off")]
    Empty,
    #[error("auto-refresh every {0} is too often: 1 second at least (5, 5s, 1m)")]
    TooShort(String),
    #[error("auto-refresh takes seconds (5) or a duration (5s, 1m), or off; not {0:?}")]
    Invalid(String),
}

/// `5` (seconds), `5s`, `90s`, `1m`, `1m30s`: at least [`MIN_EVERY`].
pub fn parse_every(text: &str) -> Result<Duration, EveryError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(EveryError::Empty);
    }
    let every = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            humantime::parse_duration(text).map_err(|_| EveryError::Invalid(text.to_string()))?
        }
    };
    if every < MIN_EVERY {
        return Err(EveryError::TooShort(text.to_string()));
    }
    Ok(every)
}

/// An interval as a title shows it: `5s`, `1m30s`.
pub fn label(every: Duration) -> String {
    humantime::format_duration(every)
        .to_string()
        .replace(' ', "")
}

/// Statements that read besides the row queries ([`is_row_query`]). Re-running a
/// `CREATE`, an `INSERT` or a `COPY` every few seconds would change the warehouse behind
/// the user's back.
const OTHER_READS: [&str; 5] = ["SHOW", "DESCRIBE", "DESC", "SUMMARIZE", "EXPLAIN"];

/// Words that make a `WITH` or an `EXPLAIN` write (`WITH t AS (…) INSERT …`,
/// `EXPLAIN ANALYZE` runs its statement). A string holding one of them is refused too:
/// a false refusal only costs the refresh of an odd query.
const WRITES: [&str; 8] = [
    "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "COPY", "ANALYZE",
];

/// Whether `sql` (one statement) only reads, so a refresh may re-run it.
pub fn is_read(sql: &str) -> bool {
    let keyword = leading_keyword(sql);
    if !is_row_query(sql) && !OTHER_READS.contains(&keyword.as_str()) {
        return false;
    }
    let writes = || {
        sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|word| WRITES.iter().any(|w| w.eq_ignore_ascii_case(word)))
    };
    !matches!(keyword.as_str(), "WITH" | "EXPLAIN") || !writes()
}

/// The first statement of `statements` a refresh may not re-run: its leading keyword.
pub fn first_write<'a>(statements: impl IntoIterator<Item = &'a str>) -> Option<String> {
    statements
        .into_iter()
        .find(|s| !is_read(s))
        .map(|s| match leading_keyword(s) {
            k if k.is_empty() => "a statement that is not a query".to_string(),
            k => k,
        })
}

/// When runs are due: `every` after the start of the one before, and never while one
/// is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub every: Duration,
    /// When the last run started; `None`: the first run is due at once.
    pub last_start: Option<Instant>,
}

impl Schedule {
    pub fn new(every: Duration) -> Self {
        Self {
            every,
            last_start: None,
        }
    }

    /// Whether a run should start at `now`; `running` when the one before has not
    /// finished (it is then due as soon as it has).
    pub fn due(&self, now: Instant, running: bool) -> bool {
        !running && self.wait(now).is_zero()
    }

    /// A run started at `now`.
    pub fn started(&mut self, now: Instant) {
        self.last_start = Some(now);
    }

    /// How long from `now` until the next run is due (zero: due now).
    pub fn wait(&self, now: Instant) -> Duration {
        self.last_start.map_or(Duration::ZERO, |s| {
            (s + self.every).saturating_duration_since(now)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_as_users_write_them() {
        assert_eq!(parse_every("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_every(" 5s "), Ok(Duration::from_secs(5)));
        assert_eq!(parse_every("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_every("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_every("0"), Err(EveryError::TooShort("0".into())));
        assert_eq!(
            parse_every("500ms"),
            Err(EveryError::TooShort("500ms".into()))
        );
        assert_eq!(parse_every(""), Err(EveryError::Empty));
        let nonsense = parse_every("soon").unwrap_err();
        assert_eq!(
            nonsense.to_string(),
            "auto-refresh takes seconds (5) or a duration (5s, 1m), or off; not \"soon\""
        );
        assert_eq!(label(Duration::from_secs(5)), "5s");
        assert_eq!(label(Duration::from_secs(90)), "1m30s");
    }

    #[test]
    fn only_reads_are_refreshed() {
        for read in [
            "SELECT count(*) FROM stream.events",
            "  -- live\n(select 1)",
            "with t as (select 1 as update_time) select * from t",
            "FROM marts.fact_sales",
            "show tables",
            "DESCRIBE marts.fact_sales",
            "pivot t on a using sum(b)",
        ] {
            assert!(is_read(read), "{read}");
        }
        for write in [
            "CREATE TABLE t AS SELECT 1",
            "insert into t values (1)",
            "with t as (select 1) insert into u select * from t",
            "EXPLAIN ANALYZE SELECT 1",
            "COPY t TO 'x.csv'",
            "",
        ] {
            assert!(!is_read(write), "{write}");
        }
        assert_eq!(first_write(["select 1", "select 2"]), None);
        assert_eq!(
            first_write(["select 1", "create table t as select 1"]).as_deref(),
            Some("CREATE")
        );
    }

    #[test]
    fn a_run_is_due_every_interval_once_the_one_before_finished() {
        let start = Instant::now();
        let s = |secs| start + Duration::from_secs(secs);
        let mut schedule = Schedule::new(Duration::from_secs(5));
        assert!(schedule.due(start, false), "the first run is due at once");
        assert!(!schedule.due(start, true), "not while one runs");
        schedule.started(start);
        assert!(!schedule.due(s(4), false), "not due before the interval");
        assert_eq!(schedule.wait(s(4)), Duration::from_secs(1));
        assert!(schedule.due(s(5), false));
        // A run slower than the interval: the next starts when it ends, not before,
        // and only one.
        assert!(!schedule.due(s(12), true));
        assert!(schedule.due(s(13), false));
        schedule.started(s(13));
        assert!(!schedule.due(s(14), false), "no backlog of missed runs");
    }
}
