//! View names from file and folder names: lower case, letters, digits and `_` only, so
//! they can be typed in SQL without quotes; unique within the schema.

use std::collections::{HashMap, HashSet};
use std::path::Path;

/// `Online Retail (2011).csv.gz` → `online_retail_2011`; a name that starts with a digit
/// gets a leading `_` (`2010-12-01.csv` → `_2010_12_01`), an empty one is `view`.
pub fn sanitize(hint: &str) -> String {
    let mut name = String::new();
    for c in hint.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.ends_with('_') {
            name.push('_');
        }
    }
    let name = name.trim_matches('_');
    match name.chars().next() {
        None => "view".to_string(),
        Some(c) if c.is_ascii_digit() => format!("_{name}"),
        Some(_) => name.to_string(),
    }
}

/// A file's name without its data extensions (`x.csv.gz` → `x`).
pub fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".GZ"))
        .unwrap_or(&name);
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => name.to_string(),
    }
}

/// Hands out names in one schema: a name already there is taken again only for the same
/// source (opening a file twice replaces its view), else it gets `_2`, `_3`, ….
pub struct Namer {
    /// Relations already in the schema, with the source recorded in their comment.
    existing: HashMap<String, String>,
    given: HashSet<String>,
}

impl Namer {
    pub fn new(existing: HashMap<String, String>) -> Self {
        Self {
            existing,
            given: HashSet::new(),
        }
    }

    pub fn name(&mut self, hint: &str, source: &str) -> String {
        let base = sanitize(hint);
        let free = |name: &str, namer: &Self| {
            !namer.given.contains(name) && namer.existing.get(name).is_none_or(|s| s == source)
        };
        let mut name = base.clone();
        let mut n = 2;
        while !free(&name, self) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.given.insert(name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_typable_and_unique() {
        assert_eq!(sanitize("Online Retail (2011)"), "online_retail_2011");
        assert_eq!(sanitize("2010-12-01"), "_2010_12_01");
        assert_eq!(sanitize("--"), "view");
        assert_eq!(file_stem(Path::new("/a/x.csv.gz")), "x");
        assert_eq!(file_stem(Path::new("/a/y.parquet")), "y");
        assert_eq!(file_stem(Path::new("/a/.hidden")), ".hidden");
        let mut namer = Namer::new(HashMap::from([
            ("sales".to_string(), "/old/sales.csv".to_string()),
            ("lines".to_string(), "/a/lines.csv".to_string()),
        ]));
        assert_eq!(namer.name("sales", "/new/sales.csv"), "sales_2");
        assert_eq!(namer.name("lines", "/a/lines.csv"), "lines", "same source");
        assert_eq!(namer.name("lines", "/b/lines.csv"), "lines_2");
        assert_eq!(namer.name("Lines", "/c/lines.csv"), "lines_3");
    }
}
