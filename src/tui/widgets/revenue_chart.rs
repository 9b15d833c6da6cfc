//! Net revenue by day as a line chart, on the ML screen (which marks the anomalous days
//! on it).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::widgets::{Axis, Chart, Dataset, GraphType};

use super::pane::pane_block;
use crate::export::charts::money;
use crate::tui::theme;

/// Net revenue by day as a line, with `flagged` days (anomalies) as red points on it.
pub fn draw_revenue_chart(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    series: &[(chrono::NaiveDate, f64)],
    flagged: &[(chrono::NaiveDate, f64)],
) {
    let Some(first) = series.first().map(|d| d.0) else {
        frame.render_widget(pane_block(title, false), area);
        return;
    };
    let x = |day: chrono::NaiveDate| (day - first).num_days() as f64;
    let points: Vec<(f64, f64)> = series.iter().map(|(day, v)| (x(*day), *v)).collect();
    let marks: Vec<(f64, f64)> = flagged.iter().map(|(day, v)| (x(*day), *v)).collect();
    let days = points.last().map(|p| p.0).unwrap_or(1.0).max(1.0);
    let top = points.iter().map(|p| p.1).fold(1.0, f64::max);
    // Net revenue can be negative (a day of cancellations): keep it on the chart.
    let bottom = points.iter().map(|p| p.1).fold(0.0, f64::min);
    let last = series.last().map(|d| d.0).unwrap_or(first);
    let mut datasets = vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(theme::ACCENT))
            .data(&points),
    ];
    if !marks.is_empty() {
        datasets.push(
            Dataset::default()
                .name(format!("{} anomalies", marks.len()))
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(Style::new().fg(theme::BAD).bold())
                .data(&marks),
        );
    }
    let chart = Chart::new(datasets)
        .block(pane_block(title, false))
        .x_axis(
            Axis::default()
                .bounds([0.0, days])
                .labels([first.to_string(), last.to_string()])
                .style(Style::new().fg(theme::MUTED)),
        )
        .y_axis(
            Axis::default()
                .bounds([bottom, top])
                .labels([money(bottom), money(top / 2.0), money(top)])
                .style(Style::new().fg(theme::MUTED)),
        );
    frame.render_widget(chart, area);
}
