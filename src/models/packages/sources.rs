//! Installing one entry by its kind: a local folder (linked), a git repository
//! (cloned, checked out at its revision, copied) or a hub package (kept when it is
//! already there; ecom never downloads from the hub).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use super::folder::{clear, copy_tree, link_or_copy, project_name};
use crate::models::error::ModelError;

/// A `subdirectory:` that points outside its repository.
#[derive(Debug, thiserror::Error)]
#[error("subdirectory `{0}` must be a path inside the repository")]
pub struct OutsideRepository(String);

/// Why a git command gave no answer.
#[derive(Debug, thiserror::Error)]
enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
    /// Its stderr.
    #[error("{0}")]
    Failed(String),
}

/// What `deps` did with one entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Installed {
    /// The package's project name (its folder under the install path).
    pub name: String,
    /// The entry, as `local PATH`, `git URL@REV` or `hub PACKAGE`.
    pub source: String,
    /// The commit a git package is at.
    pub revision: Option<String>,
}

/// A path inside a package that must stay inside it (`subdirectory:`).
fn inside(root: &Path, relative: &str) -> Result<PathBuf, OutsideRepository> {
    let path = Path::new(relative);
    if path.is_absolute()
        || path.components().any(|c| {
            !matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
    {
        return Err(OutsideRepository(relative.to_string()));
    }
    Ok(root.join(path))
}

pub fn install_local(
    root: &Path,
    install_to: &Path,
    path: &str,
) -> Result<(Installed, Map<String, Value>), ModelError> {
    let source = root.join(path);
    let source = source
        .canonicalize()
        .map_err(|e| ModelError::project(&source, format!("local package not found: {e}")))?;
    let name = project_name(&source)?;
    let dest = install_to.join(&name);
    clear(&dest)?;
    link_or_copy(&source, &dest)?;
    let mut entry = Map::new();
    entry.insert("local".into(), Value::from(path));
    Ok((
        Installed {
            name,
            source: format!("local {path}"),
            revision: None,
        },
        entry,
    ))
}

/// Runs git, with its stderr in the error.
fn git(args: &[&str], cwd: Option<&Path>) -> Result<String, GitError> {
    let mut command = Command::new("git");
    command.args(args).env("GIT_TERMINAL_PROMPT", "0");
    if let Some(cwd) = cwd {
        command.current_dir(cwd);
    }
    let output = command.output().map_err(GitError::Spawn)?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        Err(GitError::Failed(
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ))
    }
}

pub fn install_git(
    root: &Path,
    install_to: &Path,
    url: &str,
    revision: Option<&str>,
    subdirectory: Option<&str>,
) -> Result<(Installed, Map<String, Value>), ModelError> {
    let fail = |message: String| ModelError::project(root.join("packages.yml"), message);
    let checkout = tempfile::tempdir_in(install_to)
        .map_err(|e| fail(format!("cannot make a folder for {url}: {e}")))?;
    let dir = checkout.path().join("repo");
    let dir_text = dir.to_string_lossy().to_string();
    // A relative local path is relative to the project, as dbt reads it.
    let url_for_git = if Path::new(url).is_relative() && !url.contains("://") && !url.contains('@')
    {
        root.join(url).to_string_lossy().to_string()
    } else {
        url.to_string()
    };
    // `--` and `--end-of-options`: a URL or revision from packages.yml is never read
    // as an option of git's.
    git(&["clone", "--quiet", "--", &url_for_git, &dir_text], None)
        .map_err(|e| fail(format!("cannot clone {url}: {e}")))?;
    if let Some(revision) = revision {
        let resolve = |candidate: String| {
            git(
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    "--end-of-options",
                    &candidate,
                ],
                Some(&dir),
            )
        };
        let sha = resolve(format!("{revision}^{{commit}}"))
            .or_else(|_| resolve(format!("origin/{revision}^{{commit}}")))
            .map_err(|_| fail(format!("{url} has no revision {revision}")))?;
        git(&["checkout", "--quiet", "--detach", &sha], Some(&dir))
            .map_err(|e| fail(format!("{url}: cannot check out {revision}: {e}")))?;
    }
    let sha = git(&["rev-parse", "HEAD"], Some(&dir)).map_err(|e| fail(format!("{url}: {e}")))?;
    let package_root = match subdirectory {
        Some(sub) => inside(&dir, sub).map_err(|e| fail(e.to_string()))?,
        None => dir.clone(),
    };
    let name = project_name(&package_root)?;
    let dest = install_to.join(&name);
    clear(&dest)?;
    copy_tree(&package_root, &dest)?;
    let mut entry = Map::new();
    entry.insert("git".into(), Value::from(url));
    entry.insert("revision".into(), Value::from(sha.clone()));
    if let Some(sub) = subdirectory {
        entry.insert("subdirectory".into(), Value::from(sub));
    }
    Ok((
        Installed {
            name,
            source: format!("git {url}"),
            revision: Some(sha),
        },
        entry,
    ))
}

pub fn keep_hub(
    install_to: &Path,
    package: &str,
    version: &Value,
) -> Result<(Installed, Map<String, Value>), ModelError> {
    let name = package.rsplit('/').next().unwrap_or(package).to_string();
    let dest = install_to.join(&name);
    if !dest.join("dbt_project.yml").is_file() {
        return Err(ModelError::project(
            install_to,
            format!(
                "{package} is a dbt Hub package, and ecom never downloads from hub.getdbt.com. \
                 Vendor it: clone its repository and list it as `git: <url>` with a `revision:` \
                 (a local path works) or as `local: <folder>`, or put its files in {}",
                dest.display()
            ),
        ));
    }
    let mut entry = Map::new();
    entry.insert("package".into(), Value::from(package));
    entry.insert("version".into(), version.clone());
    Ok((
        Installed {
            name,
            source: format!("hub {package} (already installed, kept)"),
            revision: None,
        },
        entry,
    ))
}

#[cfg(test)]
mod tests {
    use super::super::folder::valid_name;
    use super::*;

    #[test]
    fn names_and_subdirectories_stay_inside_their_folders() {
        assert!(valid_name("dbt_utils").is_ok());
        for hostile in ["..", "/home/u", "a/b", "1pkg", ""] {
            assert!(valid_name(hostile).is_err(), "{hostile}");
        }
        assert!(inside(Path::new("/r"), "sub/dir").is_ok());
        for hostile in ["../x", "/etc", "a/../../b"] {
            assert!(inside(Path::new("/r"), hostile).is_err(), "{hostile}");
        }
    }
}
