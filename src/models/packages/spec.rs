//! `packages.yml` (or `dependencies.yml`): the package entries a project asks for,
//! local, git or hub, each kept with its mapping as written.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::models::error::ModelError;

/// One entry of `packages.yml`, with the mapping as written (dbt hashes it).
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    Local {
        path: String,
        raw: Map<String, Value>,
    },
    Git {
        url: String,
        revision: Option<String>,
        subdirectory: Option<String>,
        raw: Map<String, Value>,
    },
    Hub {
        package: String,
        version: Value,
        raw: Map<String, Value>,
    },
}

impl Spec {
    pub fn describe(&self) -> String {
        match self {
            Self::Local { path, .. } => format!("local {path}"),
            Self::Git { url, revision, .. } => format!(
                "git {url}{}",
                revision
                    .as_ref()
                    .map(|r| format!("@{r}"))
                    .unwrap_or_default()
            ),
            Self::Hub { package, .. } => format!("hub {package}"),
        }
    }

    /// The JSON line dbt's lock hash is made of (its `PackageSpec.to_dict()`).
    pub fn hash_entry(&self) -> Value {
        let mut entry = Map::new();
        match self {
            Self::Local { path, raw } => {
                entry.insert("local".into(), Value::from(path.clone()));
                entry.insert("unrendered".into(), Value::Object(raw.clone()));
            }
            Self::Git {
                url,
                revision,
                subdirectory,
                raw,
            } => {
                entry.insert("git".into(), Value::from(url.clone()));
                entry.insert(
                    "revision".into(),
                    revision.clone().map_or(Value::Null, Value::from),
                );
                entry.insert(
                    "subdirectory".into(),
                    subdirectory.clone().map_or(Value::Null, Value::from),
                );
                entry.insert("unrendered".into(), Value::Object(raw.clone()));
                entry.insert(
                    "warn-unpinned".into(),
                    raw.get("warn-unpinned").cloned().unwrap_or(Value::Null),
                );
            }
            Self::Hub {
                package,
                version,
                raw,
            } => {
                entry.insert(
                    "install_prerelease".into(),
                    raw.get("install-prerelease")
                        .cloned()
                        .unwrap_or(Value::Bool(false)),
                );
                entry.insert("package".into(), Value::from(package.clone()));
                entry.insert("unrendered".into(), Value::Object(raw.clone()));
                entry.insert("version".into(), version.clone());
            }
        }
        Value::Object(entry)
    }
}

/// The package file of a project: `packages.yml`, else `dependencies.yml`.
fn package_file(root: &Path) -> Option<PathBuf> {
    ["packages.yml", "dependencies.yml"]
        .into_iter()
        .map(|name| root.join(name))
        .find(|path| path.is_file())
}

/// The entries of the project's package file (none without one).
pub fn read_specs(root: &Path) -> Result<Vec<Spec>, ModelError> {
    let Some(path) = package_file(root) else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| ModelError::project(&path, format!("cannot read it: {e}")))?;
    let doc: Value =
        serde_norway::from_str(&text).map_err(|e| ModelError::project(&path, e.to_string()))?;
    let entries = doc
        .get("packages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let raw = entry.as_object().cloned().ok_or_else(|| {
                ModelError::project(&path, format!("package {} is not a mapping", i + 1))
            })?;
            let text = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_string);
            if let Some(path) = text("local") {
                Ok(Spec::Local { path, raw })
            } else if let Some(url) = text("git") {
                Ok(Spec::Git {
                    url,
                    revision: raw.get("revision").map(|r| match r {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    }),
                    subdirectory: text("subdirectory"),
                    raw,
                })
            } else if let Some(package) = text("package") {
                Ok(Spec::Hub {
                    package,
                    version: raw.get("version").cloned().unwrap_or(Value::Null),
                    raw,
                })
            } else {
                Err(ModelError::project(
                    &path,
                    format!(
                        "package {} has none of `local:`, `git:` or `package:`",
                        i + 1
                    ),
                ))
            }
        })
        .collect()
}
