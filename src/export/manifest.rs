//! `_manifest.json`: what an exported table's folder holds (files, rows, bytes,
//! hashes, schema, partitioning). The lake writes it last, the S3 upload puts it last
//! and reads the previous one for an incremental export.

use serde::{Deserialize, Serialize};

/// The manifest's file name in each table's folder.
pub const MANIFEST: &str = "_manifest.json";

/// One exported file, as listed in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ManifestFile {
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
    pub blake3: String,
}

/// `_manifest.json` of a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub table: String,
    pub rows: u64,
    pub bytes: u64,
    pub partitioning: Vec<String>,
    pub schema: Vec<(String, String)>,
    pub files: Vec<ManifestFile>,
    pub exported_at: String,
    pub since: Option<String>,
    pub ecom_version: String,
}
