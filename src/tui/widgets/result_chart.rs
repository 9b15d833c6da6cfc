//! The chart of a query result in the terminal: lines and scatters with ratatui's
//! `Chart` (axes, labels, a legend for several series), bars and histograms with
//! `BarChart`. The same data saves to PNG and SVG through `export::charts`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Chart, Dataset, GraphType, LegendPosition, Paragraph,
};

use super::pane::pane_block;
use crate::export::charts::date_label;
use crate::tui::chart::ChartView;
use crate::tui::theme;
use crate::warehouse::chart_data::{ChartData, ChartKind, short_number};

const KEYS: &str = "c kind · x/y columns · a series · s save · Esc close";

/// Draws the chart view over `area`.
pub fn draw_result_chart(frame: &mut Frame, view: &ChartView, area: Rect) {
    frame.render_widget(ratatui::widgets::Clear, area);
    let title = format!(
        "Chart: {} ({})",
        view.spec.title(&view.result.columns),
        view.spec.kind.name()
    );
    let block = pane_block(&title, true).title_bottom(Line::from(format!(" {KEYS} ")).dim());
    match &view.data {
        None => frame.render_widget(
            Paragraph::new("computing the chart over the whole result… (Esc cancels)")
                .dim()
                .block(block),
            area,
        ),
        Some(Err(e)) => frame.render_widget(Paragraph::new(e.as_str()).block(block), area),
        Some(Ok(data)) if data.series.iter().all(|s| s.points.is_empty()) => frame.render_widget(
            Paragraph::new("nothing to chart: no rows with values in these columns").block(block),
            area,
        ),
        Some(Ok(data)) => match data.kind {
            ChartKind::Line | ChartKind::Scatter => draw_xy(frame, data, block, area),
            ChartKind::Bar | ChartKind::Histogram => draw_bars(frame, data, block, area),
        },
    }
}

fn bounds(values: impl Iterator<Item = f64>) -> [f64; 2] {
    let (low, high) = values.fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v), h.max(v)));
    match (low, high) {
        (l, h) if l > h => [0.0, 1.0],
        (l, h) if l == h => [l - 1.0, h + 1.0],
        (l, h) => [l, h],
    }
}

fn axis_labels(bounds: [f64; 2], time: bool) -> Vec<Line<'static>> {
    let label = |v: f64| if time { date_label(v) } else { short_number(v) };
    let middle = (bounds[0] + bounds[1]) / 2.0;
    vec![
        label(bounds[0]).into(),
        label(middle).into(),
        label(bounds[1]).into(),
    ]
}

fn draw_xy(frame: &mut Frame, data: &ChartData, block: ratatui::widgets::Block, area: Rect) {
    let points = || data.series.iter().flat_map(|s| s.points.iter());
    let x = bounds(points().map(|p| p.0));
    let y = bounds(points().map(|p| p.1).chain([0.0]));
    let graph = match data.kind {
        ChartKind::Line => GraphType::Line,
        _ => GraphType::Scatter,
    };
    let datasets = data
        .series
        .iter()
        .enumerate()
        .map(|(n, series)| {
            Dataset::default()
                .name(series.name.clone())
                .marker(Marker::Braille)
                .graph_type(graph)
                .style(Style::new().fg(theme::SERIES[n % theme::SERIES.len()]))
                .data(&series.points)
        })
        .collect();
    let chart = Chart::new(datasets)
        .block(block)
        .legend_position(Some(LegendPosition::TopLeft))
        .hidden_legend_constraints((Constraint::Percentage(60), Constraint::Percentage(60)))
        .x_axis(
            Axis::default()
                .title(data.x_label.clone().fg(theme::MUTED))
                .bounds(x)
                .labels(axis_labels(x, data.x_time))
                .style(Style::new().fg(theme::MUTED)),
        )
        .y_axis(
            Axis::default()
                .bounds(y)
                .labels(axis_labels(y, false))
                .style(Style::new().fg(theme::MUTED)),
        );
    frame.render_widget(chart, area);
}

/// Bars as a share of the largest, so fractions and huge sums draw alike; the text
/// shows the real value. Negative values draw as empty bars.
fn draw_bars(frame: &mut Frame, data: &ChartData, block: ratatui::widgets::Block, area: Rect) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [legend, chart_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let spans: Vec<Span> = data
        .series
        .iter()
        .enumerate()
        .flat_map(|(n, s)| {
            [
                Span::styled(
                    "■ ",
                    Style::new().fg(theme::SERIES[n % theme::SERIES.len()]),
                ),
                Span::raw(format!("{}  ", s.name)),
            ]
        })
        .chain([Span::styled(
            format!("by {}", data.x_label),
            Style::new().fg(theme::MUTED),
        )])
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), legend);
    let top = data
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let horizontal = data.kind == ChartKind::Bar;
    let clip = |label: &str| -> String {
        label
            .chars()
            .take(if horizontal { 16 } else { 8 })
            .collect()
    };
    let bar = |n: usize, i: usize| {
        let value = data.series[n].points.get(i).map_or(0.0, |p| p.1);
        Bar::default()
            .value((value.max(0.0) / top * 1_000_000.0) as u64)
            .text_value(short_number(value))
            .style(Style::new().fg(theme::SERIES[n % theme::SERIES.len()]))
    };
    // Vertical bars are too narrow for their labels: an axis line under them says
    // where the first, middle and last start.
    let bars_across = (data.labels.len() * data.series.len()).max(1) as u16;
    let width = if horizontal {
        1
    } else {
        (chart_area.width / bars_across).saturating_sub(1).max(1)
    };
    let chart_area = if horizontal {
        chart_area
    } else {
        let [bars, axis] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(chart_area);
        let drawn = (bars_across * (width + 1))
            .saturating_sub(1)
            .min(axis.width);
        draw_bin_axis(
            frame,
            &data.labels,
            Rect {
                width: drawn,
                ..axis
            },
        );
        bars
    };
    // One series: one group of labelled bars; several: a group of bars per category.
    let groups: Vec<BarGroup> = if data.series.len() == 1 {
        let bars: Vec<Bar> = (0..data.labels.len())
            .map(|i| {
                let bar = bar(0, i);
                if horizontal {
                    bar.label(Line::from(clip(&data.labels[i])))
                } else {
                    bar
                }
            })
            .collect();
        vec![BarGroup::default().bars(&bars)]
    } else {
        (0..data.labels.len())
            .map(|i| {
                let bars: Vec<Bar> = (0..data.series.len()).map(|n| bar(n, i)).collect();
                BarGroup::default()
                    .label(Line::from(clip(&data.labels[i])))
                    .bars(&bars)
            })
            .collect()
    };
    let mut chart = BarChart::default()
        .direction(if horizontal {
            Direction::Horizontal
        } else {
            Direction::Vertical
        })
        .bar_width(width)
        .bar_gap(if horizontal { 0 } else { 1 })
        .group_gap(if horizontal { 0 } else { 1 })
        .value_style(theme::bar_value());
    for group in groups {
        chart = chart.data(group);
    }
    frame.render_widget(chart, chart_area);
}

/// `0 … 7.50 … 14.50` under a histogram: where its first, middle and last bins start.
fn draw_bin_axis(frame: &mut Frame, labels: &[String], area: Rect) {
    let (Some(first), Some(last)) = (labels.first(), labels.last()) else {
        return;
    };
    let middle = &labels[labels.len() / 2];
    let [left, centre, right] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(area);
    let style = Style::new().fg(theme::MUTED);
    frame.render_widget(Paragraph::new(first.as_str()).style(style), left);
    frame.render_widget(
        Paragraph::new(middle.as_str()).style(style).centered(),
        centre,
    );
    frame.render_widget(
        Paragraph::new(last.as_str()).style(style).right_aligned(),
        right,
    );
}
