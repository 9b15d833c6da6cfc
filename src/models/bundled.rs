//! The bundled dbt project (`assets/project/`), compiled into the binary: the default
//! project of `ecom models`, written out by `ecom models init DIR`.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

static PROJECT: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets/project");

/// Writes the bundled project into `dir` (files that exist are overwritten only when
/// `overwrite`). Returns the files written.
pub fn write_to(dir: &Path, overwrite: bool) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    write_dir(&PROJECT, dir, overwrite, &mut written)?;
    Ok(written)
}

fn write_dir(
    source: &Dir,
    root: &Path,
    overwrite: bool,
    written: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    for file in source.files() {
        let path = root.join(file.path());
        if path.exists() && !overwrite {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, file.contents())?;
        written.push(path);
    }
    for sub in source.dirs() {
        write_dir(sub, root, overwrite, written)?;
    }
    Ok(())
}

/// The bundled project, unpacked for this ecom version next to the warehouse (so its
/// `target/` artifacts live there too). Refreshed on every call: it is ecom's, not the
/// user's, project.
pub fn unpacked(warehouse: &Path) -> std::io::Result<PathBuf> {
    let base = warehouse
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stem = warehouse
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "warehouse".into());
    let dir = base.join(format!("{stem}.project"));
    write_to(&dir, true)?;
    Ok(dir)
}
