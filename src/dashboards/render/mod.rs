//! `ecom dashboard render`: a dashboard's figures drawn headless, with the report's
//! plotters code (`export::charts`), as one PNG or SVG picture or a self-contained HTML
//! page. The panels sit where [`layout::place`] puts them, each grid row
//! [`ROW_PIXELS`] tall, under a header with the title and the variables' values.

mod html;
mod picture;
mod tiles;

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Evaluated;
use super::layout;
use crate::export::ExportError;
use crate::export::report::DashboardSection;

pub use html::page;

/// Width of a rendered dashboard.
pub const WIDTH: u32 = 1600;
/// A rendered dashboard is never shorter than this.
pub const MIN_HEIGHT: u32 = 800;
/// Pixels per grid row.
pub const ROW_PIXELS: u32 = 40;
/// The title and variables above the panels.
pub const HEADER_PIXELS: u32 = 84;

/// What `--out` can be, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
    Html,
}

impl Format {
    /// The accepted outputs, as a usage error names them.
    pub const ACCEPTED: &'static str = "FILE.png, FILE.svg or FILE.html";

    /// The format of `path` by its extension (any case), if it is one of ours.
    pub fn of(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "png" => Some(Self::Png),
            "svg" => Some(Self::Svg),
            "html" | "htm" => Some(Self::Html),
            _ => None,
        }
    }
}

/// What `render` wrote, for `--json` and the report.
#[derive(Debug, Clone, Serialize)]
pub struct Rendered {
    pub out: PathBuf,
    pub width: u32,
    pub height: u32,
    pub panels: Vec<PanelOutcome>,
}

/// One panel of a rendered dashboard, with its error when its query or shape failed.
#[derive(Debug, Clone, Serialize)]
pub struct PanelOutcome {
    pub title: String,
    pub kind: &'static str,
    pub line: usize,
    pub error: Option<String>,
}

impl Rendered {
    /// The panels that failed (drawn as their error sentence).
    pub fn failed(&self) -> impl Iterator<Item = &PanelOutcome> {
        self.panels.iter().filter(|p| p.error.is_some())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{}: the output must be {}", path.display(), Format::ACCEPTED)]
    Format { path: PathBuf },
    #[error(transparent)]
    Draw(#[from] ExportError),
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the dashboard page: {0}")]
    Template(#[from] minijinja::Error),
}

/// The picture's size for `evaluated`: [`WIDTH`] wide, as tall as its grid (never
/// under [`MIN_HEIGHT`]).
pub fn size(evaluated: &Evaluated) -> (u32, u32) {
    let (_, rows) = layout::place(&evaluated.dashboard.panels);
    let height = HEADER_PIXELS + u32::from(rows) * ROW_PIXELS;
    (WIDTH, height.max(MIN_HEIGHT))
}

/// Draws `evaluated` into `out` (PNG, SVG or HTML by its extension). A failing panel
/// shows its error in place; the file is written all the same.
pub fn render(evaluated: &Evaluated, out: &Path) -> Result<Rendered, RenderError> {
    let format = Format::of(out).ok_or_else(|| RenderError::Format {
        path: out.to_path_buf(),
    })?;
    let (width, height) = size(evaluated);
    match format {
        Format::Png => picture::png(evaluated, out, (width, height))?,
        Format::Svg => write(out, &picture::svg(evaluated, (width, height))?)?,
        Format::Html => write(out, &page(evaluated)?)?,
    }
    Ok(Rendered {
        out: out.to_path_buf(),
        width,
        height,
        panels: outcomes(evaluated),
    })
}

/// Every panel's title, kind, line and error.
pub fn outcomes(evaluated: &Evaluated) -> Vec<PanelOutcome> {
    evaluated
        .dashboard
        .panels
        .iter()
        .zip(&evaluated.figures)
        .map(|(panel, figure)| PanelOutcome {
            title: panel.title.clone(),
            kind: panel.kind.name(),
            line: panel.line,
            error: figure.as_ref().err().map(ToString::to_string),
        })
        .collect()
}

/// Draws `evaluated` into the report folder `dir` as `dashboard-NAME.png` and `.svg`,
/// for `ecom report --dashboard NAME`.
pub fn report_section(
    evaluated: &Evaluated,
    name: &str,
    dir: &Path,
) -> Result<DashboardSection, RenderError> {
    let png = dir.join(format!("dashboard-{name}.png"));
    let svg = dir.join(format!("dashboard-{name}.svg"));
    render(evaluated, &png)?;
    render(evaluated, &svg)?;
    Ok(DashboardSection {
        name: name.to_string(),
        title: evaluated.dashboard.title.clone(),
        variables: evaluated.bindings.describe(),
        svg,
        png,
        errors: outcomes(evaluated)
            .into_iter()
            .filter_map(|p| p.error)
            .collect(),
    })
}

fn write(path: &Path, text: &str) -> Result<(), RenderError> {
    std::fs::write(path, text).map_err(|source| RenderError::Write {
        path: path.to_path_buf(),
        source,
    })
}
