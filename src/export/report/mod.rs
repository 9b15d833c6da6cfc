//! `ecom report --out DIR`: what an analyst sends to others. A self-contained
//! `report.html` (charts as inline SVG), a `report.md` with PNG charts beside it, and
//! `report.json` with every figure, all from the marts for a chosen period.
//!
//! `period` says which days, `data` reads the figures, `present` turns them into
//! charts and KPI tiles, and [`write`] renders the three files.

mod data;
mod drill;
mod period;
mod present;

use std::path::{Path, PathBuf};

use duckdb::Connection;
use minijinja::{Environment, Value, context};
use serde::Serialize;

pub use data::{Kpis, ReportData, TableSection, gather, gather_for};
pub use drill::{Figure, rows_sql};
pub use period::{Period, PeriodPreset};
pub use present::{charts, relative_change};

use super::ExportError;
use super::charts::money;
use present::kpi_values;

/// What `write` produced.
#[derive(Debug, Clone, Serialize)]
pub struct ReportFiles {
    pub html: PathBuf,
    pub markdown: PathBuf,
    pub json: PathBuf,
    pub charts: Vec<PathBuf>,
    /// The dashboards' pictures (`ecom report --dashboard NAME`), PNG and SVG each.
    pub dashboards: Vec<PathBuf>,
}

/// A dashboard drawn into the report's folder (`dashboards::render::report_section`
/// makes one): a section of report.html (the SVG inline) and report.md (the PNG).
#[derive(Debug, Clone, Serialize)]
pub struct DashboardSection {
    pub name: String,
    pub title: String,
    /// The variables' values (`period = 2011-11 (…) · country = all`).
    pub variables: String,
    pub svg: PathBuf,
    pub png: PathBuf,
    /// The failed panels' sentences (drawn in place of those panels).
    pub errors: Vec<String>,
}

/// Writes `report.html`, `report.md` (+ `chart-N.png`) and `report.json` into `out`,
/// with a section for each of `dashboards` (already drawn into `out`).
pub fn write(
    conn: &Connection,
    out: &Path,
    period: Option<Period>,
    warehouse: &str,
    dashboards: &[DashboardSection],
) -> Result<ReportFiles, ExportError> {
    let data = gather(conn, period)?;
    std::fs::create_dir_all(out).map_err(|source| ExportError::CreateDir {
        path: out.to_path_buf(),
        source,
    })?;
    let mut rendered = Vec::new();
    let mut pngs = Vec::new();
    for (i, (chart, caption)) in charts(&data).into_iter().enumerate() {
        let png = out.join(format!("chart-{}.png", i + 1));
        chart.to_png(&png)?;
        rendered.push(context! {
            title => chart.title(),
            caption => caption,
            svg => Value::from_safe_string(chart.to_svg()?),
            png => png.file_name().map(|n| n.to_string_lossy().to_string()),
        });
        pngs.push(png);
    }
    let mut sections = Vec::new();
    for d in dashboards {
        let svg = std::fs::read_to_string(&d.svg)?;
        sections.push(context! {
            name => &d.name,
            title => &d.title,
            variables => &d.variables,
            errors => &d.errors,
            svg => Value::from_safe_string(svg),
            png => d.png.file_name().map(|n| n.to_string_lossy().to_string()),
        });
    }
    let row = |name: &str, value: f64| context! { name, text => money(value) };
    let ctx = context! {
        title => "Online retail report",
        period => Value::from(minijinja::value::Serde(data.period)),
        previous => Value::from(minijinja::value::Serde(data.previous)),
        kpis => kpi_values(&data),
        charts => rendered,
        dashboards => sections,
        top_countries => data.top_countries.iter().map(|c| row(&c.0, c.1)).collect::<Vec<_>>(),
        top_products => data.top_products.iter().map(|p| context! { code => p.0.clone(), name => p.1.clone(), text => money(p.2) }).collect::<Vec<_>>(),
        tables => data.anomalies.iter().map(|t| Value::from(minijinja::value::Serde(t.clone()))).collect::<Vec<_>>(),
        version => crate::VERSION,
        generated_at => chrono::Local::now().format("%Y-%m-%d %H:%M").to_string(),
        warehouse => warehouse,
    };
    let mut env = Environment::new();
    env.add_template(
        "report.html",
        include_str!("../../../assets/report/report.html.j2"),
    )?;
    env.add_template(
        "report.md",
        include_str!("../../../assets/report/report.md.j2"),
    )?;
    let html = out.join("report.html");
    std::fs::write(&html, env.get_template("report.html")?.render(&ctx)?)?;
    let markdown = out.join("report.md");
    std::fs::write(&markdown, env.get_template("report.md")?.render(&ctx)?)?;
    let json = out.join("report.json");
    std::fs::write(&json, serde_json::to_vec_pretty(&data)?)?;
    Ok(ReportFiles {
        html,
        markdown,
        json,
        charts: pngs,
        dashboards: dashboards
            .iter()
            .flat_map(|d| [d.png.clone(), d.svg.clone()])
            .collect(),
    })
}
