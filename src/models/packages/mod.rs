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
//!
//! `spec` reads the package file, `lock` the lock file, `sources` installs each kind
//! of entry and `folder` is what the install folder holds.

mod folder;
mod lock;
mod sources;
mod spec;

use std::path::Path;

use serde_json::Value;

pub use folder::{PackageDir, install_dir, installed};
pub use sources::Installed;
pub use spec::{Spec, read_specs};

use super::error::ModelError;
use lock::{lock_hash, read_lock, write_lock};
use sources::{install_git, install_local, keep_hub};

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
