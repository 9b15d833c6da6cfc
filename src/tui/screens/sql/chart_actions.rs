//! What the chart keys do to the SQL screen: open the chart of the result in front,
//! change what it shows (each change is a new cancellable request to the worker), take
//! the worker's answer, save it, and Esc (cancel the computation, else close).

use super::SqlScreen;
use crate::tui::chart::{ChartChange, ChartView};
use crate::tui::effect::Effect;
use crate::tui::failure::Reported;
use crate::tui::status::Status;
use crate::warehouse::chart_data::ChartData;

impl SqlScreen {
    pub(super) fn open_chart(&mut self, status: &mut Status) -> Vec<Effect> {
        let Some(result) = self.grid.result.clone() else {
            status.error("no result to chart: run a query first");
            return vec![];
        };
        let id = self.take_query_id();
        match ChartView::open(&result, id) {
            Some(view) => {
                self.chart = Some(view);
                self.chart_request(status)
            }
            None => {
                status.error("nothing to chart: the result has no columns");
                vec![]
            }
        }
    }

    pub(super) fn change_chart(&mut self, change: ChartChange, status: &mut Status) -> Vec<Effect> {
        let Some(view) = self.chart.as_mut() else {
            return vec![];
        };
        let running = view.loading().then_some(view.request);
        if !view.change(change) {
            status.info("no other column fits this chart");
            return vec![];
        }
        let id = self.take_query_id();
        let mut effects: Vec<Effect> = running.map(Effect::InterruptQuery).into_iter().collect();
        if let Some(view) = self.chart.as_mut() {
            view.request = id;
            view.data = None;
        }
        effects.extend(self.chart_request(status));
        effects
    }

    fn chart_request(&mut self, status: &mut Status) -> Vec<Effect> {
        let Some(view) = &self.chart else {
            return vec![];
        };
        status.info("computing the chart… (Esc cancels)");
        vec![Effect::ComputeChart {
            id: view.request,
            query_id: view.result.query_id,
            spec: view.spec.clone(),
        }]
    }

    pub(super) fn chart_loaded(&mut self, id: u64, data: Reported<ChartData>, status: &mut Status) {
        let Some(view) = self.chart.as_mut().filter(|v| v.request == id) else {
            return;
        };
        match &data {
            Ok(data) => status.info(format!(
                "{} chart: {}  (c kind, x/y columns, a series, s saves)",
                data.kind.name(),
                data.title
            )),
            Err(e) => status.error(format!("chart: {e}")),
        }
        view.receive(id, data);
    }

    pub(super) fn save_chart(&self, status: &mut Status) -> Vec<Effect> {
        match self.chart.as_ref().and_then(|v| v.data.as_ref()) {
            Some(Ok(data)) => {
                status.info("saving the chart…");
                vec![Effect::SaveChart {
                    data: Box::new(data.clone()),
                    stem: format!(
                        "ecom-chart-{}",
                        chrono::Local::now().format("%Y%m%d-%H%M%S")
                    ),
                }]
            }
            _ => {
                status.error("the chart is not ready yet");
                vec![]
            }
        }
    }

    /// Esc on the chart: cancels its computation if it runs, else closes it.
    pub(super) fn chart_escape(&mut self, status: &mut Status) -> Vec<Effect> {
        match self.chart.as_mut() {
            Some(view) if view.loading() => {
                status.info("cancelling the chart…");
                vec![Effect::InterruptQuery(view.request)]
            }
            _ => {
                self.chart = None;
                vec![]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::tui::action::Action;
    use crate::tui::chart::ChartChange;
    use crate::tui::effect::Effect;
    use crate::tui::grid::GridResult;
    use crate::tui::screens::sql::SqlScreen;
    use crate::tui::status::Status;
    use crate::warehouse::chart_data::{ChartData, ChartKind, ChartSpec};
    use crate::warehouse::pager::ResultColumn;

    fn data() -> ChartData {
        ChartData {
            kind: ChartKind::Bar,
            title: "sum of revenue by country".into(),
            x_label: "country".into(),
            x_time: false,
            labels: vec!["EIRE".into()],
            series: vec![],
        }
    }

    #[test]
    fn a_chart_is_computed_cancelled_by_esc_saved_and_closed() {
        let (mut sql, mut status) = (SqlScreen::new(100), Status::default());
        assert!(sql.update(Action::OpenChart, &mut status).is_empty());
        let columns = vec![
            ResultColumn {
                name: "country".into(),
                data_type: "VARCHAR".into(),
                numeric: false,
            },
            ResultColumn {
                name: "revenue".into(),
                data_type: "DOUBLE".into(),
                numeric: true,
            },
        ];
        sql.grid.set_result(GridResult {
            query_id: 1,
            columns,
            total_rows: 38,
            elapsed_ms: 1,
        });
        let bar = ChartSpec {
            kind: ChartKind::Bar,
            x: 0,
            ys: vec![1],
        };
        assert_eq!(
            sql.update(Action::OpenChart, &mut status),
            vec![Effect::ComputeChart {
                id: 1,
                query_id: 1,
                spec: bar
            }]
        );
        // Another kind while the first still computes: the first is cancelled.
        let effects = sql.update(Action::ChangeChart(ChartChange::Kind), &mut status);
        assert_eq!(effects[0], Effect::InterruptQuery(1));
        assert!(matches!(effects[1], Effect::ComputeChart { id: 2, .. }));
        assert_eq!(
            sql.update(Action::Escape, &mut status),
            vec![Effect::InterruptQuery(2)]
        );
        assert!(sql.update(Action::SaveChart, &mut status).is_empty());
        sql.update(Action::ChartLoaded(2, Box::new(Ok(data()))), &mut status);
        let saved = sql.update(Action::SaveChart, &mut status);
        assert!(
            matches!(&saved[0], Effect::SaveChart { stem, .. } if stem.starts_with("ecom-chart-"))
        );
        assert!(sql.update(Action::Escape, &mut status).is_empty());
        assert!(sql.chart.is_none(), "Esc closes a computed chart");
        // Running the SQL again (F5 works over the chart) closes the chart of the
        // result it replaces.
        sql.update(Action::OpenChart, &mut status);
        assert!(sql.chart.is_some());
        sql.editor.set_text("SELECT 1");
        let effects = sql.update(Action::RunQuery, &mut status);
        assert!(effects.iter().any(|e| matches!(e, Effect::RunQuery { .. })));
        assert!(
            sql.chart.is_none(),
            "no chart of a result that is going away"
        );
    }
}
