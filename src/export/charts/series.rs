//! Charts of named series over one x: lines, points, bars side by side or stacked.

use std::collections::HashMap;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{BLUE, DrawResult, RED, caption, compact, date_label, label_font, range_of, truncate};
use crate::warehouse::chart_data::{ChartData, ChartKind};

/// What the x of a [`SeriesChart`] is, which decides its axis labels.
#[derive(Debug, Clone, PartialEq)]
pub enum XAxis {
    Numbers,
    /// Seconds since 1970, labelled as dates.
    Time,
    /// Point `i` is category `labels[i]`.
    Categories(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesStyle {
    Lines,
    Points,
    /// Bars side by side per category (one per series).
    Bars,
    /// One bar per category, the series stacked on it (negative values below zero).
    StackedBars,
}

/// A chart of named series: one colour and one legend entry each.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_axis: XAxis,
    pub style: SeriesStyle,
    /// Y ticks as percentages of 1.
    pub y_percent: bool,
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

impl SeriesChart {
    /// The chart of a query result's data, as the workbench shows it.
    pub fn of(data: &ChartData) -> Self {
        let (x_axis, style) = match data.kind {
            ChartKind::Line if data.x_time => (XAxis::Time, SeriesStyle::Lines),
            ChartKind::Line => (XAxis::Numbers, SeriesStyle::Lines),
            ChartKind::Scatter if data.x_time => (XAxis::Time, SeriesStyle::Points),
            ChartKind::Scatter => (XAxis::Numbers, SeriesStyle::Points),
            ChartKind::Bar | ChartKind::Histogram => {
                (XAxis::Categories(data.labels.clone()), SeriesStyle::Bars)
            }
        };
        let y_label = match data.kind {
            ChartKind::Histogram => "rows".to_string(),
            _ => data
                .series
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        Self {
            title: data.title.clone(),
            x_label: data.x_label.clone(),
            y_label,
            x_axis,
            style,
            y_percent: false,
            series: data
                .series
                .iter()
                .map(|s| (s.name.clone(), s.points.clone()))
                .collect(),
        }
    }
}

/// One colour per series: as many as a dashboard panel draws (`figure::MAX_SERIES`).
const SERIES_COLORS: [RGBColor; 8] = [
    BLUE,
    RED,
    RGBColor(22, 163, 74),
    RGBColor(217, 119, 6),
    RGBColor(124, 58, 237),
    RGBColor(8, 145, 178),
    RGBColor(219, 39, 119),
    RGBColor(107, 114, 128),
];

/// Each point of each series as the span its stacked bar covers: `(x, bottom, top)`,
/// positive values stacking up from zero and negative ones down.
fn stacked(chart: &SeriesChart) -> Vec<Vec<(f64, f64, f64)>> {
    let mut bases: HashMap<u64, (f64, f64)> = HashMap::new();
    chart
        .series
        .iter()
        .map(|(_, points)| {
            points
                .iter()
                .map(|&(x, y)| {
                    let (up, down) = bases.entry(x.to_bits()).or_insert((0.0, 0.0));
                    let base = if y >= 0.0 { up } else { down };
                    let bottom = *base;
                    *base += y;
                    (x, bottom, *base)
                })
                .collect()
        })
        .collect()
}

fn x_range(chart: &SeriesChart) -> (f64, f64) {
    if let XAxis::Categories(labels) = &chart.x_axis {
        return (-0.5, labels.len().max(1) as f64 - 0.5);
    }
    let xs = chart.series.iter().flat_map(|(_, p)| p.iter().map(|p| p.0));
    let (low, high) = xs.fold((f64::MAX, f64::MIN), |(l, h), x| (l.min(x), h.max(x)));
    if low > high {
        (0.0, 1.0)
    } else if high <= low {
        (low - 1.0, high + 1.0)
    } else {
        (low, high)
    }
}

pub(super) fn series<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &SeriesChart,
) -> DrawResult<DB> {
    let (x_low, x_high) = x_range(chart);
    let spans = (chart.style == SeriesStyle::StackedBars).then(|| stacked(chart));
    let (low, high) = match &spans {
        Some(spans) => range_of(spans.iter().flatten().flat_map(|s| [s.1, s.2])),
        None => range_of(chart.series.iter().flat_map(|(_, p)| p.iter().map(|p| p.1))),
    };
    let mut builder = ChartBuilder::on(root);
    if !chart.title.is_empty() {
        builder.caption(&chart.title, caption(&chart.title).1);
    }
    let mut plot = builder
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(x_low..x_high, low..high)?;
    let x_format = |v: &f64| match &chart.x_axis {
        XAxis::Numbers => compact(*v),
        XAxis::Time => date_label(*v),
        XAxis::Categories(labels) => {
            let i = v.round();
            if (v - i).abs() < 0.01 && i >= 0.0 {
                labels
                    .get(i as usize)
                    .map(|l| truncate(l, 14))
                    .unwrap_or_default()
            } else {
                String::new()
            }
        }
    };
    let x_ticks = match &chart.x_axis {
        XAxis::Categories(labels) => labels.len().clamp(1, 12),
        _ => 8,
    };
    plot.configure_mesh()
        .light_line_style(WHITE)
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .x_labels(x_ticks)
        .x_label_formatter(&x_format)
        .y_label_formatter(&|v| {
            if chart.y_percent {
                format!("{:.1}%", v * 100.0)
            } else {
                compact(*v)
            }
        })
        .label_style(label_font())
        .axis_desc_style(label_font())
        .draw()?;
    let count = chart.series.len().max(1) as f64;
    for (n, (name, points)) in chart.series.iter().enumerate() {
        let color = SERIES_COLORS[n % SERIES_COLORS.len()];
        let drawn = match chart.style {
            SeriesStyle::Lines => plot.draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?,
            SeriesStyle::Points => plot.draw_series(
                points
                    .iter()
                    .map(|p| Circle::new(*p, 2, color.mix(0.6).filled())),
            )?,
            SeriesStyle::Bars => plot.draw_series(points.iter().map(|&(x, y)| {
                let left = x - 0.4 + 0.8 * n as f64 / count;
                Rectangle::new([(left, 0.0), (left + 0.8 / count, y)], color.filled())
            }))?,
            SeriesStyle::StackedBars => {
                let spans = spans.as_ref().map_or(&[][..], |s| &s[n]);
                plot.draw_series(spans.iter().map(|&(x, bottom, top)| {
                    Rectangle::new([(x - 0.4, bottom), (x + 0.4, top)], color.filled())
                }))?
            }
        };
        drawn
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    // One series is named by the title and the axis already: a legend would only hide
    // data. Several get one in the upper left, where lines over time start low.
    if chart.series.len() > 1 {
        plot.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(label_font())
            .draw()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacked_bars_stack_up_and_down_from_zero_per_x() {
        let chart = SeriesChart {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            x_axis: XAxis::Categories(vec!["a".into(), "b".into()]),
            style: SeriesStyle::StackedBars,
            y_percent: false,
            series: vec![
                ("uk".into(), vec![(0.0, 5.0), (1.0, 7.0)]),
                ("fr".into(), vec![(0.0, 2.0), (1.0, -1.0)]),
                ("de".into(), vec![(1.0, 3.0)]),
            ],
        };
        assert_eq!(
            stacked(&chart),
            [
                vec![(0.0, 0.0, 5.0), (1.0, 0.0, 7.0)],
                vec![(0.0, 5.0, 7.0), (1.0, 0.0, -1.0)],
                vec![(1.0, 7.0, 10.0)],
            ]
        );
    }
}
