//! Tab completion of file paths for the palette's `open PATH` and `load PATH`, like a
//! shell: the longest common start of the names that begin with what is typed; a
//! folder gets its `/`; `~/` is the home folder.

use std::path::{Path, PathBuf};

/// What Tab makes of `typed`: the completed text, and the names that still match when
/// more than one does (folders with a trailing `/`), for the palette to list.
pub fn complete(typed: &str) -> (String, Vec<String>) {
    let (folder, start) = match typed.rfind('/') {
        Some(at) => typed.split_at(at + 1),
        None => ("", typed),
    };
    let mut names: Vec<String> = std::fs::read_dir(read_from(folder))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().to_string();
            let shown =
                name.starts_with(start) && (start.starts_with('.') || !name.starts_with('.'));
            let folder = entry.path().is_dir();
            shown.then(|| if folder { format!("{name}/") } else { name })
        })
        .collect();
    names.sort();
    let Some(first) = names.first() else {
        return (typed.to_string(), Vec::new());
    };
    let common = names.iter().fold(first.clone(), |common, name| {
        common
            .chars()
            .zip(name.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a)
            .collect()
    });
    let completed = format!("{folder}{common}");
    if names.len() == 1 {
        return (completed, Vec::new());
    }
    (completed, names)
}

/// The folder to list for the typed folder part (`""` is the current folder).
fn read_from(folder: &str) -> PathBuf {
    match folder.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(rest),
        None if folder.is_empty() => PathBuf::from("."),
        None => Path::new(folder).to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_completes_names_and_folders_like_a_shell() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().display().to_string();
        std::fs::create_dir(dir.path().join("lake")).unwrap();
        std::fs::write(dir.path().join("lines-2010.csv"), "").unwrap();
        std::fs::write(dir.path().join("lines-2011.csv"), "").unwrap();
        std::fs::write(dir.path().join(".hidden"), "").unwrap();
        assert_eq!(
            complete(&format!("{root}/la")),
            (format!("{root}/lake/"), vec![])
        );
        assert_eq!(
            complete(&format!("{root}/li")),
            (
                format!("{root}/lines-201"),
                vec!["lines-2010.csv".to_string(), "lines-2011.csv".to_string()]
            )
        );
        let (_, all) = complete(&format!("{root}/"));
        assert_eq!(
            all,
            vec!["lake/", "lines-2010.csv", "lines-2011.csv"],
            "no hidden files"
        );
        assert_eq!(
            complete(&format!("{root}/zz")),
            (format!("{root}/zz"), vec![])
        );
    }
}
