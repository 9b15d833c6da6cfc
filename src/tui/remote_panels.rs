//! A remote workbench's dashboard: the server binds the variables and runs each panel
//! of the file this workbench sends it (`POST /api/v1/dashboards/bind|panel`), under
//! the query route's guard; the figures come back to be drawn here.

use serde::{Deserialize, Serialize};

use super::action::Action;
use super::failure::Failure;
use super::panels::{BoundVariables, DashboardJob};
use crate::dashboards::{Bindings, Figure};
use crate::remote::Blocking;

#[derive(Serialize)]
struct BindRequest<'a> {
    dashboard: &'a str,
    selection: &'a [(String, String)],
}

#[derive(Deserialize)]
struct BindAnswer {
    bindings: Bindings,
    choices: Vec<Vec<String>>,
}

#[derive(Serialize)]
struct PanelRequest<'a> {
    dashboard: &'a str,
    index: usize,
    bindings: &'a Bindings,
}

#[derive(Deserialize)]
struct PanelAnswer {
    figure: Figure,
}

/// Does `job` in the server and says what came of it.
pub fn answer(remote: &Blocking, job: DashboardJob) -> Action {
    let client = &remote.client;
    match job {
        DashboardJob::Bind {
            generation,
            source,
            selection,
            ..
        } => {
            let request = BindRequest {
                dashboard: &source,
                selection: &selection.0,
            };
            let bound = remote
                .block_on(client.post::<_, BindAnswer>("api/v1/dashboards/bind", &request))
                .map(|answer| BoundVariables {
                    bindings: answer.bindings,
                    choices: answer.choices,
                })
                .map_err(Failure::of);
            Action::DashboardBound {
                generation,
                bound: Box::new(bound),
            }
        }
        DashboardJob::Panel {
            generation,
            source,
            index,
            bindings,
            ..
        } => {
            let request = PanelRequest {
                dashboard: &source,
                index,
                bindings: &bindings,
            };
            let figure = remote
                .block_on(client.post::<_, PanelAnswer>("api/v1/dashboards/panel", &request))
                .map(|answer| answer.figure)
                .map_err(Failure::of);
            Action::PanelLoaded {
                generation,
                index,
                figure: Box::new(figure),
            }
        }
        // The server's query route takes one SELECT: the tab gets the panel's SQL with
        // the values written in.
        DashboardJob::TabSql { panel, bindings } => {
            Action::OpenPanelQuery(crate::dashboards::run::inline_sql(&panel, &bindings))
        }
    }
}
