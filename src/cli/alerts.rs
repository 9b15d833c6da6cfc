//! `ecom alerts`: a thin layer over `crate::alerts`.

use super::args::AlertsAction;
use super::{Outcome, Settings};

pub fn run(action: AlertsAction, _settings: &Settings) -> anyhow::Result<Outcome> {
    anyhow::bail!("ecom alerts {action:?} is not built yet")
}
