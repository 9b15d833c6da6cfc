//! Where dashboards come from: the shipped ones (built into the binary from
//! `assets/dashboards/`), the config folder's `dashboards/`, and `--dashboards DIR`.
//! A later place wins on a name, so a user's `overview.toml` replaces the shipped one.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use include_dir::{Dir, include_dir};
use serde::Serialize;

use super::error::DashboardError;
use super::spec::{Dashboard, parse};

static SHIPPED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets/dashboards");

/// The shipped dashboard `ecom dashboard new` copies.
pub const TEMPLATE: &str = "overview";

/// Where a dashboard file was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Shipped,
    Config,
    Dir,
}

impl Origin {
    pub fn label(self) -> &'static str {
        match self {
            Self::Shipped => "shipped",
            Self::Config => "config",
            Self::Dir => "--dashboards",
        }
    }
}

/// One dashboard file, not yet read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DashboardFile {
    /// The file stem: what `render NAME` and the picker call it.
    pub name: String,
    pub origin: Origin,
    /// `None` for a shipped one.
    pub path: Option<PathBuf>,
}

/// The folders searched besides the shipped dashboards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Places {
    /// The config folder's `dashboards/` (created by `new`).
    pub config: Option<PathBuf>,
    /// `--dashboards DIR`.
    pub dir: Option<PathBuf>,
}

impl Places {
    /// The places for a config folder and an optional `--dashboards DIR`.
    pub fn new(config_dir: &Path, dir: Option<PathBuf>) -> Self {
        Self {
            config: Some(config_dir.join("dashboards")),
            dir,
        }
    }

    /// Every dashboard, by name, each name once (the last place wins).
    pub fn list(&self) -> Result<Vec<DashboardFile>, DashboardError> {
        let mut found: Vec<DashboardFile> = SHIPPED
            .files()
            .filter_map(|f| {
                let path = f.path();
                let name = path.file_stem()?.to_string_lossy().into_owned();
                (path.extension()? == "toml").then_some(DashboardFile {
                    name,
                    origin: Origin::Shipped,
                    path: None,
                })
            })
            .collect();
        for (origin, folder) in [(Origin::Config, &self.config), (Origin::Dir, &self.dir)] {
            let Some(folder) = folder else { continue };
            for file in toml_files(folder, origin == Origin::Dir)? {
                found.retain(|d| d.name != file.name);
                found.push(DashboardFile { origin, ..file });
            }
        }
        found.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(found)
    }

    /// The dashboard called `name`.
    pub fn find(&self, name: &str) -> Result<DashboardFile, DashboardError> {
        let all = self.list()?;
        all.iter()
            .find(|d| d.name == name)
            .cloned()
            .ok_or_else(|| DashboardError::NotFound {
                name: name.to_string(),
                known: all
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Writes `NAME.toml` into the config folder's `dashboards/`: a copy of the shipped
    /// dashboard to edit. Never overwrites.
    pub fn create(&self, name: &str) -> Result<PathBuf, DashboardError> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(DashboardError::BadName(name.to_string()));
        }
        let folder = self
            .config
            .clone()
            .unwrap_or_else(|| PathBuf::from("dashboards"));
        let path = folder.join(format!("{name}.toml"));
        if path.exists() {
            return Err(DashboardError::Exists { path });
        }
        let write = |source| DashboardError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&folder).map_err(write)?;
        std::fs::write(&path, shipped_text(TEMPLATE).unwrap_or_default()).map_err(write)?;
        Ok(path)
    }
}

impl DashboardFile {
    /// Where the file is, as errors and lists name it.
    pub fn origin_text(&self) -> String {
        match &self.path {
            Some(path) => path.display().to_string(),
            None => format!("{}.toml (shipped)", self.name),
        }
    }

    pub fn text(&self) -> Result<String, DashboardError> {
        match &self.path {
            Some(path) => std::fs::read_to_string(path).map_err(|source| DashboardError::Read {
                path: path.clone(),
                source,
            }),
            None => Ok(shipped_text(&self.name).unwrap_or_default().to_string()),
        }
    }

    /// Reads and parses the file.
    pub fn load(&self) -> Result<Dashboard, DashboardError> {
        parse(&self.text()?, &self.origin_text())
    }

    /// When the file last changed (`None` for a shipped one): the workbench reloads a
    /// dashboard whose time moves.
    pub fn modified(&self) -> Option<SystemTime> {
        std::fs::metadata(self.path.as_ref()?).ok()?.modified().ok()
    }
}

fn shipped_text(name: &str) -> Option<&'static str> {
    SHIPPED.get_file(format!("{name}.toml"))?.contents_utf8()
}

/// The `.toml` files directly in `folder` (a missing folder has none, unless it was
/// named on the command line).
fn toml_files(folder: &Path, must_exist: bool) -> Result<Vec<DashboardFile>, DashboardError> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => return Ok(Vec::new()),
        Err(source) => {
            return Err(DashboardError::Read {
                path: folder.to_path_buf(),
                source,
            });
        }
    };
    let mut files: Vec<DashboardFile> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
        .filter_map(|p| {
            Some(DashboardFile {
                name: p.file_stem()?.to_string_lossy().into_owned(),
                origin: Origin::Config,
                path: Some(p),
            })
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_files_list_beside_and_over_the_shipped_ones() {
        let config = tempfile::tempdir().unwrap();
        let extra = tempfile::tempdir().unwrap();
        let places = Places::new(config.path(), Some(extra.path().to_path_buf()));
        let names = |p: &Places| {
            p.list()
                .unwrap()
                .into_iter()
                .map(|d| (d.name, d.origin))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&places), [(TEMPLATE.to_string(), Origin::Shipped)]);
        let mine = places.create("mine").unwrap();
        assert_eq!(mine, config.path().join("dashboards/mine.toml"));
        assert!(matches!(
            places.create("mine"),
            Err(DashboardError::Exists { .. })
        ));
        assert!(matches!(
            places.create("../x"),
            Err(DashboardError::BadName(_))
        ));
        std::fs::write(extra.path().join("overview.toml"), "title = 'x'").unwrap();
        assert_eq!(
            names(&places),
            [
                ("mine".to_string(), Origin::Config),
                (TEMPLATE.to_string(), Origin::Dir)
            ]
        );
        assert_eq!(
            std::fs::read_to_string(&mine).unwrap(),
            shipped_text(TEMPLATE).unwrap()
        );
        let missing = places.find("nope").unwrap_err().to_string();
        assert_eq!(
            missing,
            "no dashboard is named `nope` (there are: mine, overview)"
        );
    }

    #[test]
    fn the_shipped_dashboard_parses() {
        let places = Places::default();
        let overview = places.find(TEMPLATE).unwrap().load().unwrap();
        assert!(!overview.panels.is_empty());
    }
}
