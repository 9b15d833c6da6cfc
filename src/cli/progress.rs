//! Rendering job progress for a person: an indicatif bar when stderr is a terminal,
//! plain log lines (at most every few seconds) when it is not, nothing with `-q`.
//! Progress always goes to stderr so stdout carries only the result.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::jobs::{Progress, ProgressSink, Unit};

pub enum CliProgress {
    Bar(ProgressBar),
    Lines(Mutex<Option<Instant>>),
    Silent,
}

/// How often the plain-line renderer prints.
const LINE_INTERVAL: Duration = Duration::from_secs(2);

impl CliProgress {
    pub fn new(quiet: bool) -> Self {
        if quiet {
            Self::Silent
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            Self::Bar(bar)
        } else {
            Self::Lines(Mutex::new(None))
        }
    }

    pub fn finish(&self) {
        if let Self::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

fn style_for(unit: Unit) -> ProgressStyle {
    let template = match unit {
        Unit::Bytes => {
            "{spinner} {prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}"
        }
        _ => "{spinner} {prefix} [{bar:30}] {pos}/{len} {per_sec} ETA {eta} {msg}",
    };
    ProgressStyle::with_template(template)
        .expect("progress templates are valid")
        .progress_chars("=> ")
}

impl ProgressSink for CliProgress {
    fn report(&self, p: Progress) {
        match self {
            Self::Silent => {}
            Self::Bar(bar) if p.unit == Unit::Steps => {
                // Step jobs (model runs) print one line per finished step, like dbt.
                bar.set_length(p.total.unwrap_or(0));
                bar.set_style(style_for(p.unit));
                bar.set_prefix(p.job.clone());
                bar.set_position(p.done);
                bar.println(&p.message);
            }
            Self::Lines(_) if p.unit == Unit::Steps => eprintln!("{}", p.message),
            Self::Bar(bar) => {
                if bar.length() != p.total {
                    bar.set_style(style_for(p.unit));
                    bar.set_prefix(p.job.clone());
                    if let Some(total) = p.total {
                        bar.set_length(total);
                    }
                }
                bar.set_position(p.done);
                bar.set_message(p.message);
            }
            Self::Lines(last) => {
                let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                let finished = p.total.is_some_and(|t| p.done >= t);
                if last.is_some_and(|t| t.elapsed() < LINE_INTERVAL) && !finished {
                    return;
                }
                *last = Some(Instant::now());
                eprintln!("{}", line(&p));
            }
        }
    }
}

/// `ingest: 12.3 MiB of 47.0 MiB (26%) 80/305 files, …`
fn line(p: &Progress) -> String {
    let amount = |n: u64| match p.unit {
        Unit::Bytes => HumanBytes(n).to_string(),
        _ => n.to_string(),
    };
    let mut text = format!("{}: {}", p.job, amount(p.done));
    if let Some(total) = p.total {
        text += &format!(" of {}", amount(total));
    }
    if let Some(ratio) = p.ratio() {
        text += &format!(" ({:.0}%)", ratio * 100.0);
    }
    if !p.message.is_empty() {
        text += &format!(" {}", p.message);
    }
    text
}
