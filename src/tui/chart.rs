//! The chart of the result in front: what is charted (a [`ChartSpec`] over the grid's
//! result), the worker's request computing it and its data once it came. Every change
//! of kind or column asks the worker again; only the answer to the latest request is
//! kept, and Esc cancels a request still running (like a query: it shares the worker's
//! query ids and cancellation).

use crate::tui::failure::Reported;
use crate::tui::grid::GridResult;
use crate::warehouse::chart_data::{ChartData, ChartSpec};

/// Size of a saved chart, in pixels.
pub const SAVED_SIZE: (u32, u32) = (1200, 800);

#[derive(Debug, Clone, PartialEq)]
pub struct ChartView {
    /// The result charted (its columns and size as the grid knows them).
    pub result: GridResult,
    pub spec: ChartSpec,
    /// The request whose answer the view waits for (or last received).
    pub request: u64,
    /// `None` while the worker computes it.
    pub data: Option<Reported<ChartData>>,
}

/// A change of what the chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartChange {
    Kind,
    X,
    Y,
    AddY,
}

impl ChartView {
    /// The chart the result's column types suggest, waiting for request `request`;
    /// `None` when no column can be charted.
    pub fn open(result: &GridResult, request: u64) -> Option<Self> {
        Some(Self {
            spec: ChartSpec::choose(&result.columns)?,
            result: result.clone(),
            request,
            data: None,
        })
    }

    /// Applies `change`; true when the spec changed and must be computed again.
    pub fn change(&mut self, change: ChartChange) -> bool {
        let columns = &self.result.columns;
        let next = match change {
            ChartChange::Kind => self.spec.next_kind(columns),
            ChartChange::X => self.spec.next_x(columns),
            ChartChange::Y => self.spec.next_y(columns),
            ChartChange::AddY => self.spec.add_y(columns),
        };
        let changed = next != self.spec;
        self.spec = next;
        changed
    }

    /// The worker's answer to request `id` (older requests' answers are dropped).
    pub fn receive(&mut self, id: u64, data: Reported<ChartData>) {
        if id == self.request {
            self.data = Some(data);
        }
    }

    pub fn loading(&self) -> bool {
        self.data.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warehouse::chart_data::ChartKind;
    use crate::warehouse::pager::ResultColumn;

    fn result() -> GridResult {
        let column = |name: &str, data_type: &str, numeric| ResultColumn {
            name: name.into(),
            data_type: data_type.into(),
            numeric,
        };
        GridResult {
            query_id: 3,
            columns: vec![
                column("country", "VARCHAR", false),
                column("lines", "BIGINT", true),
                column("revenue", "DOUBLE", true),
            ],
            total_rows: 38,
            elapsed_ms: 1,
        }
    }

    #[test]
    fn changes_ask_again_and_only_the_latest_answer_is_kept() {
        let mut view = ChartView::open(&result(), 7).unwrap();
        assert_eq!(view.spec.kind, ChartKind::Bar);
        assert!(view.loading());
        assert!(view.change(ChartChange::Kind));
        assert_eq!(view.spec.kind, ChartKind::Scatter);
        view.request = 8;
        view.receive(7, Err("stale".into()));
        assert!(view.loading(), "an older request's answer is dropped");
        view.receive(8, Err("query cancelled".into()));
        assert_eq!(view.data, Some(Err("query cancelled".into())));
        assert!(
            !view.change(ChartChange::AddY),
            "a scatter of two numbers has no third"
        );
        let no_columns = GridResult {
            columns: vec![],
            ..result()
        };
        assert!(ChartView::open(&no_columns, 9).is_none());
    }
}
