//! dbt packages. `ecom models deps` installs the `local:` and `git:` entries of
//! `packages.yml` (or `dependencies.yml`) into the install folder (`dbt_packages/`):
//! a symlink for a local package and a copy of the checkout for a git one, each under
//! the package's own project name, as `dbt deps` does. (The packages a package itself
//! depends on are not followed: list them in the project's own packages.yml.) It pins git revisions in
//! `package-lock.yml` (same shape and `sha1_hash` as dbt's, so either tool reads the
//! other's lock) and installs the locked revisions while the lock matches. A hub
//! package needs hub.getdbt.com, which ecom never reaches: one already installed is
//! kept, a missing one is an error saying how to vendor it.
//!
//! Loading a project reads whatever sits in the install folder, however it got there.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use super::ModelError;

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
    fn describe(&self) -> String {
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
    fn hash_entry(&self) -> Value {
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

/// dbt's `sha1_hash` of a package list: SHA-1 of the sorted JSON of each entry.
pub fn lock_hash(specs: &[Spec]) -> String {
    use sha1::Digest;
    let mut lines: Vec<String> = specs.iter().map(|s| python_json(&s.hash_entry())).collect();
    lines.sort();
    let digest = sha1::Sha1::digest(lines.join("\n").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// JSON as Python's `json.dumps(value, sort_keys=True)` writes it (ASCII only,
/// `", "` and `": "` separators), which is what dbt hashes.
fn python_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}: {}", python_string(k), python_json(&map[k])))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(python_json).collect::<Vec<_>>().join(", ")
        ),
        Value::String(s) => python_string(s),
        Value::Bool(true) => "true".into(),
        Value::Bool(false) => "false".into(),
        Value::Null => "null".into(),
        Value::Number(n) => n.to_string(),
    }
}

fn python_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
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

/// The install folder of a project (`packages-install-path`, default `dbt_packages`).
pub fn install_dir(root: &Path, project_file: &Value) -> PathBuf {
    root.join(
        project_file
            .get("packages-install-path")
            .and_then(Value::as_str)
            .unwrap_or("dbt_packages"),
    )
}

/// `ecom models deps`: installs every entry and writes `package-lock.yml`.
pub fn install(root: &Path, install_to: &Path) -> Result<Vec<Installed>, ModelError> {
    let specs = read_specs(root)?;
    let lock_path = root.join("package-lock.yml");
    let hash = lock_hash(&specs);
    let locked = read_lock(&lock_path, &hash);
    std::fs::create_dir_all(install_to)
        .map_err(|e| ModelError::project(install_to, format!("cannot create it: {e}")))?;
    let mut installed = Vec::new();
    let mut lock_entries = Vec::new();
    for spec in &specs {
        // The lock's pin for this git URL (dbt writes one entry per package).
        let pinned = match spec {
            Spec::Git { url, .. } => locked.as_ref().and_then(|entries| {
                entries
                    .iter()
                    .find(|e| e.get("git").and_then(Value::as_str) == Some(url.as_str()))
                    .and_then(|e| e.get("revision").and_then(Value::as_str))
                    .map(str::to_string)
            }),
            _ => None,
        };
        let (done, lock_entry) = match spec {
            Spec::Local { path, .. } => install_local(root, install_to, path)?,
            Spec::Git {
                url,
                revision,
                subdirectory,
                ..
            } => install_git(
                root,
                install_to,
                url,
                pinned.as_deref().or(revision.as_deref()),
                subdirectory.as_deref(),
            )?,
            Spec::Hub {
                package, version, ..
            } => keep_hub(install_to, package, version)?,
        };
        tracing::info!(package = %done.name, source = %spec.describe(), "installed");
        installed.push(done);
        lock_entries.push(lock_entry);
    }
    if !specs.is_empty() {
        write_lock(&lock_path, &lock_entries, &hash)?;
    }
    Ok(installed)
}

/// The lock's entries, when its hash says it was written for these packages.
fn read_lock(path: &Path, hash: &str) -> Option<Vec<Map<String, Value>>> {
    let text = std::fs::read_to_string(path).ok()?;
    let doc: Value = serde_norway::from_str(&text).ok()?;
    if doc.get("sha1_hash").and_then(Value::as_str) != Some(hash) {
        return None;
    }
    doc.get("packages")?
        .as_array()?
        .iter()
        .map(|e| e.as_object().cloned())
        .collect()
}

fn write_lock(path: &Path, entries: &[Map<String, Value>], hash: &str) -> Result<(), ModelError> {
    let doc = serde_json::json!({ "packages": entries, "sha1_hash": hash });
    let text =
        serde_norway::to_string(&doc).map_err(|e| ModelError::project(path, e.to_string()))?;
    std::fs::write(path, text)
        .map_err(|e| ModelError::project(path, format!("cannot write it: {e}")))
}

/// The `name:` of the dbt project in `dir`.
fn project_name(dir: &Path) -> Result<String, ModelError> {
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
    valid_name(name).map_err(|message| ModelError::project(&file, message))?;
    Ok(name.to_string())
}

/// dbt's rule for project names, which also keeps a package inside the install folder
/// (a name like `..` or `/home` would otherwise point `dbt_packages/<name>` elsewhere).
fn valid_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid package name (letters, digits and underscores, not starting with a digit)"
        ))
    }
}

/// A path inside a package that must stay inside it (`subdirectory:`).
fn inside(root: &Path, relative: &str) -> Result<PathBuf, String> {
    let path = Path::new(relative);
    if path.is_absolute()
        || path.components().any(|c| {
            !matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
    {
        return Err(format!(
            "subdirectory `{relative}` must be a path inside the repository"
        ));
    }
    Ok(root.join(path))
}

/// Replaces whatever sits at `path` (a folder, a file or a symlink).
fn clear(path: &Path) -> Result<(), ModelError> {
    let result = match std::fs::symlink_metadata(path) {
        Err(_) => return Ok(()),
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
    };
    result.map_err(|e| ModelError::project(path, format!("cannot replace it: {e}")))
}

fn install_local(
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

#[cfg(unix)]
fn link_or_copy(source: &Path, dest: &Path) -> Result<(), ModelError> {
    std::os::unix::fs::symlink(source, dest)
        .map_err(|e| ModelError::project(dest, format!("cannot link the package: {e}")))
}

#[cfg(not(unix))]
fn link_or_copy(source: &Path, dest: &Path) -> Result<(), ModelError> {
    copy_tree(source, dest)
}

/// Copies a folder, leaving out `.git` and symbolic links.
fn copy_tree(source: &Path, dest: &Path) -> Result<(), ModelError> {
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

/// Runs git, with its stderr in the error.
fn git(args: &[&str], cwd: Option<&Path>) -> Result<String, String> {
    let mut command = Command::new("git");
    command.args(args).env("GIT_TERMINAL_PROMPT", "0");
    if let Some(cwd) = cwd {
        command.current_dir(cwd);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}

fn install_git(
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
        Some(sub) => inside(&dir, sub).map_err(fail)?,
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

fn keep_hub(
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
        valid_name(name).map_err(|message| ModelError::project(&file, message))?;
        found.push(PackageDir {
            name: name.to_string(),
            root: dir,
            project_file,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash dbt 1.9 wrote for this packages.yml (`dbt deps`, recorded).
    #[test]
    fn the_lock_hash_is_dbts() {
        let specs = vec![
            Spec::Local {
                path: "../pkg_local".into(),
                raw: serde_json::json!({"local": "../pkg_local"})
                    .as_object()
                    .unwrap()
                    .clone(),
            },
            Spec::Git {
                url: "file:///tmp/depsx/pkg_git".into(),
                revision: Some("v1.0".into()),
                subdirectory: None,
                raw: serde_json::json!({"git": "file:///tmp/depsx/pkg_git", "revision": "v1.0"})
                    .as_object()
                    .unwrap()
                    .clone(),
            },
        ];
        assert_eq!(
            lock_hash(&specs),
            "88e1d5a70961a895488630c17d1ff0dad6ec9f9d"
        );
    }

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

    #[test]
    fn python_json_escapes_as_python_does() {
        assert_eq!(
            python_json(&serde_json::json!({"b": [1, null], "a": "é\""})),
            r#"{"a": "\u00e9\"", "b": [1, null]}"#
        );
    }
}
