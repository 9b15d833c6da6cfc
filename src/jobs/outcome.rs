//! How a job ended, decided in one place for every front end: the CLI's exit code, the
//! workbench's Jobs screen, `serve`'s `/metrics` and the pipeline's records all read an
//! [`Outcome`], and a run of many items (a model build's nodes) is judged by [`judge`].

use serde::Serialize;

/// The error type a job's work returns: any library error converts into it with `?`.
pub type JobError = Box<dyn std::error::Error + Send + Sync>;

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The work is done; `summary` says what it did.
    Succeeded { summary: String },
    /// The work could not be done; `sentence` says why.
    Failed { sentence: String },
    /// The work ran but data checks failed (model tests, quarantine over the limit).
    DataChecksFailed { sentence: String },
    /// Stopped because someone asked; `summary` says how far it got.
    Cancelled { summary: String },
}

/// Exit codes of the command surface (MISSION.md): 0 success, 1 error (a cancelled
/// command too: it did not do what was asked), 2 usage, 3 data checks failed.
pub mod exit {
    pub const SUCCESS: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const DATA_CHECKS_FAILED: u8 = 3;
}

impl Outcome {
    /// Succeeded with nothing to add (a command that printed its own summary).
    pub const SUCCESS: Outcome = Outcome::Succeeded {
        summary: String::new(),
    };

    pub fn succeeded(summary: impl Into<String>) -> Self {
        Outcome::Succeeded {
            summary: summary.into(),
        }
    }

    pub fn failed(sentence: impl Into<String>) -> Self {
        Outcome::Failed {
            sentence: sentence.into(),
        }
    }

    /// [`Outcome::Failed`] with the error and its causes as one sentence.
    pub fn from_error(error: &(dyn std::error::Error + '_)) -> Self {
        Outcome::failed(sentence(error))
    }

    /// The process exit code this outcome ends a command with.
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Succeeded { .. } => exit::SUCCESS,
            Outcome::Failed { .. } | Outcome::Cancelled { .. } => exit::ERROR,
            Outcome::DataChecksFailed { .. } => exit::DATA_CHECKS_FAILED,
        }
    }

    /// One word for lists and metrics: succeeded, failed, data checks failed, cancelled.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Succeeded { .. } => "succeeded",
            Outcome::Failed { .. } => "failed",
            Outcome::DataChecksFailed { .. } => "data checks failed",
            Outcome::Cancelled { .. } => "cancelled",
        }
    }

    /// The summary or the sentence.
    pub fn text(&self) -> &str {
        match self {
            Outcome::Succeeded { summary } | Outcome::Cancelled { summary } => summary,
            Outcome::Failed { sentence } | Outcome::DataChecksFailed { sentence } => sentence,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.label(), self.text())
    }
}

/// What a run of many items (nodes, files, partitions) came to, for [`judge`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub total: usize,
    /// Items that could not be done.
    pub errors: usize,
    /// Items whose data checks failed.
    pub check_failures: usize,
    /// Items not reached.
    pub skipped: usize,
    pub cancelled: bool,
}

/// The one policy for a run of many items: cancelled wins (it says how far the run
/// got), then errors, then failed data checks; otherwise it succeeded. `items` names what
/// was counted ("nodes"), `summary` is the success line.
pub fn judge(items: &str, tally: Tally, summary: impl Into<String>) -> Outcome {
    let Tally {
        total,
        errors,
        check_failures,
        skipped,
        cancelled,
    } = tally;
    if cancelled {
        return Outcome::Cancelled {
            summary: format!("cancelled after {} of {total} {items}", total - skipped),
        };
    }
    if errors > 0 {
        return Outcome::failed(format!("{errors} of {total} {items} failed"));
    }
    if check_failures > 0 {
        return Outcome::DataChecksFailed {
            sentence: format!("{check_failures} of {total} {items} failed their data checks"),
        };
    }
    Outcome::succeeded(summary)
}

/// An error and its causes as one sentence, without the repeats that wrapped library
/// errors bring (DuckDB's message appears in its error and again in its source).
pub fn sentence(error: &(dyn std::error::Error + '_)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = cause {
        let text = e.to_string();
        let noise =
            text.starts_with("Error code ") || parts.iter().any(|p| p.contains(text.trim()));
        if !noise {
            parts.push(text.trim().to_string());
        }
        cause = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_policy_for_runs_of_many_items() {
        let tally = Tally {
            total: 10,
            ..Tally::default()
        };
        assert_eq!(
            judge("nodes", tally, "10 nodes"),
            Outcome::succeeded("10 nodes")
        );
        let failed = judge(
            "nodes",
            Tally {
                errors: 2,
                check_failures: 1,
                ..tally
            },
            "",
        );
        assert_eq!(failed, Outcome::failed("2 of 10 nodes failed"));
        assert_eq!(failed.exit_code(), exit::ERROR);
        let checks = judge(
            "nodes",
            Tally {
                check_failures: 1,
                ..tally
            },
            "",
        );
        assert_eq!(checks.exit_code(), exit::DATA_CHECKS_FAILED);
        assert_eq!(checks.text(), "1 of 10 nodes failed their data checks");
        let cancelled = judge(
            "nodes",
            Tally {
                errors: 1,
                skipped: 4,
                cancelled: true,
                ..tally
            },
            "",
        );
        assert_eq!(cancelled.text(), "cancelled after 6 of 10 nodes");
        assert_eq!(cancelled.exit_code(), exit::ERROR);
    }

    #[test]
    fn a_sentence_names_each_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("seed orders failed")]
        struct Outer(#[source] std::io::Error);
        let error = Outer(std::io::Error::other("disk full"));
        assert_eq!(sentence(&error), "seed orders failed: disk full");
        assert_eq!(Outcome::from_error(&error).label(), "failed");
    }
}
