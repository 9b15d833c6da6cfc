//! One panel drawn into its area: charts through `export::charts`, and the tiles only a
//! dashboard has (KPI, gauge, sparkline, table, a failing panel's sentence) here.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::picture::failed;
use crate::dashboards::error::DashboardError;
use crate::dashboards::figure::{Figure, SeriesFigure};
use crate::dashboards::spec::{Panel, PanelKind, Tone};
use crate::export::ExportError;
use crate::export::charts::{
    BLUE, Chart, HeatCell, HeatmapChart, RED, SeriesChart, SeriesStyle, XAxis, font, truncate,
};
use crate::export::report::relative_change;
use crate::format::wrap_words;

const INK: RGBColor = RGBColor(17, 24, 39);
const MUTED: RGBColor = RGBColor(107, 114, 128);
const BORDER: RGBColor = RGBColor(209, 213, 219);
const TRACK: RGBColor = RGBColor(229, 231, 235);
const GREEN: RGBColor = RGBColor(22, 163, 74);
/// Where a tile's content starts below its title.
const TITLE_PIXELS: i32 = 38;

/// The colour of a threshold step.
pub(super) fn tone_color(tone: Tone) -> RGBColor {
    match tone {
        Tone::Green => GREEN,
        Tone::Yellow => RGBColor(202, 138, 4),
        Tone::Orange => RGBColor(234, 88, 12),
        Tone::Red => RED,
        Tone::Blue => BLUE,
        Tone::Grey => MUTED,
    }
}

/// Draws `panel`'s figure (or its error) over `area`, with a border.
pub(super) fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    figure: &Result<Figure, DashboardError>,
) -> Result<(), ExportError> {
    let fail = |e| failed(&panel.title, e);
    area.fill(&WHITE).map_err(fail)?;
    match (figure, chart(panel, figure)) {
        (_, Some(chart)) => chart.draw(area)?,
        (Ok(figure), None) => {
            title(area, &panel.title).map_err(fail)?;
            tile(area, panel, figure).map_err(fail)?;
        }
        (Err(error), None) => {
            title(area, &panel.title).map_err(fail)?;
            sentence(area, &error.to_string()).map_err(fail)?;
        }
    }
    let (w, h) = area.dim_in_pixel();
    area.draw(&Rectangle::new(
        [(0, 0), (w as i32 - 1, h as i32 - 1)],
        BORDER.stroke_width(1),
    ))
    .map_err(fail)
}

/// The chart a series or heatmap figure is drawn as.
fn chart(panel: &Panel, figure: &Result<Figure, DashboardError>) -> Option<Chart> {
    let unit = panel.unit.clone().unwrap_or_default();
    match figure.as_ref().ok()? {
        Figure::Series(series) => Some(Chart::Series(series_chart(panel, series, unit))),
        Figure::Heatmap {
            rows,
            columns,
            cells,
        } => Some(Chart::Heatmap(HeatmapChart {
            title: panel.title.clone(),
            x_label: String::new(),
            y_label: String::new(),
            rows: rows.clone(),
            columns: columns.clone(),
            cells: cells
                .iter()
                .enumerate()
                .flat_map(|(row, values)| {
                    values.iter().enumerate().filter_map(move |(column, v)| {
                        v.map(|value| HeatCell {
                            row,
                            column,
                            value,
                            text: panel.format(value),
                        })
                    })
                })
                .collect(),
        })),
        _ => None,
    }
}

fn series_chart(panel: &Panel, figure: &SeriesFigure, unit: String) -> SeriesChart {
    let bars = matches!(panel.kind, PanelKind::Bar | PanelKind::StackedBar);
    // Bars stand on categories; a line follows a time or number x when it has one.
    let (x_axis, xs): (XAxis, Vec<f64>) = match &figure.x_values {
        Some(values) if !bars => (
            if figure.x_time {
                XAxis::Time
            } else {
                XAxis::Numbers
            },
            values.clone(),
        ),
        _ => (
            XAxis::Categories(figure.x_labels.clone()),
            (0..figure.x_labels.len()).map(|i| i as f64).collect(),
        ),
    };
    SeriesChart {
        title: panel.title.clone(),
        x_label: figure.x_name.clone(),
        y_label: unit.clone(),
        x_axis,
        style: match panel.kind {
            PanelKind::Bar => SeriesStyle::Bars,
            PanelKind::StackedBar => SeriesStyle::StackedBars,
            _ => SeriesStyle::Lines,
        },
        y_percent: unit == "%",
        series: figure
            .series
            .iter()
            .map(|(name, values)| {
                let points = xs
                    .iter()
                    .zip(values)
                    .filter_map(|(x, v)| Some((*x, (*v)?)))
                    .filter(|(x, _)| x.is_finite())
                    .collect();
                (name.clone(), points)
            })
            .collect(),
    }
}

type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn title<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str) -> Drawn<DB> {
    let width = area.dim_in_pixel().0 as usize;
    area.draw(&Text::new(
        truncate(text, (width / 11).max(4)),
        (12, 10),
        font(18.0, true).color(&INK),
    ))
}

/// A failing panel's error, wrapped to the area's width.
fn sentence<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str) -> Drawn<DB> {
    let (width, height) = area.dim_in_pixel();
    let per_line = ((width as usize).saturating_sub(24) / 8).max(10);
    let mut y = TITLE_PIXELS;
    // DuckDB's messages hold newlines and tabs: one paragraph here.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for line in wrap_words(&flat, per_line) {
        if y + 18 > height as i32 {
            break;
        }
        area.draw(&Text::new(line, (12, y), font(14.0, false).color(&RED)))?;
        y += 18;
    }
    Ok(())
}

fn tile<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    figure: &Figure,
) -> Drawn<DB> {
    match figure {
        Figure::Kpi { value, previous } => kpi(area, panel, *value, *previous),
        Figure::Gauge { value, min, max } => gauge(area, panel, *value, *min, *max),
        Figure::Sparkline { value, points } => sparkline(area, panel, *value, points),
        Figure::Table {
            columns,
            numeric,
            rows,
            truncated,
        } => table(area, columns, numeric, rows, *truncated),
        Figure::Series(_) | Figure::Heatmap { .. } => Ok(()),
    }
}

/// The value's text and colour by the panel's unit and thresholds ("no data" when
/// the query returned no row or NULL).
fn shown(panel: &Panel, value: Option<f64>) -> (String, RGBColor) {
    match value {
        Some(v) => (panel.format(v), panel.tone(v).map_or(INK, tone_color)),
        None => ("no data".into(), MUTED),
    }
}

/// The value under the title, `size` pixels high, in its threshold colour.
fn headline<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    value: Option<f64>,
    size: f64,
) -> Drawn<DB> {
    let (text, color) = shown(panel, value);
    area.draw(&Text::new(
        text,
        (12, TITLE_PIXELS),
        font(size, true).color(&color),
    ))
}

/// `▲ 12.3 % vs previous`, and whether that is good news (green) for the panel.
pub(super) fn change_text(
    panel: &Panel,
    value: Option<f64>,
    previous: Option<f64>,
) -> Option<(String, bool)> {
    let pct = relative_change(value?, previous?)?;
    let arrow = if pct >= 0.0 { '▲' } else { '▼' };
    Some((
        format!("{arrow} {:.1} % vs previous", pct.abs()),
        panel.change_is_good(pct),
    ))
}

fn kpi<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    value: Option<f64>,
    previous: Option<f64>,
) -> Drawn<DB> {
    let (width, height) = area.dim_in_pixel();
    let (text, color) = shown(panel, value);
    let room = (height as i32 - TITLE_PIXELS - 30).max(16);
    let by_width = f64::from(width) * 1.6 / text.chars().count().max(1) as f64;
    let size = f64::from(room).min(56.0).min(by_width).max(14.0);
    area.draw(&Text::new(
        text,
        (12, TITLE_PIXELS + 4),
        font(size, true).color(&color),
    ))?;
    let y = TITLE_PIXELS + 12 + size as i32;
    match change_text(panel, value, previous) {
        Some((change, good)) => area.draw(&Text::new(
            change,
            (12, y),
            font(14.0, false).color(if good { &GREEN } else { &RED }),
        )),
        None if previous.is_none() && value.is_some() => Ok(()),
        None => area.draw(&Text::new(
            "no previous data",
            (12, y),
            font(14.0, false).color(&MUTED),
        )),
    }
}

fn gauge<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    value: Option<f64>,
    min: f64,
    max: f64,
) -> Drawn<DB> {
    let (width, height) = area.dim_in_pixel();
    headline(area, panel, value, 28.0)?;
    let (left, right) = (12, width as i32 - 12);
    let top = (TITLE_PIXELS + 40).min(height as i32 - 40);
    let bottom = top + 18;
    area.draw(&Rectangle::new(
        [(left, top), (right, bottom)],
        TRACK.filled(),
    ))?;
    if let Some(v) = value {
        let share = if max > min {
            ((v - min) / (max - min)).clamp(0.0, 1.0)
        } else {
            1.0
        };
        let end = left + ((right - left) as f64 * share) as i32;
        let fill = panel.tone(v).map_or(BLUE, tone_color);
        area.draw(&Rectangle::new([(left, top), (end, bottom)], fill.filled()))?;
    }
    let label = font(12.0, false).color(&MUTED);
    area.draw(&Text::new(
        panel.format(min),
        (left, bottom + 4),
        label.clone(),
    ))?;
    area.draw(&Text::new(
        panel.format(max),
        (right, bottom + 4),
        label.pos(Pos::new(HPos::Right, VPos::Top)),
    ))
}

fn sparkline<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    value: Option<f64>,
    points: &[f64],
) -> Drawn<DB> {
    let (width, height) = area.dim_in_pixel();
    headline(area, panel, value, 24.0)?;
    let (top, bottom) = (TITLE_PIXELS + 40, height as i32 - 12);
    if points.len() < 2 || bottom - top < 8 {
        return Ok(());
    }
    let (low, high) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
    let span = (high - low).max(f64::EPSILON);
    let (left, right) = (12.0, f64::from(width) - 12.0);
    let step = (right - left) / (points.len() - 1) as f64;
    let path: Vec<(i32, i32)> = points
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = left + step * i as f64;
            let y = f64::from(bottom) - (v - low) / span * f64::from(bottom - top);
            (x as i32, y as i32)
        })
        .collect();
    area.draw(&PathElement::new(path, BLUE.stroke_width(2)))
}

/// A text grid: a bold header, numbers right-aligned, as many rows as fit.
fn table<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    columns: &[String],
    numeric: &[bool],
    rows: &[Vec<String>],
    truncated: bool,
) -> Drawn<DB> {
    const ROW: i32 = 20;
    const CHAR: usize = 8;
    let (width, height) = area.dim_in_pixel();
    let usable = (width as usize).saturating_sub(24);
    // Each column as wide as its widest text, shrunk together to fit.
    let wanted: Vec<usize> = (0..columns.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([columns[c].chars().count()])
                .max()
                .unwrap_or(1)
                .clamp(3, 40)
                + 2
        })
        .collect();
    let total: usize = wanted.iter().sum::<usize>().max(1) * CHAR;
    let scale = (usable as f64 / total as f64).min(1.0);
    let widths: Vec<usize> = wanted
        .iter()
        .map(|w| ((w * CHAR) as f64 * scale) as usize)
        .collect();
    let fits = |pixels: usize| (pixels / CHAR).saturating_sub(1).max(2);
    let draw_row = |y: i32, cells: &[String], style: &TextStyle| -> Drawn<DB> {
        let mut x = 12i32;
        for (c, cell) in cells.iter().enumerate() {
            let text = truncate(cell, fits(widths[c]));
            if numeric[c] {
                let right = x + widths[c] as i32 - CHAR as i32;
                area.draw(&Text::new(
                    text,
                    (right, y),
                    style.pos(Pos::new(HPos::Right, VPos::Top)),
                ))?;
            } else {
                area.draw(&Text::new(text, (x, y), style.clone()))?;
            }
            x += widths[c] as i32;
        }
        Ok(())
    };
    let header = font(13.0, true).color(&INK);
    draw_row(TITLE_PIXELS, columns, &header)?;
    let line_y = TITLE_PIXELS + ROW - 3;
    area.draw(&PathElement::new(
        vec![(12, line_y), (width as i32 - 12, line_y)],
        BORDER.stroke_width(1),
    ))?;
    let body = font(13.0, false).color(&INK);
    let fit = ((height as i32 - TITLE_PIXELS - ROW - 8) / ROW).max(0) as usize;
    let shown_rows = rows
        .len()
        .min(fit.saturating_sub(usize::from(rows.len() > fit)));
    let mut y = TITLE_PIXELS + ROW + 2;
    for row in &rows[..shown_rows] {
        draw_row(y, row, &body)?;
        y += ROW;
    }
    let hidden = rows.len() - shown_rows;
    if hidden > 0 || truncated {
        let more = if truncated {
            format!("… {hidden} more rows here, and more the panel did not fetch")
        } else {
            format!("… {hidden} more rows")
        };
        area.draw(&Text::new(more, (12, y), font(12.0, false).color(&MUTED)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_wrap_at_spaces_and_changes_have_arrows() {
        let file = "title = 't'\n[[panels]]\ntitle = 'p'\nkind = 'kpi'\nsql = 'select 1'\n";
        let higher = crate::dashboards::spec::parse(file, "t.toml")
            .unwrap()
            .panels
            .remove(0);
        assert_eq!(
            wrap_words("panel `p` (line 3): a kpi panel needs a number column", 20),
            [
                "panel `p` (line 3):",
                "a kpi panel needs a",
                "number column"
            ]
        );
        assert_eq!(wrap_words("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(
            change_text(&higher, Some(120.0), Some(100.0)),
            Some(("▲ 20.0 % vs previous".to_string(), true))
        );
        assert_eq!(
            change_text(&higher, Some(90.0), Some(100.0)),
            Some(("▼ 10.0 % vs previous".to_string(), false))
        );
        assert_eq!(change_text(&higher, Some(1.0), None), None);
        let lower = Panel {
            better: crate::dashboards::spec::Better::Lower,
            ..higher.clone()
        };
        assert_eq!(
            change_text(&lower, Some(90.0), Some(100.0)),
            Some(("▼ 10.0 % vs previous".to_string(), true))
        );
    }
}
