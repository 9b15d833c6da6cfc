//! `ecom dashboard …`: dashboards as code.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum DashboardAction {
    /// The dashboards found: shipped, in the config folder and in --dashboards DIR.
    Ls,
    /// Copy the shipped dashboard to NAME.toml in the config folder's dashboards/.
    New {
        /// The new dashboard's name (its file stem).
        name: String,
    },
    /// Draw a dashboard into a PNG, SVG or self-contained HTML file.
    Render {
        /// The dashboard's name.
        name: String,
        /// FILE.png, FILE.svg or FILE.html (a self-contained page).
        #[arg(long, value_name = "FILE", value_parser = render_out)]
        out: PathBuf,
        /// A variable's value, KEY=VALUE; repeat for several.
        #[arg(long = "var", value_name = "KEY=VALUE")]
        vars: Vec<String>,
    },
}

/// `--out` must name a format `render` writes: anything else is a usage error.
fn render_out(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    match crate::dashboards::render::Format::of(&path) {
        Some(_) => Ok(path),
        None => Err(format!(
            "use {}",
            crate::dashboards::render::Format::ACCEPTED
        )),
    }
}
