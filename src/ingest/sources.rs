//! Turning the command line's PATH arguments into a list of sources: files, folders
//! (recursively), glob patterns, `.gz` files and `-` for standard input.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::error::IngestError;
use super::read_error::ReadError;

/// Where the bytes of one source come from.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    File(PathBuf),
    Stdin,
    /// Bytes compiled into the binary (the bundled sample).
    Embedded(&'static [u8]),
}

/// One input of an ingest run.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The name recorded in `source_file` and shown in messages.
    pub name: String,
    pub kind: SourceKind,
    /// Size on disk (compressed size for `.gz`), for progress; 0 when unknown.
    pub size: u64,
}

impl Source {
    pub fn file(path: &Path) -> Self {
        Self {
            name: path.display().to_string(),
            size: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            kind: SourceKind::File(path.to_owned()),
        }
    }

    /// Standard input (`-` on the command line).
    pub fn stdin() -> Self {
        Self {
            name: "<stdin>".into(),
            kind: SourceKind::Stdin,
            size: 0,
        }
    }

    pub fn embedded(name: &str, bytes: &'static [u8]) -> Self {
        Self {
            name: name.to_string(),
            size: bytes.len() as u64,
            kind: SourceKind::Embedded(bytes),
        }
    }

    /// The source's bytes as a stream, gzip (recognised by its magic bytes) inflated
    /// as they are read; and whether it was gzip.
    pub fn open(&self) -> Result<(Box<dyn Read + '_>, bool), ReadError> {
        let raw: Box<dyn Read> = match &self.kind {
            SourceKind::File(path) => Box::new(std::fs::File::open(path)?),
            SourceKind::Embedded(bytes) => Box::new(&bytes[..]),
            SourceKind::Stdin => Box::new(std::io::stdin().lock()),
        };
        let mut raw = BufReader::with_capacity(64 * 1024, raw);
        let magic = raw.fill_buf()?;
        let gzip = magic.starts_with(&[0x1f, 0x8b]);
        Ok(if gzip {
            (Box::new(flate2::read::MultiGzDecoder::new(raw)), true)
        } else {
            (Box::new(raw), false)
        })
    }

    /// Reads the whole source, never holding more than `max_bytes` of it: a larger
    /// file, or a small gzip that inflates past it (a gzip bomb), is refused with the
    /// reason, as is a binary file (a NUL in its first 64 KiB) before the rest of it is
    /// read.
    pub fn read(&self, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
        let (reader, gzip) = self.open()?;
        let mut bytes = Vec::new();
        match read_start(reader, &mut bytes, max_bytes)? {
            None => Ok(bytes),
            Some(_) => Err(ReadError::TooLarge { gzip, max_bytes }),
        }
    }
}

/// Reads up to `limit` bytes of `reader` into `bytes`, refusing a binary file from its
/// first 64 KiB; returns the reader when more than `limit` bytes follow.
pub fn read_start<'r>(
    mut reader: Box<dyn Read + 'r>,
    bytes: &mut Vec<u8>,
    limit: u64,
) -> Result<Option<Box<dyn Read + 'r>>, ReadError> {
    (&mut reader).take(64 * 1024).read_to_end(bytes)?;
    if super::dialect::looks_binary(bytes) && !super::formats::Format::sniff(bytes).is_binary() {
        return Err(ReadError::Binary);
    }
    (&mut reader)
        .take(limit.saturating_sub(bytes.len() as u64) + 1)
        .read_to_end(bytes)?;
    Ok((bytes.len() as u64 > limit).then_some(reader))
}

/// Whether a file found inside a folder looks like input: delimited text, a workbook,
/// Parquet or JSON lines, each plain or `.gz` (a named file is read whatever its name).
fn is_data_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [
        ".csv", ".tsv", ".txt", ".xlsx", ".parquet", ".jsonl", ".ndjson",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

/// Expands the arguments in order; files named twice are read once.
pub fn expand(args: &[String]) -> Result<Vec<Source>, IngestError> {
    let mut sources: Vec<Source> = Vec::new();
    let mut push = |source: Source| {
        if !sources.iter().any(|s| s.kind == source.kind) {
            sources.push(source);
        }
    };
    for arg in args {
        if arg == "-" {
            push(Source::stdin());
            continue;
        }
        let path = Path::new(arg);
        if path.is_dir() {
            walk(path, is_data_file)?
                .iter()
                .for_each(|p| push(Source::file(p)));
        } else if path.is_file() {
            push(Source::file(path));
        } else if arg.contains(['*', '?', '[']) {
            let matches = glob_files(arg)?;
            if matches.is_empty() {
                return Err(IngestError::NoMatch(arg.clone()));
            }
            matches.iter().for_each(|p| push(Source::file(p)));
        } else {
            return Err(IngestError::NotFound(arg.clone()));
        }
    }
    Ok(sources)
}

fn glob_files(pattern: &str) -> Result<Vec<PathBuf>, IngestError> {
    let paths = glob::glob(pattern).map_err(|e| IngestError::BadPattern {
        pattern: pattern.to_string(),
        reason: e.msg.to_string(),
    })?;
    let mut files = Vec::new();
    for path in paths.flatten() {
        if path.is_dir() {
            files.extend(walk(&path, is_data_file)?);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

/// The files below `dir` that `keep` accepts, recursively, in name order (`ecom open`
/// keeps other files than ingest).
pub fn walk(dir: &Path, keep: fn(&Path) -> bool) -> Result<Vec<PathBuf>, IngestError> {
    let mut found = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| IngestError::Read {
            source_name: dir.display().to_string(),
            source: e,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            found.extend(walk(&path, keep)?);
        } else if keep(&path) {
            found.push(path);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_folders_globs_and_dedupes() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(dir.path().join("a/1.csv"), "x").unwrap();
        std::fs::write(sub.join("2.csv.gz"), "x").unwrap();
        std::fs::write(sub.join("notes.md"), "x").unwrap();
        let root = dir.path().display().to_string();
        let found = expand(&[root.clone(), format!("{root}/a/*.csv")]).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|s| s.name.rsplit('/').next().unwrap().to_string())
            .collect();
        assert_eq!(names, vec!["1.csv", "2.csv.gz"]);
        assert!(matches!(
            expand(&[format!("{root}/nope.csv")]),
            Err(IngestError::NotFound(_))
        ));
        assert!(matches!(
            expand(&[format!("{root}/*.nope")]),
            Err(IngestError::NoMatch(_))
        ));
    }
}
