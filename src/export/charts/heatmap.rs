//! A heatmap: labelled rows × labelled columns, each cell shaded by its value against
//! the largest one and written with its own text (the report's cohorts, a dashboard's
//! heatmap panel).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{DrawResult, FONT, caption, label_font, truncate};

/// Rows top to bottom in order, columns left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    pub cells: Vec<HeatCell>,
}

/// One shaded cell; `text` is what it shows (`42%`, `£1,200`).
#[derive(Debug, Clone, PartialEq)]
pub struct HeatCell {
    pub row: usize,
    pub column: usize,
    pub value: f64,
    pub text: String,
}

pub(super) fn heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &HeatmapChart,
) -> DrawResult<DB> {
    let n = chart.rows.len().max(1);
    let columns = chart.columns.len().max(1);
    let mut builder = ChartBuilder::on(root);
    if !chart.title.is_empty() {
        builder.caption(&chart.title, caption(&chart.title).1);
    }
    let mut plot = builder
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(90)
        // plotters' integer ranges include their end: 0..n - 1 is n segments.
        .build_cartesian_2d(
            (0..columns - 1).into_segmented(),
            (0..n - 1).into_segmented(),
        )?;
    // Row r is drawn at y = n - 1 - r, so the first row is on top.
    let x_step = columns.div_ceil(24).max(1);
    let y_step = n.div_ceil(30).max(1);
    plot.configure_mesh()
        .disable_mesh()
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .x_labels(columns)
        .y_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if i.is_multiple_of(x_step) => chart
                .columns
                .get(*i)
                .map(|l| truncate(l, 10))
                .unwrap_or_default(),
            _ => String::new(),
        })
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if *i < n && (n - 1 - i).is_multiple_of(y_step) => chart
                .rows
                .get(n - 1 - i)
                .map(|l| truncate(l, 12))
                .unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(label_font())
        .axis_desc_style(label_font())
        .draw()?;
    let top = chart
        .cells
        .iter()
        .map(|c| c.value.abs())
        .fold(0.0f64, f64::max)
        .max(f64::EPSILON);
    let share = |cell: &HeatCell| (cell.value.abs() / top).clamp(0.0, 1.0);
    plot.draw_series(chart.cells.iter().map(|cell| {
        let shade = (255.0 - share(cell) * 200.0) as u8;
        let y = n - 1 - cell.row;
        Rectangle::new(
            [
                (SegmentValue::Exact(cell.column), SegmentValue::Exact(y)),
                (
                    SegmentValue::Exact(cell.column + 1),
                    SegmentValue::Exact(y + 1),
                ),
            ],
            RGBColor(shade, shade, 255).filled(),
        )
    }))?;
    // Cell texts only where they fit.
    let (width, height) = plot.plotting_area().dim_in_pixel();
    if width as usize / columns < 24 || height as usize / n < 11 {
        return Ok(());
    }
    let text = FontDesc::new(FontFamily::Name(FONT), 10.0, FontStyle::Normal)
        .into_text_style(root)
        .pos(Pos::new(HPos::Center, VPos::Center));
    plot.draw_series(chart.cells.iter().map(|cell| {
        let color: &'static RGBColor = if share(cell) > 0.6 { &WHITE } else { &BLACK };
        Text::new(
            cell.text.clone(),
            (
                SegmentValue::CenterOf(cell.column),
                SegmentValue::CenterOf(n - 1 - cell.row),
            ),
            text.clone().color(color),
        )
    }))?;
    Ok(())
}
