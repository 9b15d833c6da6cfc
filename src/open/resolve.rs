//! Turning one PATH into the groups of files that each become a view: a file is one
//! group; a folder gives one group per table folder and format (a table folder is the
//! part of a file's folder above its first `key=value` partition, so a Hive-partitioned
//! lake gives one view per table with the partitions as columns); a glob gives one group
//! per format. Formats are recognised from the content, like `ecom ingest` does.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::error::OpenError;
use super::names::file_stem;
use crate::ingest::Source;
use crate::ingest::formats::Format;
use crate::ingest::read_error::ReadError;

/// Files read together as one view.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// What the view's name derives from.
    pub hint: String,
    /// Where the files come from, as the user named it (the view's comment).
    pub source: String,
    pub format: Format,
    /// Absolute paths, in name order.
    pub files: Vec<PathBuf>,
    /// A glob that matches exactly `files` (so a view over a folder sees files added
    /// later), when there is one.
    pub pattern: Option<String>,
    /// Partition folders (`date=2010-12-01`) below the table folder: read as columns.
    pub hive: bool,
    /// Some file is gzip (Parquet and workbooks cannot be read so in place).
    pub gzip: bool,
    /// Every file is gzip without a `.gz` name, so DuckDB must be told.
    pub gzip_unnamed: bool,
}

impl Group {
    /// A group of no files yet, named after `hint`, from `source`.
    fn new(hint: String, source: String, format: Format) -> Self {
        Self {
            hint,
            source,
            format,
            files: Vec::new(),
            pattern: None,
            hive: false,
            gzip: false,
            gzip_unnamed: true,
        }
    }
}

/// The groups of `path` (a file, a folder or a glob); `display` is how the sources are
/// named (the path, or the `s3://` URL it was fetched from).
pub fn resolve(path: &str, display: &str) -> Result<Vec<Group>, OpenError> {
    let local = Path::new(path);
    if local.is_file() {
        let file = std::path::absolute(local)?;
        let (format, gzip) = sniff(&file)?;
        let mut group = Group::new(file_stem(&file), display.to_string(), format);
        group.gzip = gzip;
        group.gzip_unnamed = gzip && !has_gz_name(&file);
        group.files.push(file);
        return Ok(vec![group]);
    }
    if local.is_dir() {
        return folder(&std::path::absolute(local)?, display);
    }
    if path.contains(['*', '?', '[']) {
        return glob_groups(path, display);
    }
    Err(OpenError::NotFound)
}

/// Whether a file found in a folder is data `ecom open` reads: by its extension (plain
/// or `.gz`), never a hidden file or a `_manifest.json`-like bookkeeping file.
fn is_open_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.starts_with(['_', '.']) {
        return false;
    }
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [
        ".csv", ".tsv", ".txt", ".tab", ".psv", ".parquet", ".json", ".jsonl", ".ndjson", ".xlsx",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

fn has_gz_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// A file's format from its first bytes (inflated when it is gzip), and whether it is gzip.
fn sniff(path: &Path) -> Result<(Format, bool), OpenError> {
    let source = Source::file(path);
    let (reader, gzip) = source.open()?;
    let mut head = Vec::new();
    reader.take(4096).read_to_end(&mut head)?;
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadError::Empty.into());
    }
    Ok((Format::sniff(&head), gzip))
}

/// The extension a folder's glob can use: `.csv`, or `.csv.gz` for gzip.
fn data_extension(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let (rest, gz) = match name.strip_suffix(".gz") {
        Some(rest) => (rest, ".gz"),
        None => (name.as_str(), ""),
    };
    let ext = rest.rsplit_once('.').map_or("", |(_, e)| e);
    format!(".{ext}{gz}")
}

/// One group per table folder and format below `root`.
fn folder(root: &Path, display: &str) -> Result<Vec<Group>, OpenError> {
    let files = crate::ingest::sources::walk(root, is_open_file)?;
    if files.is_empty() {
        return Err(OpenError::NoDataFiles);
    }
    let root_name = file_stem(root);
    let mut groups: BTreeMap<(PathBuf, &'static str), Group> = BTreeMap::new();
    for file in &files {
        let (format, gzip) = sniff(file).map_err(|e| with_file(e, file))?;
        let below = file
            .parent()
            .and_then(|p| p.strip_prefix(root).ok())
            .unwrap_or(Path::new(""));
        let table: Vec<String> = below
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .take_while(|c| !c.contains('='))
            .collect();
        let hive = below.components().count() > table.len();
        let table_dir = table.iter().fold(root.to_path_buf(), |d, c| d.join(c));
        let group = groups.entry((table_dir, format.name())).or_insert_with(|| {
            if table.is_empty() {
                Group::new(root_name.clone(), display.to_string(), format)
            } else {
                let source = format!("{}/{}", display.trim_end_matches('/'), table.join("/"));
                Group::new(table.join("_"), source, format)
            }
        });
        group.hive |= hive;
        group.gzip |= gzip;
        group.gzip_unnamed &= gzip && !has_gz_name(file);
        group.files.push(file.clone());
    }
    Ok(groups
        .into_iter()
        .map(|((table_dir, _), mut group)| {
            group.pattern = folder_glob(&table_dir, &group.files, &files);
            group
        })
        .collect())
}

/// `TABLE_DIR/**/*.EXT` when that matches exactly the group's files.
fn folder_glob(table_dir: &Path, group: &[PathBuf], all: &[PathBuf]) -> Option<String> {
    let dir = table_dir.to_str()?;
    if dir.contains(['*', '?', '[', '{']) {
        return None;
    }
    let ext = data_extension(group.first()?);
    if group.iter().any(|f| data_extension(f) != ext) {
        return None;
    }
    let matching = all
        .iter()
        .filter(|f| f.starts_with(table_dir) && f.to_string_lossy().ends_with(&ext))
        .count();
    (matching == group.len()).then(|| format!("{dir}/**/*{ext}"))
}

/// A file of a folder that does not read is named in the error.
fn with_file(error: OpenError, file: &Path) -> OpenError {
    OpenError::InFile {
        file: file.to_path_buf(),
        source: Box::new(error),
    }
}

/// One group per format of the files the glob matches (folders it matches included).
fn glob_groups(pattern: &str, display: &str) -> Result<Vec<Group>, OpenError> {
    let paths = glob::glob(pattern).map_err(|e| OpenError::BadPattern(e.msg.to_string()))?;
    let mut files = Vec::new();
    for path in paths.flatten() {
        if path.is_dir() {
            files.extend(crate::ingest::sources::walk(&path, is_open_file)?);
        } else {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(OpenError::NoMatch);
    }
    let last = pattern.rsplit('/').next().unwrap_or(pattern);
    let hint = file_stem(Path::new(last)).replace(['*', '?', '[', ']'], "");
    let hint = if super::names::sanitize(&hint) == "view" {
        Path::new(pattern)
            .parent()
            .map(file_stem)
            .unwrap_or_default()
    } else {
        hint
    };
    let mut groups: BTreeMap<&'static str, Group> = BTreeMap::new();
    for file in files {
        let file = std::path::absolute(&file)?;
        let (format, gzip) = sniff(&file).map_err(|e| with_file(e, &file))?;
        let group = groups
            .entry(format.name())
            .or_insert_with(|| Group::new(hint.clone(), display.to_string(), format));
        group.gzip |= gzip;
        group.gzip_unnamed &= gzip && !has_gz_name(&file);
        group.files.push(file);
    }
    Ok(groups.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lake_folder_gives_one_group_per_table_with_partitions() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("lake");
        for day in ["date=2010-12-01", "date=2010-12-02"] {
            let d = root.join("raw/order_lines").join(day);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("part-0.parquet"), b"PAR1....").unwrap();
        }
        std::fs::write(root.join("raw/order_lines/_manifest.json"), "{}").unwrap();
        std::fs::create_dir_all(root.join("csv")).unwrap();
        std::fs::write(root.join("csv/a.csv"), "a,b\n1,2\n").unwrap();
        std::fs::write(root.join("csv/b.json"), "{\"a\": 1}\n").unwrap();
        let groups = resolve(root.to_str().unwrap(), "lake").unwrap();
        let summary: Vec<_> = groups
            .iter()
            .map(|g| {
                (
                    g.hint.as_str(),
                    g.source.as_str(),
                    g.format,
                    g.files.len(),
                    g.hive,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("csv", "lake/csv", Format::Csv, 1, false),
                ("csv", "lake/csv", Format::Json, 1, false),
                (
                    "raw_order_lines",
                    "lake/raw/order_lines",
                    Format::Parquet,
                    2,
                    true
                ),
            ]
        );
        let lines = &groups[2];
        assert_eq!(
            lines.pattern.as_deref(),
            Some(format!("{}/raw/order_lines/**/*.parquet", root.display()).as_str())
        );
        assert!(
            groups[0]
                .pattern
                .as_deref()
                .is_some_and(|p| p.ends_with("/lake/csv/**/*.csv")),
            "the .json beside the .csv is another view"
        );
        assert!(matches!(
            resolve(&format!("{}/nope", root.display()), "x"),
            Err(OpenError::NotFound)
        ));
        assert!(matches!(
            resolve(&format!("{}/*.nope", root.display()), "x"),
            Err(OpenError::NoMatch)
        ));
        let globbed = resolve(&format!("{}/csv/*.csv", root.display()), "g").unwrap();
        assert_eq!((globbed.len(), globbed[0].hint.as_str()), (1, "csv"));
    }
}
