//! `ecom alerts`: a thin layer over `crate::alerts`.

use chrono::Utc;

use super::args::AlertsAction;
use super::output::write_table;
use super::{Outcome, Settings};
use crate::alerts::{AlertsFile, EvaluateOptions, Evaluation};

pub fn run(action: AlertsAction, settings: &Settings) -> anyhow::Result<Outcome> {
    let Some(file) = load_if_present(settings)? else {
        eprintln!(
            "no alerts file at {} (write one, or name it with --alerts FILE; docs/ALERTS.md)",
            settings.alerts_file.display()
        );
        if settings.json {
            println!("{}", serde_json::json!({"file": null, "rules": []}));
        }
        return Ok(Outcome::SUCCESS);
    };
    let warehouse = settings.open_warehouse()?;
    let conn = warehouse.conn();
    match action {
        AlertsAction::Ls => ls(conn, &file, settings.json),
        AlertsAction::Check => {
            let evaluation = crate::alerts::evaluate(conn, &file, Utc::now(), &options(settings))?;
            check_outcome(&evaluation, settings.json)
        }
        AlertsAction::Silence {
            rule,
            duration,
            clear,
        } => {
            file.rule(&rule)?;
            if clear {
                crate::alerts::unsilence(conn, &rule)?;
                eprintln!("rule `{rule}` is no longer silenced");
            } else {
                let length = humantime::parse_duration(&duration)
                    .map_err(|e| anyhow::anyhow!("--for {duration}: {e}"))?;
                let until = Utc::now() + chrono::Duration::from_std(length)?;
                crate::alerts::silence(conn, &rule, until)?;
                eprintln!(
                    "rule `{rule}` silenced until {}",
                    until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
            }
            Ok(Outcome::SUCCESS)
        }
        AlertsAction::Test { rule } => test(conn, &file, &rule, settings),
        AlertsAction::History { rule, limit } => {
            let entries = crate::alerts::history(conn, rule.as_deref(), limit)?;
            if settings.json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
                return Ok(Outcome::SUCCESS);
            }
            let rows: Vec<Vec<String>> = entries
                .iter()
                .map(|e| {
                    vec![
                        e.at.clone(),
                        e.rule.clone(),
                        format!("{} → {}", e.from, e.to),
                        labels_text(&e.labels),
                    ]
                })
                .collect();
            write_table(
                &mut std::io::stdout().lock(),
                &["at", "rule", "transition", "labels"],
                &[false; 4],
                &rows,
            )?;
            Ok(Outcome::SUCCESS)
        }
    }
}

/// The alerts file when there is one: a missing default file means no alerts; a file
/// named by `--alerts` must exist.
pub(super) fn load_if_present(settings: &Settings) -> anyhow::Result<Option<AlertsFile>> {
    if !settings.alerts_explicit && !settings.alerts_file.exists() {
        return Ok(None);
    }
    Ok(Some(AlertsFile::load(&settings.alerts_file)?))
}

/// Topic receivers without brokers use the config's stream brokers.
pub(super) fn options(settings: &Settings) -> EvaluateOptions {
    EvaluateOptions {
        default_brokers: Some(settings.config.tui.stream.brokers.clone()),
    }
}

/// Evaluates once after a pipeline run and says what happened on stderr.
pub(super) fn evaluate_and_tell(
    conn: &duckdb::Connection,
    file: &AlertsFile,
    settings: &Settings,
) -> anyhow::Result<()> {
    let evaluation = crate::alerts::evaluate(conn, file, Utc::now(), &options(settings))?;
    tell(&evaluation, &mut std::io::stderr().lock())?;
    Ok(())
}

fn ls(conn: &duckdb::Connection, file: &AlertsFile, json: bool) -> anyhow::Result<Outcome> {
    let rules = crate::alerts::overview(conn, file, Utc::now())?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "file": file.path.display().to_string(),
                "interval_ms": file.interval.as_millis(),
                "rules": rules,
            }))?
        );
        return Ok(Outcome::SUCCESS);
    }
    let rows: Vec<Vec<String>> = rules
        .iter()
        .map(|r| {
            let state = match (r.firing, r.pending) {
                (0, 0) => "ok".to_string(),
                (f, 0) => format!("{f} firing"),
                (0, p) => format!("{p} pending"),
                (f, p) => format!("{f} firing, {p} pending"),
            };
            let delivery = match (&r.last_failure, r.undelivered) {
                (Some(e), n) => format!("{n} undelivered; {e}"),
                (None, 0) => String::new(),
                (None, n) => format!("{n} undelivered"),
            };
            vec![
                r.name.clone(),
                r.kind.clone(),
                r.severity.clone(),
                state,
                r.last_evaluated.clone().unwrap_or_else(|| "never".into()),
                r.last_error.clone().unwrap_or_default(),
                r.silenced_until.as_ref().map_or(String::new(), |u| {
                    format!("silenced until {u}: sends nothing")
                }),
                delivery,
            ]
        })
        .collect();
    write_table(
        &mut std::io::stdout().lock(),
        &[
            "rule",
            "kind",
            "severity",
            "state",
            "last evaluated",
            "error",
            "silence",
            "delivery",
        ],
        &[false; 8],
        &rows,
    )?;
    Ok(Outcome::SUCCESS)
}

/// Prints the evaluation, then decides the exit: 3 when an unsilenced instance fires,
/// else 1 when a rule failed or a notification was not delivered, else 0.
fn check_outcome(evaluation: &Evaluation, json: bool) -> anyhow::Result<Outcome> {
    if json {
        println!("{}", serde_json::to_string_pretty(evaluation)?);
    } else {
        tell(evaluation, &mut std::io::stdout().lock())?;
    }
    let mut problems = Vec::new();
    for rule in evaluation.rules.iter().filter(|r| r.error.is_some()) {
        let error = rule.error.as_deref().unwrap_or_default();
        eprintln!("rule `{}` failed: {error}", rule.rule);
        problems.push(format!("rule `{}` failed", rule.rule));
    }
    for d in evaluation.failed_deliveries() {
        eprintln!(
            "notification {} ({} {} → {}) not delivered after {} attempts{}: {}",
            d.id,
            d.rule,
            d.status,
            d.receiver,
            d.attempts,
            if d.gave_up {
                ", given up"
            } else {
                ", retried at the next evaluation"
            },
            d.error.as_deref().unwrap_or_default()
        );
        problems.push(format!(
            "a notification to `{}` was not delivered",
            d.receiver
        ));
    }
    if evaluation.firing() {
        let firing: usize = evaluation
            .rules
            .iter()
            .filter(|r| r.silenced_until.is_none())
            .map(|r| r.firing.len())
            .sum();
        return Ok(Outcome::DataChecksFailed {
            sentence: format!("{firing} alert instances firing"),
        });
    }
    Ok(match problems.first() {
        Some(first) if problems.len() == 1 => Outcome::failed(first.clone()),
        Some(first) => Outcome::failed(format!(
            "{first} (and {} more problems)",
            problems.len() - 1
        )),
        None => Outcome::SUCCESS,
    })
}

/// What fired, resolved and was sent, one line each.
fn tell(evaluation: &Evaluation, out: &mut impl std::io::Write) -> std::io::Result<()> {
    for r in &evaluation.rules {
        let silenced = r.silenced_until.as_ref().map_or(String::new(), |u| {
            format!(" (silenced until {u}: nothing sent)")
        });
        writeln!(
            out,
            "{}: {} firing ({} new), {} pending, {} resolved{silenced}",
            r.rule,
            r.firing.len(),
            r.newly_firing.len(),
            r.pending.len(),
            r.resolved.len()
        )?;
        for i in &r.newly_firing {
            writeln!(out, "  firing   {}", labels_text(&i.labels))?;
        }
        for i in &r.resolved {
            writeln!(out, "  resolved {}", labels_text(&i.labels))?;
        }
    }
    for d in &evaluation.deliveries {
        let how = if d.delivered {
            "notified"
        } else {
            "NOT delivered to"
        };
        writeln!(
            out,
            "{how} {} ({} {}, id {})",
            d.receiver, d.rule, d.status, d.id
        )?;
        if d.to_log && d.delivered {
            writeln!(out, "  {}", d.payload)?;
        }
    }
    Ok(())
}

fn test(
    conn: &duckdb::Connection,
    file: &AlertsFile,
    rule: &str,
    settings: &Settings,
) -> anyhow::Result<Outcome> {
    let result = crate::alerts::test_rule(conn, file, rule, Utc::now(), &options(settings))?;
    if settings.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!("{}: {} instances", result.rule, result.instances.len());
        for i in &result.instances {
            println!("  {}", labels_text(&i.labels));
        }
        for d in &result.deliveries {
            match &d.error {
                None => println!("test notification sent to {} (id {})", d.receiver, d.id),
                Some(e) => eprintln!("test notification to {} failed: {e}", d.receiver),
            }
        }
    }
    Ok(match result.deliveries.iter().find(|d| !d.delivered) {
        Some(d) => Outcome::failed(format!("the test notification to `{}` failed", d.receiver)),
        None => Outcome::SUCCESS,
    })
}

fn labels_text(labels: &crate::alerts::Labels) -> String {
    labels
        .0
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}
