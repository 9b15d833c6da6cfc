//! Series panels: lines (ratatui's Chart), bars (BarChart, a group per x when there are
//! several series) and stacked bars (drawn cell by cell, a colour per series with its
//! legend above).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Bar, BarChart, BarGroup, Chart, Dataset, GraphType, Widget};

use super::figures::short;
use crate::dashboards::{Panel, PanelKind, SeriesFigure};
use crate::tui::theme;
use crate::tui::widgets::popup::clip;

pub fn draw(buf: &mut Buffer, area: Rect, panel: &Panel, figure: &SeriesFigure) {
    if figure.x_labels.is_empty() {
        Line::from("no rows".dim()).render(area, buf);
        return;
    }
    match panel.kind {
        PanelKind::StackedBar => stacked(buf, area, figure),
        PanelKind::Bar => bars(buf, area, panel, figure),
        _ => line(buf, area, panel, figure),
    }
}

/// The colour of series `i`.
fn colour(i: usize) -> ratatui::style::Color {
    theme::SERIES[i % theme::SERIES.len()]
}

/// The lowest and highest of `values`, with 0 in the range.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values.fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    (low, if high > low { high } else { low + 1.0 })
}

fn line(buf: &mut Buffer, area: Rect, panel: &Panel, figure: &SeriesFigure) {
    let x_of = |i: usize| {
        figure
            .x_values
            .as_ref()
            .and_then(|x| x.get(i).copied())
            .filter(|v| v.is_finite())
            .unwrap_or(i as f64)
    };
    let points: Vec<Vec<(f64, f64)>> = figure
        .series
        .iter()
        .map(|(_, values)| {
            values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| Some((x_of(i), (*v)?)))
                .collect()
        })
        .collect();
    let (bottom, top) = range(points.iter().flatten().map(|p| p.1));
    let (first, last) = (x_of(0), x_of(figure.x_labels.len() - 1));
    let named = figure.series.len() > 1;
    let datasets: Vec<Dataset> = figure
        .series
        .iter()
        .zip(&points)
        .enumerate()
        .map(|(i, ((name, _), points))| {
            let dataset = Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(colour(i)))
                .data(points);
            if named {
                dataset.name(name.clone())
            } else {
                dataset
            }
        })
        .collect();
    let labels = [
        figure.x_labels[0].clone(),
        figure.x_labels[figure.x_labels.len() - 1].clone(),
    ];
    Chart::new(datasets)
        .x_axis(
            Axis::default()
                .bounds([first, last.max(first + 1.0)])
                .labels(labels)
                .style(Style::new().fg(theme::MUTED)),
        )
        .y_axis(
            Axis::default()
                .bounds([bottom, top])
                .labels([
                    panel.format(bottom),
                    panel.format((bottom + top) / 2.0),
                    panel.format(top),
                ])
                .style(Style::new().fg(theme::MUTED)),
        )
        .render(area, buf);
}

/// Columns each x takes (its bar or group, and a gap).
fn step(area: Rect, groups: usize, per_group: usize) -> u16 {
    let room = area.width / groups.max(1) as u16;
    room.clamp(per_group as u16 + 1, 9)
}

fn bars(buf: &mut Buffer, area: Rect, panel: &Panel, figure: &SeriesFigure) {
    let count = figure.series.len();
    let (_, top) = range(
        figure
            .series
            .iter()
            .flat_map(|s| s.1.iter().flatten().copied()),
    );
    // Bars are whole numbers: scale so small values (rates) still show their heights.
    let scale = 1_000_000.0 / top;
    let step = step(area, figure.x_labels.len(), count);
    let width = if count == 1 {
        step.saturating_sub(1).max(1)
    } else {
        ((step - 1) / count as u16).max(1)
    };
    let mut chart = BarChart::default()
        .bar_width(width)
        .bar_gap(0)
        .group_gap(1)
        .bar_style(Style::new().fg(theme::BAR))
        .value_style(theme::bar_value());
    for (i, label) in figure.x_labels.iter().enumerate() {
        let group: Vec<Bar> = figure
            .series
            .iter()
            .enumerate()
            .map(|(s, (_, values))| {
                let v = values.get(i).copied().flatten().unwrap_or(0.0);
                let bar = Bar::default()
                    .value((v.max(0.0) * scale) as u64)
                    .text_value(if count == 1 {
                        short(panel, v)
                    } else {
                        String::new()
                    });
                if count == 1 {
                    bar
                } else {
                    bar.style(Style::new().fg(colour(s)))
                }
            })
            .collect();
        let label = fit(&month_label(label), usize::from(step - 1));
        chart = chart.data(BarGroup::default().label(Line::from(label)).bars(&group));
    }
    if count > 1 {
        let [legend_area, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
        legend(buf, legend_area, figure);
        chart.render(rest, buf);
    } else {
        chart.render(area, buf);
    }
}

/// The series' names in their colours.
fn legend(buf: &mut Buffer, area: Rect, figure: &SeriesFigure) {
    let spans: Vec<Span> = figure
        .series
        .iter()
        .enumerate()
        .flat_map(|(i, (name, _))| {
            [
                Span::styled("■ ", Style::new().fg(colour(i))),
                Span::raw(format!("{name}  ")),
            ]
        })
        .collect();
    Line::from(spans).render(area, buf);
}

/// A column per x, its series stacked bottom up in their colours.
fn stacked(buf: &mut Buffer, area: Rect, figure: &SeriesFigure) {
    let [legend_area, plot, labels] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    legend(buf, legend_area, figure);
    let total = |i: usize| -> f64 {
        figure
            .series
            .iter()
            .map(|(_, v)| v.get(i).copied().flatten().unwrap_or(0.0).max(0.0))
            .sum()
    };
    let points = figure.x_labels.len();
    let top = (0..points).map(total).fold(f64::EPSILON, f64::max);
    let step = step(plot, points, 1);
    let height = f64::from(plot.height);
    let mut next_label = plot.x;
    for (i, label) in figure.x_labels.iter().enumerate() {
        let x = plot.x + i as u16 * step;
        if x + step > plot.right() + 1 {
            break;
        }
        let mut below = 0.0;
        for (s, (_, values)) in figure.series.iter().enumerate() {
            let v = values.get(i).copied().flatten().unwrap_or(0.0).max(0.0);
            let from = (below / top * height).round() as u16;
            below += v;
            let to = (below / top * height).round() as u16;
            for level in from..to.min(plot.height) {
                let y = plot.bottom() - 1 - level;
                for column in x..x + step - 1 {
                    buf[(column, y)]
                        .set_symbol("█")
                        .set_style(Style::new().fg(colour(s)));
                }
            }
        }
        // A label where the one before it has ended.
        let label = month_label(label);
        if x >= next_label && x + 1 < plot.right() {
            let label = clip(&label, usize::from(plot.right() - x));
            next_label = x + label.chars().count() as u16 + 1;
            buf.set_string(x, labels.y, label, Style::new().fg(theme::MUTED));
        }
    }
}

/// `label` in `width` columns: cut with `…`, or to its first letters when narrower
/// than three (`J` for `Jan`).
fn fit(label: &str, width: usize) -> String {
    if width < 3 {
        label.chars().take(width).collect()
    } else {
        clip(label, width)
    }
}

/// `2011-01` → `Jan`; other labels as they are.
fn month_label(label: &str) -> String {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = (label.len() == 7 && label.as_bytes()[4] == b'-')
        .then(|| label[5..7].parse::<usize>().ok())
        .flatten();
    match month.and_then(|m| NAMES.get(m.wrapping_sub(1))) {
        Some(name) => name.to_string(),
        None => label.to_string(),
    }
}
