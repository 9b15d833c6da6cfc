//! `ecom dashboard`: a thin layer over `crate::dashboards`.

use super::args::DashboardAction;
use super::{Outcome, Settings};

pub fn run(action: DashboardAction, _settings: &Settings) -> anyhow::Result<Outcome> {
    anyhow::bail!("ecom dashboard {action:?} is not built yet")
}
