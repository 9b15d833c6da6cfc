//! `alerts.toml`: receivers, rules and settings, checked as a whole so a mistake is
//! reported with its file and line before anything is evaluated.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::shorthand;
use super::{AlertsError, Result};

/// The parsed, checked alerts file.
#[derive(Debug, Clone)]
pub struct AlertsFile {
    pub path: PathBuf,
    pub receivers: Vec<Receiver>,
    pub rules: Vec<Rule>,
    /// How often `serve` and `tail` evaluate (`[settings] interval`, 1 minute by default).
    pub interval: Duration,
}

/// One rule: SQL whose rows are its firing instances.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    /// `sql`, or the shorthand's name (`metric`, `anomaly`, `window`, `tail`, `pipeline`).
    pub kind: &'static str,
    /// The SQL evaluated: the rule's own, or the one its shorthand compiles to.
    pub sql: String,
    /// How long an instance must keep appearing before it fires (zero: at once).
    pub for_: Duration,
    pub severity: String,
    pub receivers: Vec<String>,
    /// The columns naming an instance; `None`: the non-numeric ones (all when none is).
    pub key: Option<Vec<String>>,
    pub summary: Option<String>,
}

/// Where notifications go.
#[derive(Debug, Clone)]
pub struct Receiver {
    pub name: String,
    pub kind: ReceiverKind,
    /// Per attempt (a webhook request, a command run, a produce).
    pub timeout: Duration,
    /// Attempts after the first one, each after an exponentially longer pause.
    pub retries: u32,
    /// The first pause between attempts (doubled each time).
    pub backoff: Duration,
}

#[derive(Debug, Clone)]
pub enum ReceiverKind {
    /// POST the notification JSON; `secret` signs it (`X-Ecom-Signature`).
    Webhook {
        url: String,
        secret: Option<Secret>,
        headers: Vec<(String, String)>,
    },
    /// `sh -c COMMAND` with the notification JSON on stdin.
    Command { command: String },
    /// Produce the notification JSON to a Kafka topic.
    Topic {
        topic: String,
        brokers: Option<String>,
    },
    /// The log (tracing) and `ecom alerts check`'s output.
    Log,
}

/// A webhook's signing key, never printed.
#[derive(Clone)]
pub struct Secret(pub(super) String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    receivers: Vec<RawReceiver>,
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    settings: RawSettings,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    interval: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReceiver {
    name: Spanned<String>,
    webhook: Option<String>,
    command: Option<String>,
    topic: Option<String>,
    log: Option<bool>,
    brokers: Option<String>,
    timeout: Option<Spanned<String>>,
    retries: Option<u32>,
    backoff: Option<Spanned<String>>,
    secret: Option<String>,
    secret_env: Option<Spanned<String>>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

/// A rule as written; exactly one of `sql`, `metric`, `anomaly`, `window`, `tail` and
/// `pipeline` says what it evaluates (docs/ALERTS.md lists the shorthands).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub(super) name: Spanned<String>,
    pub(super) sql: Option<String>,
    pub(super) metric: Option<String>,
    pub(super) anomaly: Option<String>,
    pub(super) window: Option<String>,
    pub(super) tail: Option<String>,
    pub(super) pipeline: Option<String>,
    pub(super) above: Option<f64>,
    pub(super) below: Option<f64>,
    pub(super) country: Option<String>,
    pub(super) over: Option<Spanned<String>>,
    #[serde(rename = "for")]
    pub(super) for_: Option<Spanned<String>>,
    pub(super) severity: Option<String>,
    pub(super) receivers: Option<Spanned<Vec<String>>>,
    pub(super) key: Option<Vec<String>>,
    pub(super) summary: Option<String>,
}

impl AlertsFile {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| AlertsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Checks `text` as the content of `path` (which only names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let at = |span: Option<std::ops::Range<usize>>, message: String| AlertsError::File {
            path: path.display().to_string(),
            line: span.map_or(1, |s| line_of(text, s.start)),
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| at(e.span(), e.message().into()))?;
        let duration = |value: &Spanned<String>, what: &str| {
            humantime::parse_duration(value.get_ref()).map_err(|e| {
                at(
                    Some(value.span()),
                    format!("{what} = {:?}: {e}", value.get_ref()),
                )
            })
        };
        let mut receivers = Vec::new();
        let mut names = HashSet::new();
        for r in raw.receivers {
            let span = Some(r.name.span());
            let name = r.name.get_ref().clone();
            if !names.insert(name.clone()) {
                return Err(at(span, format!("a second receiver named `{name}`")));
            }
            let kind = match (r.webhook, r.command, r.topic, r.log.unwrap_or(false)) {
                (Some(url), None, None, false) => {
                    let secret = match (r.secret, r.secret_env) {
                        (Some(_), Some(env)) => {
                            return Err(at(
                                Some(env.span()),
                                "give secret or secret_env, not both".into(),
                            ));
                        }
                        (Some(s), None) => Some(Secret(s)),
                        (None, Some(env)) => {
                            Some(Secret(std::env::var(env.get_ref()).map_err(|_| {
                                at(
                                    Some(env.span()),
                                    format!("secret_env: ${} is not set", env.get_ref()),
                                )
                            })?))
                        }
                        (None, None) => None,
                    };
                    ReceiverKind::Webhook {
                        url,
                        secret,
                        headers: r.headers.into_iter().collect(),
                    }
                }
                (None, Some(command), None, false) => ReceiverKind::Command { command },
                (None, None, Some(topic), false) => ReceiverKind::Topic {
                    topic,
                    brokers: r.brokers,
                },
                (None, None, None, true) => ReceiverKind::Log,
                _ => {
                    return Err(at(
                        span,
                        format!(
                            "receiver `{name}` needs exactly one of webhook, command, topic or log = true"
                        ),
                    ));
                }
            };
            receivers.push(Receiver {
                name,
                kind,
                timeout: r
                    .timeout
                    .as_ref()
                    .map_or(Ok(Duration::from_secs(10)), |t| duration(t, "timeout"))?,
                retries: r.retries.unwrap_or(3),
                backoff: r
                    .backoff
                    .as_ref()
                    .map_or(Ok(Duration::from_millis(500)), |b| duration(b, "backoff"))?,
            });
        }
        let mut rules = Vec::new();
        let mut rule_names = HashSet::new();
        for r in raw.rules {
            let span = Some(r.name.span());
            let name = r.name.get_ref().clone();
            if name.trim().is_empty() {
                return Err(at(span, "a rule needs a name".into()));
            }
            if !rule_names.insert(name.clone()) {
                return Err(at(span, format!("a second rule named `{name}`")));
            }
            let receivers_span = r.receivers.as_ref().map_or(r.name.span(), |s| s.span());
            let rule_receivers: Vec<String> = r
                .receivers
                .as_ref()
                .map(|s| s.get_ref().clone())
                .unwrap_or_default();
            for receiver in &rule_receivers {
                if !names.contains(receiver) {
                    return Err(at(
                        Some(receivers_span.clone()),
                        format!("rule `{name}`: no receiver named `{receiver}`"),
                    ));
                }
            }
            let over = match &r.over {
                Some(o) => Some(duration(o, "over")?),
                None => None,
            };
            let compiled = shorthand::compile(&r, over)
                .map_err(|message| at(span, format!("rule `{name}`: {message}")))?;
            rules.push(Rule {
                name,
                kind: compiled.kind,
                sql: compiled.sql,
                for_: r
                    .for_
                    .as_ref()
                    .map_or(Ok(Duration::ZERO), |f| duration(f, "for"))?,
                severity: r.severity.unwrap_or_else(|| "warning".into()),
                receivers: rule_receivers,
                key: r.key.or(compiled.key),
                summary: r.summary,
            });
        }
        let interval = match &raw.settings.interval {
            Some(i) => duration(i, "interval")?,
            None => Duration::from_secs(60),
        };
        if interval.is_zero() {
            let span = raw.settings.interval.as_ref().map(|i| i.span());
            return Err(at(span, "interval must be positive".into()));
        }
        Ok(Self {
            path: path.to_path_buf(),
            receivers,
            rules,
            interval,
        })
    }

    pub fn rule(&self, name: &str) -> Result<&Rule> {
        self.rules
            .iter()
            .find(|r| r.name == name)
            .ok_or_else(|| AlertsError::UnknownRule(name.to_string()))
    }

    pub fn receiver(&self, name: &str) -> Option<&Receiver> {
        self.receivers.iter().find(|r| r.name == name)
    }
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPS: &str = "[[receivers]]\nname = \"ops\"\nwebhook = \"http://127.0.0.1:9/hook\"\n\n";

    #[test]
    fn defaults_fill_what_a_rule_and_a_receiver_leave_out() {
        let text =
            format!("{OPS}[[rules]]\nname = \"r\"\nsql = \"select 1\"\nreceivers = [\"ops\"]\n");
        let file = AlertsFile::parse(Path::new("alerts.toml"), &text).unwrap();
        assert_eq!(file.interval, Duration::from_secs(60));
        let ops = file.receiver("ops").unwrap();
        assert_eq!(
            (ops.timeout, ops.retries, ops.backoff),
            (Duration::from_secs(10), 3, Duration::from_millis(500))
        );
        let rule = file.rule("r").unwrap();
        assert_eq!(
            (rule.kind, rule.severity.as_str(), rule.for_),
            ("sql", "warning", Duration::ZERO)
        );
        assert_eq!(rule.key, None);
    }

    #[test]
    fn shorthand_mistakes_name_the_rule_and_its_line() {
        let cases = [
            (
                "metric = \"select 1\"",
                "rule `r`: give above = N or below = N",
            ),
            (
                "window = \"profit\"\nabove = 1",
                "rule `r`: window = \"profit\": watch one of revenue",
            ),
            (
                "tail = \"speed\"",
                "rule `r`: tail = \"speed\": watch \"lag\" or \"dead_letters\"",
            ),
            ("pipeline = \"slow\"", "rule `r`: pipeline = \"slow\""),
            (
                "receivers = []",
                "give exactly one of sql, metric, anomaly, window, tail or pipeline (found none)",
            ),
        ];
        for (body, says) in cases {
            let text = format!("{OPS}[[rules]]\nname = \"r\"\n{body}\n");
            let error = AlertsFile::parse(Path::new("alerts.toml"), &text)
                .unwrap_err()
                .to_string();
            assert!(error.starts_with("alerts.toml line 6: "), "{error}");
            assert!(error.contains(says), "{error}");
        }
    }

    #[test]
    fn a_zero_interval_is_refused() {
        let error = AlertsFile::parse(Path::new("a.toml"), "[settings]\ninterval = \"0s\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(error, "a.toml line 2: interval must be positive");
    }
}
