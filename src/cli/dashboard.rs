//! `ecom dashboard`: a thin layer over `crate::dashboards`.

use serde::Serialize;

use super::args::DashboardAction;
use super::output::write_table;
use super::{Outcome, Settings};
use crate::dashboards::render::{self, Rendered};
use crate::dashboards::{DashboardFile, Places, Selection, evaluate};

pub fn run(action: DashboardAction, settings: &Settings) -> anyhow::Result<Outcome> {
    let places = Places::new(&settings.config_dir(), settings.dashboards_dir.clone());
    match action {
        DashboardAction::Ls => ls(&places, settings),
        DashboardAction::New { name } => {
            let path = places.create(&name)?;
            if settings.json {
                println!("{}", serde_json::json!({ "path": path }));
            } else {
                println!("{}", path.display());
            }
            Ok(Outcome::SUCCESS)
        }
        DashboardAction::Render { name, out, vars } => {
            let dashboard = places.find(&name)?.load()?;
            let selection = Selection::from_args(&dashboard, &vars)?;
            let warehouse = settings.open_warehouse()?;
            let evaluated = evaluate(warehouse.conn(), dashboard, &selection)?;
            let rendered = render::render(&evaluated, &out)?;
            report(&rendered, settings)
        }
    }
}

/// One line of `ls`: the file, and its title and panels or why it does not parse.
#[derive(Debug, Serialize)]
struct Listed {
    #[serde(flatten)]
    file: DashboardFile,
    title: Option<String>,
    panels: Option<usize>,
    error: Option<String>,
}

fn ls(places: &Places, settings: &Settings) -> anyhow::Result<Outcome> {
    let listed: Vec<Listed> = places
        .list()?
        .into_iter()
        .map(|file| match file.load() {
            Ok(d) => Listed {
                title: Some(d.title),
                panels: Some(d.panels.len()),
                error: None,
                file,
            },
            Err(e) => Listed {
                title: None,
                panels: None,
                error: Some(e.to_string()),
                file,
            },
        })
        .collect();
    if settings.json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(Outcome::SUCCESS);
    }
    let rows: Vec<Vec<String>> = listed
        .iter()
        .map(|l| {
            vec![
                l.file.name.clone(),
                l.file.origin.label().to_string(),
                l.file.origin_text(),
                match (&l.title, &l.error) {
                    (Some(title), _) => title.clone(),
                    (None, Some(error)) => format!("error: {error}"),
                    (None, None) => String::new(),
                },
                l.panels.map(|n| n.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    write_table(
        &mut std::io::stdout().lock(),
        &["name", "origin", "path", "title", "panels"],
        &[false, false, false, false, true],
        &rows,
    )?;
    Ok(Outcome::SUCCESS)
}

/// Prints what `render` wrote; a failed panel (drawn as its error) fails the command.
fn report(rendered: &Rendered, settings: &Settings) -> anyhow::Result<Outcome> {
    if settings.json {
        println!("{}", serde_json::to_string_pretty(rendered)?);
    } else {
        println!(
            "wrote {} ({}×{} px, {} panels)",
            rendered.out.display(),
            rendered.width,
            rendered.height,
            rendered.panels.len()
        );
    }
    let failed: Vec<&str> = rendered
        .failed()
        .filter_map(|p| p.error.as_deref())
        .collect();
    if failed.is_empty() {
        return Ok(Outcome::SUCCESS);
    }
    for error in &failed {
        eprintln!("{error}");
    }
    Ok(Outcome::failed(format!(
        "{} of {} panels failed (drawn as their error in {})",
        failed.len(),
        rendered.panels.len(),
        rendered.out.display()
    )))
}
