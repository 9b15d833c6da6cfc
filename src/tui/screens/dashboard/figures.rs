//! One panel in its rectangle: a titled pane holding "loading…", the panel's error
//! sentence, or its [`Figure`] drawn by kind (KPI tile, gauge, sparkline, table and
//! heatmap here; lines and bars in [`super::series`]). Threshold tones take the theme's
//! colours ([`theme::tone`]).

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Gauge, Paragraph, Row, Sparkline, Table, Widget, Wrap};

use super::series;
use crate::dashboards::{Figure, Panel};
use crate::export::report::relative_change;
use crate::tui::failure::Reported;
use crate::tui::theme;
use crate::tui::widgets::pane::pane_block;
use crate::tui::widgets::popup::clip;

/// Draws `panel` with its `figure` (or what stands in for it) into `area` of `buf`.
pub fn draw_panel(
    buf: &mut Buffer,
    area: Rect,
    panel: &Panel,
    figure: Option<&Reported<Figure>>,
    running: bool,
    selected: bool,
) {
    // A figure being refreshed keeps showing, its title marked.
    let title = if running && figure.is_some() {
        format!("{} ⟳", panel.title)
    } else {
        panel.title.clone()
    };
    let block = pane_block(&title, selected);
    let inner = block.inner(area);
    block.render(area, buf);
    match figure {
        None => Paragraph::new("loading…").dim().render(inner, buf),
        Some(Err(e)) => Paragraph::new(e.as_str())
            .style(Style::new().fg(theme::BAD))
            .wrap(Wrap { trim: true })
            .render(inner, buf),
        Some(Ok(figure)) => draw_figure(buf, inner, panel, figure),
    }
}

fn draw_figure(buf: &mut Buffer, area: Rect, panel: &Panel, figure: &Figure) {
    match figure {
        Figure::Kpi { value, previous } => kpi(buf, area, panel, *value, *previous),
        Figure::Gauge { value, min, max } => gauge(buf, area, panel, *value, *min, *max),
        Figure::Sparkline { value, points } => sparkline(buf, area, panel, *value, points),
        Figure::Series(s) => series::draw(buf, area, panel, s),
        Figure::Table {
            columns,
            numeric,
            rows,
            truncated,
        } => table(buf, area, columns, numeric, rows, *truncated),
        Figure::Heatmap {
            rows,
            columns,
            cells,
        } => heatmap(buf, area, panel, rows, columns, cells),
    }
}

/// A value in the panel's unit, coloured by its threshold tone when it has one.
fn value_span(panel: &Panel, value: Option<f64>) -> Span<'static> {
    match value {
        None => Span::styled("–", Style::new().fg(theme::MUTED)),
        Some(v) => {
            let style = match panel.tone(v) {
                Some(tone) => Style::new().bold().fg(theme::tone(tone)),
                None => Style::new().bold(),
            };
            Span::styled(panel.format(v), style)
        }
    }
}

/// The value, and its change against the previous period (▲ up, ▼ down; green when
/// that is good news for the panel, red when not).
fn kpi(buf: &mut Buffer, area: Rect, panel: &Panel, value: Option<f64>, previous: Option<f64>) {
    let change = match (value, previous) {
        (Some(now), Some(before)) => match relative_change(now, before) {
            Some(pct) => {
                let arrow = if pct >= 0.0 { '▲' } else { '▼' };
                let color = if panel.change_is_good(pct) {
                    theme::GOOD
                } else {
                    theme::BAD
                };
                Span::styled(format!("{arrow} {pct:+.1}%"), Style::new().fg(color))
            }
            None => Span::styled("no previous data", Style::new().fg(theme::MUTED)),
        },
        // No bounded period (or no value): nothing to compare with.
        _ => Span::styled("–", Style::new().fg(theme::MUTED)),
    };
    let compared = if previous.is_some() {
        " vs period before".dim()
    } else {
        "".into()
    };
    let lines = vec![
        Line::from(value_span(panel, value)),
        Line::from(vec![change, compared]),
    ];
    Paragraph::new(lines).render(area, buf);
}

/// A bar from `min` to `max`, in the value's threshold colour.
fn gauge(buf: &mut Buffer, area: Rect, panel: &Panel, value: Option<f64>, min: f64, max: f64) {
    let [bar, scale] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let ratio = value.map_or(0.0, |v| {
        ((v - min) / (max - min).max(f64::EPSILON)).clamp(0.0, 1.0)
    });
    let colour = value
        .and_then(|v| panel.tone(v))
        .map_or(theme::ACCENT, theme::tone);
    let label = value.map_or("–".to_string(), |v| panel.format(v));
    Gauge::default()
        .ratio(ratio)
        .label(Span::styled(label, Style::new().bold()))
        .gauge_style(Style::new().fg(colour).bg(theme::GAUGE_TRACK))
        .render(bar, buf);
    Line::from(vec![
        panel.format(min).dim(),
        " … ".dim(),
        panel.format(max).dim(),
    ])
    .render(scale, buf);
}

/// The points as a sparkline (averaged down to the width), and the last value.
fn sparkline(buf: &mut Buffer, area: Rect, panel: &Panel, value: Option<f64>, points: &[f64]) {
    let [chart, text] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let buckets = averaged(points, usize::from(chart.width));
    let low = buckets.iter().copied().fold(0.0, f64::min);
    let high = buckets.iter().copied().fold(f64::MIN, f64::max);
    let span = (high - low).max(f64::EPSILON);
    let data: Vec<u64> = buckets
        .iter()
        .map(|v| ((v - low) / span * 1000.0).round() as u64)
        .collect();
    Sparkline::default()
        .data(&data)
        .max(1000)
        .style(Style::new().fg(theme::ACCENT))
        .render(chart, buf);
    let mut line = vec!["last ".dim(), value_span(panel, value)];
    if let Some(max) = points.iter().copied().reduce(f64::max) {
        line.push(format!("  max {}", panel.format(max)).dim());
    }
    Line::from(line).render(text, buf);
}

/// `points` averaged into `width` buckets, in order (a few points are widened to
/// fill the width instead).
fn averaged(points: &[f64], width: usize) -> Vec<f64> {
    if points.is_empty() || width == 0 {
        return points.to_vec();
    }
    if points.len() <= width {
        let each = width / points.len();
        return points
            .iter()
            .flat_map(|p| std::iter::repeat_n(*p, each))
            .collect();
    }
    (0..width)
        .map(|i| {
            let (from, to) = (i * points.len() / width, (i + 1) * points.len() / width);
            let slice = &points[from..to.max(from + 1)];
            slice.iter().sum::<f64>() / slice.len() as f64
        })
        .collect()
}

fn table(
    buf: &mut Buffer,
    area: Rect,
    columns: &[String],
    numeric: &[bool],
    rows: &[Vec<String>],
    truncated: bool,
) {
    let widths: Vec<Constraint> = columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let widest = rows
                .iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .chain([name.chars().count()])
                .max()
                .unwrap_or(1);
            Constraint::Length(widest.min(40) as u16)
        })
        .collect();
    let align = |i: usize, text: String| {
        let line = Line::from(text);
        if numeric.get(i).copied().unwrap_or(false) {
            line.alignment(Alignment::Right)
        } else {
            line
        }
    };
    let header = Row::new(
        columns
            .iter()
            .enumerate()
            .map(|(i, c)| Cell::from(align(i, c.clone()))),
    )
    .style(theme::header());
    // A last line says how many rows there are when they do not all fit.
    let fits = rows.len() < usize::from(area.height) && !truncated;
    let (area, more) = if fits || area.height < 3 {
        (area, None)
    } else {
        let [table, more] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
        (table, Some(more))
    };
    let shown = usize::from(area.height.saturating_sub(1));
    let body: Vec<Row> = rows
        .iter()
        .take(shown)
        .map(|r| {
            Row::new(
                r.iter()
                    .enumerate()
                    .map(|(i, c)| Cell::from(align(i, c.clone()))),
            )
        })
        .collect();
    if let Some(more) = more {
        let all = if truncated { "at least " } else { "" };
        Line::from(format!("… {all}{} rows: Enter opens them all", rows.len()).dim())
            .render(more, buf);
    }
    Table::new(body, widths)
        .header(header)
        .column_spacing(2)
        .render(area, buf);
}

/// Rows × columns of coloured cells, deeper for higher values, each with its value.
fn heatmap(
    buf: &mut Buffer,
    area: Rect,
    panel: &Panel,
    rows: &[String],
    columns: &[String],
    cells: &[Vec<Option<f64>>],
) {
    let values = cells.iter().flatten().flatten().copied();
    let (low, high) = values.fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v), h.max(v)));
    let label_width = rows
        .iter()
        .map(|r| r.chars().count())
        .max()
        .unwrap_or(0)
        .min(16) as u16;
    let room = area.width.saturating_sub(label_width + 1);
    let cell_width = (room / columns.len().max(1) as u16).clamp(2, 6);
    let shown = (room / cell_width) as usize;
    let mut y = area.y;
    let heading: String = columns
        .iter()
        .take(shown)
        .map(|c| {
            format!(
                "{:>w$}",
                clip(c, usize::from(cell_width) - 1),
                w = usize::from(cell_width)
            )
        })
        .collect();
    buf.set_string(
        area.x + label_width + 1,
        y,
        clip(&heading, usize::from(room)),
        theme::header(),
    );
    for (label, row) in rows.iter().zip(cells) {
        y += 1;
        if y >= area.bottom() {
            break;
        }
        buf.set_string(
            area.x,
            y,
            clip(label, usize::from(label_width)),
            Style::new(),
        );
        for (i, cell) in row.iter().take(shown).enumerate() {
            let x = area.x + label_width + 1 + i as u16 * cell_width;
            let Some(v) = cell else { continue };
            let fraction = (v - low) / (high - low).max(f64::EPSILON);
            let text = format!("{:>w$}", short(panel, *v), w = usize::from(cell_width));
            let text = clip(&text, usize::from(cell_width));
            buf.set_string(x, y, text, theme::heat(fraction));
        }
    }
}

/// A value short enough for a heatmap cell or a bar: `42` (%), `1.2M`, `350k`, `7.50`.
pub fn short(panel: &Panel, value: f64) -> String {
    if panel.unit.as_deref() == Some("%") {
        return format!("{:.0}", value * 100.0);
    }
    crate::warehouse::chart_data::short_number(value)
}
