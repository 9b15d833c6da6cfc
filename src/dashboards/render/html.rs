//! The dashboard as one self-contained HTML page: each panel an inline SVG (a table a
//! real HTML table) on a CSS grid matching the layout, every text escaped by minijinja.

use minijinja::{Environment, Value, context};
use plotters::prelude::*;

use super::picture::{failed, pixels};
use super::{RenderError, WIDTH, tiles};
use crate::dashboards::Evaluated;
use crate::dashboards::figure::Figure;
use crate::dashboards::layout;
use crate::export::charts::register_fonts;

/// The page of `evaluated`.
pub fn page(evaluated: &Evaluated) -> Result<String, RenderError> {
    register_fonts();
    let (_, rows) = layout::place(&evaluated.dashboard.panels);
    let mut panels = Vec::new();
    for (panel, place, figure) in evaluated.placed() {
        let (_, _, width, height) = pixels(place, WIDTH);
        let content = match figure {
            Err(error) => context! { error => error.to_string() },
            Ok(Figure::Table {
                columns,
                numeric,
                rows,
                truncated,
            }) => context! { table => context! { columns, numeric, rows, truncated } },
            Ok(_) => {
                let mut svg = String::new();
                {
                    let area =
                        SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
                    tiles::panel(&area, panel, figure)?;
                    area.present().map_err(|e| failed(&panel.title, e))?;
                }
                context! { svg => Value::from_safe_string(svg) }
            }
        };
        panels.push(context! {
            title => &panel.title,
            kind => panel.kind.name(),
            column => place.x + 1,
            width => place.width,
            row => place.y + 1,
            height => place.height,
            ..content
        });
    }
    let ctx = context! {
        title => &evaluated.dashboard.title,
        description => &evaluated.dashboard.description,
        variables => evaluated.bindings.describe(),
        rows => rows,
        panels,
        version => crate::VERSION,
        generated_at => chrono::Local::now().format("%Y-%m-%d %H:%M").to_string(),
    };
    let mut env = Environment::new();
    env.add_template(
        "dashboard.html",
        include_str!("../../../assets/report/dashboard.html.j2"),
    )?;
    Ok(env.get_template("dashboard.html")?.render(ctx)?)
}
