//! `ecom alerts …`: the alert rules' commands.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AlertsAction {
    /// The rules with their state, last evaluation, silences and delivery failures.
    Ls,
    /// Evaluate every rule once and notify; exit 3 when anything fires.
    Check,
    /// Silence a rule's notifications for a while (its state is still kept).
    Silence {
        /// The rule's name.
        rule: String,
        /// How long (e.g. 30m, 2h, 1day).
        #[arg(long = "for", value_name = "DURATION", default_value = "1h")]
        duration: String,
        /// End the rule's silence now instead.
        #[arg(long, conflicts_with = "duration")]
        clear: bool,
    },
    /// Evaluate one rule now (no state read or written) and send a test notification
    /// to its receivers.
    Test {
        /// The rule's name.
        rule: String,
    },
    /// The latest state transitions, newest first.
    History {
        /// Only this rule's.
        rule: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50, value_name = "N")]
        limit: usize,
    },
}
