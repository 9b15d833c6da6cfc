//! `ecom config path|show|edit|validate`

use anyhow::{Context, bail};

use super::args::ConfigAction;
use super::{Outcome, Settings};
use crate::config::{Config, TEMPLATE};

pub fn run(action: &ConfigAction, settings: &Settings) -> anyhow::Result<Outcome> {
    match action {
        ConfigAction::Path => println!("{}", settings.config_path.display()),
        ConfigAction::Show => {
            if settings.json {
                println!("{}", serde_json::to_string_pretty(&settings.config)?);
            } else {
                print!("{}", settings.config.to_toml());
            }
        }
        ConfigAction::Validate { file } => {
            let path = file.as_ref().unwrap_or(&settings.config_path);
            if !path.exists() {
                bail!("{} does not exist (the defaults apply)", path.display());
            }
            let config = Config::load(path, true)?;
            crate::tui::keymap::bindings_with(&config.tui.keys)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            println!("{} is valid", path.display());
        }
        ConfigAction::Edit => edit(settings)?,
    }
    Ok(Outcome::SUCCESS)
}

/// Opens the file in the user's editor, creating it from the template first.
fn edit(settings: &Settings) -> anyhow::Result<()> {
    let path = &settings.config_path;
    if !path.exists() {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(path, TEMPLATE)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let (editor, mut command) = crate::paths::editor_command(path);
    let status = command
        .status()
        .with_context(|| format!("cannot start the editor `{editor}` (set $VISUAL or $EDITOR)"))?;
    if !status.success() {
        bail!("the editor `{editor}` exited with {status}");
    }
    Config::load(path, true)?;
    eprintln!("{} is valid", path.display());
    Ok(())
}
