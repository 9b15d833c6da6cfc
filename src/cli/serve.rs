//! `ecom serve [--addr ADDR] [--pipeline ARGS] [--tail ARGS]` and `ecom serve token …`.

use clap::Parser;

use super::args::{PipelineLine, ServeAction, ServeArgs, TailLine, TokenAction};
use super::output::write_table;
use super::{Outcome, Settings};
use crate::serve::sandbox::Sandbox;
use crate::serve::tokens;
use crate::serve::{BackgroundJob, ServeOptions};

pub fn run(args: ServeArgs, settings: &Settings) -> anyhow::Result<Outcome> {
    if let Some(ServeAction::Token { action }) = args.action {
        return token(action, settings);
    }
    let duration = |flag: &str, value: &str| {
        humantime::parse_duration(value).map_err(|e| anyhow::anyhow!("{flag} {value}: {e}"))
    };
    let mut allowed_dirs = args.allow_dir.clone();
    if args.pipeline.is_some() {
        allowed_dirs.extend(crate::pipeline::duckdb_folders(
            &settings.config,
            &settings.db_path,
        )?);
    }
    let query_timeout = duration("--query-timeout", &args.query_timeout)?;
    let queue_timeout = duration("--queue-timeout", &args.queue_timeout)?;
    let options = ServeOptions {
        addr: args.addr,
        metrics_token: args.metrics_token.clone().filter(|t| !t.is_empty()),
        query_timeout,
        query_memory: args.query_memory.max(1 << 20),
        max_rows: args.max_rows.max(1),
        max_queries: args.max_queries.max(1),
        queue_timeout,
        max_answer_bytes: args.max_answer_bytes.max(1024),
        header_timeout: duration("--header-timeout", &args.header_timeout)?,
        // A query may wait its turn and then run its full time: the request deadline
        // never cuts that short (a 408 would hide the 503 that says why).
        request_timeout: duration("--request-timeout", &args.request_timeout)?
            .max(query_timeout + queue_timeout + std::time::Duration::from_secs(1)),
        max_connections: args.max_connections.max(1),
        max_body: args.max_body,
        // `warehouse.memory_limit` is set as the warehouse opens; the flag overrides it.
        sandbox: Sandbox {
            allowed_dirs,
            memory_limit: args.memory_limit.clone(),
        },
        ..ServeOptions::default()
    };
    let mut jobs = Vec::new();
    if let Some(line) = &args.pipeline {
        jobs.push(pipeline_job(line, settings)?);
    }
    if let Some(line) = &args.tail {
        jobs.push(tail_job(line)?);
    }
    if let Some(file) = super::alerts::load_if_present(settings)? {
        jobs.push(alerts_job(file, settings));
    }
    let warehouse = settings.open_warehouse()?;
    if tokens::active(warehouse.conn())?.is_empty() {
        eprintln!(
            "no API token yet: every /api/ route answers 401 until one exists \
             (stop and run `ecom serve token create --name NAME --scope read`)"
        );
    }
    crate::serve::run(warehouse, options, jobs, |addr| {
        eprintln!(
            "serving {} on http://{addr} (GET /openapi.json lists the routes; Ctrl+C or SIGTERM stops)",
            settings.db_path.display()
        );
    })?;
    eprintln!("stopped");
    Ok(Outcome::SUCCESS)
}

/// `--pipeline ARGS`: the scheduler of `ecom pipeline run ARGS`, in this process.
fn pipeline_job(line: &str, settings: &Settings) -> anyhow::Result<BackgroundJob> {
    let parsed = PipelineLine::try_parse_from(split_words(line)?)
        .map_err(|e| anyhow::anyhow!("--pipeline '{line}': {}", e.render()))?;
    // Checked now, so a bad schedule fails the start rather than the job.
    crate::pipeline::Schedule::parse(
        parsed.args.every.as_deref(),
        parsed.args.cron.as_deref(),
        parsed.args.max_runs,
    )?;
    let settings = settings.clone();
    Ok(BackgroundJob {
        kind: crate::jobs::JobKind::Pipeline,
        name: "pipeline".into(),
        work: Box::new(move |conn, progress, cancel| {
            let mut runs = 0;
            super::pipeline::run_pipeline(
                &parsed.args,
                &settings,
                conn,
                progress,
                cancel,
                |run| {
                    runs += 1;
                    tracing::info!(
                        run_id = run.run_id,
                        status = run.status,
                        "pipeline run finished"
                    );
                    Ok(())
                },
            )?;
            Ok(crate::jobs::Outcome::succeeded(format!(
                "{runs} pipeline runs"
            )))
        }),
    })
}

/// `--tail ARGS`: `ecom tail ARGS`, in this process.
fn tail_job(line: &str) -> anyhow::Result<BackgroundJob> {
    let parsed = TailLine::try_parse_from(split_words(line)?)
        .map_err(|e| anyhow::anyhow!("--tail '{line}': {}", e.render()))?;
    let options = super::stream::tail_options(&parsed.args)?;
    Ok(BackgroundJob {
        kind: crate::jobs::JobKind::Tail,
        name: "tail".into(),
        work: Box::new(move |conn, progress, cancel| {
            crate::stream::tail::tail_job(conn, &options, progress, cancel)
        }),
    })
}

/// The alert rules, evaluated every `[settings] interval` on the job's own connection.
fn alerts_job(file: crate::alerts::AlertsFile, settings: &Settings) -> BackgroundJob {
    let options = super::alerts::options(settings);
    BackgroundJob {
        kind: crate::jobs::JobKind::Alerts,
        name: "alerts".into(),
        work: Box::new(move |conn, _progress, cancel| {
            let runs = crate::alerts::run_every(conn, &file, &options, cancel);
            Ok(crate::jobs::Outcome::succeeded(format!(
                "{runs} alert evaluations"
            )))
        }),
    }
}

/// Splits flags given as one string, keeping quoted parts ('…' or "…") together.
fn split_words(line: &str) -> anyhow::Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        anyhow::bail!("unclosed quote in `{line}`");
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

fn token(action: TokenAction, settings: &Settings) -> anyhow::Result<Outcome> {
    let warehouse = settings.open_warehouse()?;
    let conn = warehouse.conn();
    match action {
        TokenAction::Create { name, scope } => {
            let token = tokens::create(conn, &name, scope)?;
            println!("{token}");
            eprintln!(
                "token `{name}` ({scope}) created: it is shown this once, keep it somewhere safe"
            );
        }
        TokenAction::Ls => {
            let list = tokens::list(conn)?;
            if settings.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                let rows: Vec<Vec<String>> = list
                    .into_iter()
                    .map(|t| {
                        vec![
                            t.name,
                            t.scope.to_string(),
                            t.created_at,
                            t.revoked_at.unwrap_or_else(|| "active".into()),
                        ]
                    })
                    .collect();
                write_table(
                    &mut std::io::stdout().lock(),
                    &["name", "scope", "created", "revoked"],
                    &[false, false, false, false],
                    &rows,
                )?;
            }
        }
        TokenAction::Revoke { name } => {
            tokens::revoke(conn, &name)?;
            eprintln!("token `{name}` revoked");
        }
    }
    Ok(Outcome::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::split_words;

    #[test]
    fn words_split_on_spaces_and_keep_quotes() {
        assert_eq!(
            split_words(r#"--cron '0 3 * * *' --ingest "a b/c""#).unwrap(),
            vec!["--cron", "0 3 * * *", "--ingest", "a b/c"]
        );
        assert!(split_words("--x 'open").is_err());
        assert!(split_words("  ").unwrap().is_empty());
    }
}
