//! The shorthands for common rules, each compiled to the SQL a rule could have said
//! itself (shown by `ecom alerts ls --json`), with the key that names its instances.

use std::time::Duration;

use super::file::RawRule;
use crate::warehouse::quote_literal;

/// Why a rule's shorthand cannot be compiled.
#[derive(Debug, thiserror::Error)]
pub(super) enum ShorthandError {
    #[error("give exactly one of sql, metric, anomaly, window, tail or pipeline (found {0})")]
    NotExactlyOne(String),
    #[error("give above = N or below = N")]
    NoThreshold,
    #[error("window = {0:?}: watch one of {list}", list = WINDOW_FIGURES.join(", "))]
    WindowFigure(String),
    #[error("tail = {0:?}: watch \"lag\" or \"dead_letters\"")]
    TailFigure(String),
    #[error("pipeline = {0:?}: watch \"failed\" or \"data_checks_failed\" jobs")]
    PipelineStatus(String),
    #[error("{0} is not a threshold")]
    NotFinite(f64),
}

pub(super) struct Compiled {
    pub kind: &'static str,
    pub sql: String,
    pub key: Option<Vec<String>>,
}

/// The figures of `stream.window_totals` a `window` rule may watch.
const WINDOW_FIGURES: [&str; 9] = [
    "revenue",
    "orders",
    "items",
    "customers",
    "cancellations",
    "views",
    "carts",
    "purchases",
    "conversion",
];

/// Compiles the one of `sql`, `metric`, `anomaly`, `window`, `tail`, `pipeline` a rule
/// gives; `over` is its parsed `over` duration.
pub(super) fn compile(rule: &RawRule, over: Option<Duration>) -> Result<Compiled, ShorthandError> {
    let given: Vec<&str> = [
        ("sql", rule.sql.is_some()),
        ("metric", rule.metric.is_some()),
        ("anomaly", rule.anomaly.is_some()),
        ("window", rule.window.is_some()),
        ("tail", rule.tail.is_some()),
        ("pipeline", rule.pipeline.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect();
    let [kind] = given[..] else {
        return Err(ShorthandError::NotExactlyOne(if given.is_empty() {
            "none".into()
        } else {
            given.join(", ")
        }));
    };
    let keyed = |sql: String, key: &[&str]| Compiled {
        kind,
        sql,
        key: Some(key.iter().map(|k| k.to_string()).collect()),
    };
    Ok(match kind {
        "sql" => Compiled {
            kind,
            sql: rule.sql.clone().unwrap_or_default(),
            key: None,
        },
        "metric" => {
            let metric = rule.metric.as_deref().unwrap_or_default();
            let condition = threshold(rule, "value", true)?;
            keyed(
                format!("SELECT value FROM (SELECT ({metric})::DOUBLE AS value) WHERE {condition}"),
                &[],
            )
        }
        "anomaly" => {
            let anomaly = rule.anomaly.as_deref().unwrap_or_default();
            let mut filters = Vec::new();
            if anomaly != "any" {
                filters.push(format!("kind = {}", quote_literal(anomaly)));
            }
            if let Some(score) = rule.above {
                filters.push(format!("abs(score) > {}", number(score)?));
            }
            let filter = if filters.is_empty() {
                "true".into()
            } else {
                filters.join(" AND ")
            };
            keyed(
                format!(
                    "SELECT kind, what, \"when\"::VARCHAR AS \"when\", score, reason FROM ml.anomalies WHERE {filter}"
                ),
                &["kind", "what", "when"],
            )
        }
        "window" => {
            let figure = rule.window.as_deref().unwrap_or_default();
            if !WINDOW_FIGURES.contains(&figure) {
                return Err(ShorthandError::WindowFigure(figure.into()));
            }
            let condition = threshold(rule, "value", true)?;
            let country = rule.country.as_deref().map_or(String::new(), |c| {
                format!(" AND country = {}", quote_literal(c))
            });
            keyed(
                format!(
                    "SELECT country, window_seconds, window_start, window_end, value FROM (\
                     SELECT w.*, w.{figure}::DOUBLE AS value FROM stream.window_totals w \
                     WHERE w.window_end = (SELECT max(x.window_end) FROM stream.window_totals x \
                     WHERE x.window_seconds = w.window_seconds AND x.hop_seconds = w.hop_seconds){country}) \
                     WHERE {condition}"
                ),
                &["country", "window_seconds"],
            )
        }
        "tail" => match rule.tail.as_deref().unwrap_or_default() {
            "lag" => {
                let condition = threshold(rule, "lag_seconds", false)?;
                keyed(
                    format!(
                        "SELECT topic, \"partition\", lag_seconds FROM (\
                         SELECT topic, \"partition\", date_diff('second', updated_at, now()::TIMESTAMP) AS lag_seconds \
                         FROM stream.offsets) WHERE {condition}"
                    ),
                    &["topic", "partition"],
                )
            }
            "dead_letters" => {
                let since = format!(
                    "now()::TIMESTAMP - INTERVAL '{} seconds'",
                    over.unwrap_or(Duration::from_secs(3600)).as_secs()
                );
                let rate = number(rule.above.unwrap_or(0.0))?;
                keyed(
                    format!(
                        "SELECT topic, dead_letters, messages, dead_letters / messages AS rate FROM (\
                         SELECT topic, sum(d)::BIGINT AS dead_letters, count(*)::BIGINT AS messages FROM (\
                         SELECT topic, 1 AS d FROM stream.dead_letters WHERE received_at >= {since} \
                         UNION ALL SELECT topic, 0 AS d FROM stream.events WHERE received_at >= {since}) \
                         GROUP BY topic) WHERE dead_letters > 0 AND dead_letters / messages > {rate}"
                    ),
                    &["topic"],
                )
            }
            other => return Err(ShorthandError::TailFigure(other.into())),
        },
        _ => {
            // A timed-out job failed too.
            let statuses = match rule.pipeline.as_deref().unwrap_or_default() {
                "failed" => "'failed', 'timeout'",
                "data_checks_failed" => "'data_checks_failed'",
                other => return Err(ShorthandError::PipelineStatus(other.into())),
            };
            keyed(
                format!(
                    "SELECT j.job, j.run_id, j.error FROM meta.job_runs j \
                     WHERE j.run_id = (SELECT max(run_id) FROM meta.pipeline_runs WHERE finished_at IS NOT NULL) \
                     AND j.attempt = (SELECT max(k.attempt) FROM meta.job_runs k WHERE k.run_id = j.run_id AND k.job = j.job) \
                     AND j.status IN ({statuses})"
                ),
                &["job"],
            )
        }
    })
}

/// `column > above OR column < below`; `required` when the rule must give one of them.
fn threshold(rule: &RawRule, column: &str, required: bool) -> Result<String, ShorthandError> {
    let mut parts = Vec::new();
    if let Some(above) = rule.above {
        parts.push(format!("{column} > {}", number(above)?));
    }
    if let Some(below) = rule.below {
        parts.push(format!("{column} < {}", number(below)?));
    }
    match parts.len() {
        0 if required => Err(ShorthandError::NoThreshold),
        0 => Ok(format!("{column} > 0")),
        _ => Ok(parts.join(" OR ")),
    }
}

fn number(value: f64) -> Result<String, ShorthandError> {
    if value.is_finite() {
        Ok(format!("{value}::DOUBLE"))
    } else {
        Err(ShorthandError::NotFinite(value))
    }
}
