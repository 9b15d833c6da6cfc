//! The install folder (`dbt_packages/`): the packages found in it, each under its
//! project's own name, and the file operations that put a package there.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::models::error::ModelError;

/// A package name that dbt refuses.
#[derive(Debug, thiserror::Error)]
#[error(
    "`{0}` is not a valid package name (letters, digits and underscores, not starting with a digit)"
)]
pub struct InvalidName(String);

/// The install folder of a project (`packages-install-path`, default `dbt_packages`).
pub fn install_dir(root: &Path, project_file: &Value) -> PathBuf {
    root.join(
        project_file
            .get("packages-install-path")
            .and_then(Value::as_str)
            .unwrap_or("dbt_packages"),
    )
}

/// The `name:` of the dbt project in `dir`.
pub fn project_name(dir: &Path) -> Result<String, ModelError> {
    let file = dir.join("dbt_project.yml");
    let text = std::fs::read_to_string(&file).map_err(|e| {
        ModelError::project(&file, format!("a package needs a dbt_project.yml: {e}"))
    })?;
    let doc: Value =
        serde_norway::from_str(&text).map_err(|e| ModelError::project(&file, e.to_string()))?;
    let name = doc
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ModelError::project(&file, "the package's project has no `name`"))?;
    valid_name(name).map_err(|e| ModelError::project(&file, e.to_string()))?;
    Ok(name.to_string())
}

/// dbt's rule for project names, which also keeps a package inside the install folder
/// (a name like `..` or `/home` would otherwise point `dbt_packages/<name>` elsewhere).
pub fn valid_name(name: &str) -> Result<(), InvalidName> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(InvalidName(name.to_string()))
    }
}

/// Replaces whatever sits at `path` (a folder, a file or a symlink).
pub fn clear(path: &Path) -> Result<(), ModelError> {
    let result = match std::fs::symlink_metadata(path) {
        Err(_) => return Ok(()),
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
    };
    result.map_err(|e| ModelError::project(path, format!("cannot replace it: {e}")))
}

#[cfg(unix)]
pub fn link_or_copy(source: &Path, dest: &Path) -> Result<(), ModelError> {
    std::os::unix::fs::symlink(source, dest)
        .map_err(|e| ModelError::project(dest, format!("cannot link the package: {e}")))
}

#[cfg(not(unix))]
pub fn link_or_copy(source: &Path, dest: &Path) -> Result<(), ModelError> {
    copy_tree(source, dest)
}

/// Copies a folder, leaving out `.git` and symbolic links.
pub fn copy_tree(source: &Path, dest: &Path) -> Result<(), ModelError> {
    let fail =
        |path: &Path, e: std::io::Error| ModelError::project(path, format!("cannot copy: {e}"));
    std::fs::create_dir_all(dest).map_err(|e| fail(dest, e))?;
    for entry in std::fs::read_dir(source).map_err(|e| fail(source, e))? {
        let entry = entry.map_err(|e| fail(source, e))?;
        let from = entry.path();
        let kind = entry.file_type().map_err(|e| fail(&from, e))?;
        // A link in a cloned repository could point anywhere on this machine (or at
        // itself): packages are copied without them.
        if entry.file_name() == ".git" || kind.is_symlink() {
            continue;
        }
        let to = dest.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&from, &to)?;
        } else {
            std::fs::copy(&from, &to).map_err(|e| fail(&from, e))?;
        }
    }
    Ok(())
}

/// A package found in the install folder.
#[derive(Debug, Clone)]
pub struct PackageDir {
    pub name: String,
    pub root: PathBuf,
    /// Its `dbt_project.yml`.
    pub project_file: Value,
}

/// The packages in the install folder, by name.
pub fn installed(install_to: &Path) -> Result<Vec<PackageDir>, ModelError> {
    let Ok(entries) = std::fs::read_dir(install_to) else {
        return Ok(Vec::new());
    };
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    dirs.sort();
    let mut found = Vec::new();
    for dir in dirs {
        let file = dir.join("dbt_project.yml");
        if !file.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&file)
            .map_err(|e| ModelError::project(&file, format!("cannot read it: {e}")))?;
        let project_file: Value =
            serde_norway::from_str(&text).map_err(|e| ModelError::project(&file, e.to_string()))?;
        let Some(name) = project_file.get("name").and_then(Value::as_str) else {
            return Err(ModelError::project(
                &file,
                "the package's project has no `name`",
            ));
        };
        valid_name(name).map_err(|e| ModelError::project(&file, e.to_string()))?;
        found.push(PackageDir {
            name: name.to_string(),
            root: dir,
            project_file,
        });
    }
    Ok(found)
}
