//! The whole dashboard as one picture: a header, then each panel in its sub-area of the
//! root, split by the layout's grid.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{HEADER_PIXELS, ROW_PIXELS, RenderError, tiles};
use crate::dashboards::Evaluated;
use crate::dashboards::layout::{self, Placed};
use crate::dashboards::spec::GRID_COLUMNS;
use crate::export::ExportError;
use crate::export::charts::{font, register_fonts, truncate};

/// Space between neighbouring panels, in pixels.
const GAP: u32 = 8;

pub(super) fn png(evaluated: &Evaluated, out: &Path, size: (u32, u32)) -> Result<(), RenderError> {
    register_fonts();
    let root = BitMapBackend::new(out, size).into_drawing_area();
    draw(&root, evaluated)?;
    root.present().map_err(|e| ExportError::WriteChart {
        path: out.to_path_buf(),
        detail: format!("{e:?}"),
    })?;
    Ok(())
}

pub(super) fn svg(evaluated: &Evaluated, size: (u32, u32)) -> Result<String, RenderError> {
    register_fonts();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        draw(&root, evaluated)?;
        root.present()
            .map_err(|e| failed(&evaluated.dashboard.title, e))?;
    }
    Ok(text)
}

/// A drawing error, named after what was being drawn.
pub(super) fn failed(what: &str, error: impl std::fmt::Debug) -> ExportError {
    ExportError::Draw {
        chart: what.to_string(),
        detail: format!("{error:?}"),
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    evaluated: &Evaluated,
) -> Result<(), RenderError> {
    let title = &evaluated.dashboard.title;
    root.fill(&RGBColor(243, 244, 246))
        .map_err(|e| failed(title, e))?;
    let (header, body) = root.split_vertically(HEADER_PIXELS);
    let width = root.dim_in_pixel().0;
    let characters = (width / 9) as usize;
    header
        .draw(&Text::new(
            truncate(title, characters / 2),
            (GAP as i32 * 2, 16),
            font(28.0, true).color(&RGBColor(17, 24, 39)),
        ))
        .map_err(|e| failed(title, e))?;
    header
        .draw(&Text::new(
            truncate(&evaluated.bindings.describe(), characters),
            (GAP as i32 * 2, 54),
            font(15.0, false).color(&RGBColor(75, 85, 99)),
        ))
        .map_err(|e| failed(title, e))?;
    for (panel, place, figure) in evaluated.placed() {
        let (x, y, w, h) = pixels(place, width);
        let area = body.clone().shrink((x, y), (w, h));
        tiles::panel(&area, panel, figure)?;
    }
    Ok(())
}

/// A panel's rectangle inside the body, `width` pixels wide: (x, y, width, height),
/// inset by half the gap on each side.
pub(super) fn pixels(place: Placed, width: u32) -> (u32, u32, u32, u32) {
    let (x, w) = layout::scale(place.x, place.width, GRID_COLUMNS, width - GAP);
    let (y, h) = (
        u32::from(place.y) * ROW_PIXELS,
        u32::from(place.height) * ROW_PIXELS,
    );
    (x + GAP, y, w.saturating_sub(GAP), h.saturating_sub(GAP))
}
