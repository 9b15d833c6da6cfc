//! `ecom alerts …`: the alert rules' commands.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AlertsAction {
    /// The rules with their state, last evaluation and silences.
    Ls,
    /// Evaluate every rule once and notify; exit 3 when anything fires.
    Check,
    /// Silence a rule's notifications for a while.
    Silence {
        /// The rule's name.
        rule: String,
    },
    /// Evaluate one rule and send a test notification to its receivers.
    Test {
        /// The rule's name.
        rule: String,
    },
}
