//! Dashboards as code: a TOML file of variables and panels, each panel one SQL query
//! with the variables bound as parameters (`docs/DASHBOARDS.md`).
//!
//! - [`catalog`]: which dashboards exist (shipped, config folder, `--dashboards DIR`);
//! - [`spec`]: the file format, parsed with line numbers for every mistake;
//! - [`bindings`]: the variables' values, resolved against the warehouse;
//! - [`run`]: one panel's query, read-only; [`figure`]: its rows shaped for drawing;
//! - [`layout`]: where each panel goes on the grid.
//!
//! The workbench runs each panel as its own background request; `ecom dashboard
//! render` runs them in turn with [`evaluate`]. Both draw the same [`Figure`]s.

pub mod bindings;
pub mod catalog;
pub mod error;
pub mod figure;
pub mod layout;
pub mod render;
pub mod run;
pub mod spec;

use duckdb::Connection;
use serde::{Deserialize, Serialize};

pub use bindings::{Bindings, Bound, Selection};
pub use catalog::{DashboardFile, Origin, Places};
pub use error::DashboardError;
pub use figure::{Figure, SeriesFigure};
pub use spec::{Better, Dashboard, Panel, PanelKind, Tone, Variable, VariableKind};

/// Runs `panel` (twice for a KPI over a bounded period: now and the period before)
/// and shapes its rows.
pub fn evaluate_panel(
    conn: &Connection,
    panel: &Panel,
    bindings: &Bindings,
) -> Result<Figure, DashboardError> {
    let rows = run::run_panel(conn, panel, bindings)?;
    let previous = match (panel.kind, bindings.previous()) {
        (PanelKind::Kpi, Some(before)) => Some(run::run_panel(conn, panel, &before)?),
        _ => None,
    };
    figure::shape(panel, &rows, previous.as_ref())
}

/// The variables' values and the choices each offers (in the dashboard's order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundVariables {
    pub bindings: Bindings,
    pub choices: Vec<Vec<String>>,
}

/// Resolves the variables of `dashboard` for `selection` and lists each one's choices:
/// what the workbench shows above the panels (locally, or from `ecom serve`).
pub fn bind(
    conn: &Connection,
    dashboard: &Dashboard,
    selection: &Selection,
) -> Result<BoundVariables, DashboardError> {
    let bound = Bindings::resolve(conn, dashboard, selection)?;
    let choices = dashboard
        .variables
        .iter()
        .map(|v| bindings::choices(conn, v))
        .collect::<Result<_, _>>()?;
    Ok(BoundVariables {
        bindings: bound,
        choices,
    })
}

/// A dashboard with every panel's figure, or the panel's own error in its place.
#[derive(Debug)]
pub struct Evaluated {
    pub dashboard: Dashboard,
    pub bindings: Bindings,
    pub figures: Vec<Result<Figure, DashboardError>>,
}

impl Evaluated {
    /// Each panel with its place on the grid and its figure (or error), in order.
    pub fn placed(
        &self,
    ) -> impl Iterator<Item = (&Panel, layout::Placed, &Result<Figure, DashboardError>)> {
        let (places, _) = layout::place(&self.dashboard.panels);
        self.dashboard
            .panels
            .iter()
            .zip(places)
            .zip(&self.figures)
            .map(|((panel, place), figure)| (panel, place, figure))
    }
}

/// Resolves the variables and runs every panel in turn; a failing panel keeps its
/// error and the others still run.
pub fn evaluate(
    conn: &Connection,
    dashboard: Dashboard,
    selection: &Selection,
) -> Result<Evaluated, DashboardError> {
    let bindings = Bindings::resolve(conn, &dashboard, selection)?;
    let figures = dashboard
        .panels
        .iter()
        .map(|panel| evaluate_panel(conn, panel, &bindings))
        .collect();
    Ok(Evaluated {
        dashboard,
        bindings,
        figures,
    })
}
