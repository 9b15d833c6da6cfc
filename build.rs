//! Compiles DuckDB's ICU extension into ecom.
//!
//! duckdb-rs bundles DuckDB without ICU (the extension's sources would push its crate
//! past crates.io's size limit), so every `TIMESTAMPTZ` function, `AT TIME ZONE`,
//! `current_date` and `date_trunc` over `now()` would ask to download `icu` at run
//! time: impossible offline, and surprising in an embedded binary. dbt-duckdb and the
//! DuckDB CLI have it built in. The extension's sources come from DuckDB's own source
//! release on PyPI (the `duckdb` sdist of the exact DuckDB version duckdb-rs bundles),
//! checked against a pinned SHA-256; offline, point `ECOM_DUCKDB_SDIST` at a copy of
//! that file. `warehouse::engine` registers the compiled extension before the first
//! database opens.

use std::path::{Path, PathBuf};
use std::{env, fs, io};

/// DuckDB's source release matching libduckdb-sys 1.20000.1 (DuckDB v2.0.0).
const SDIST_URL: &str = "https://files.pythonhosted.org/packages/c2/7c/dfdf5e9cebefd032f57f09b224993e861ecb55f61e36c709544b04b44f70/duckdb-2.0.0.tar.gz";
const SDIST_SHA256: &str = "09de511ef0dc76a5213e8d3d87a8b89bb4d3e8a6fe73a9f60dc001269946b44f";
/// Where the extension sits inside that archive.
const ICU_DIR: &str = "duckdb-2.0.0/external/duckdb/extension/icu/";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/warehouse/icu_describe.cpp");
    println!("cargo:rerun-if-env-changed=ECOM_DUCKDB_SDIST");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let sdist = locate_sdist(&out);
    let icu = out.join("icu");
    // Written last, so an unpack cut short is redone rather than compiled half-done.
    let unpacked = out.join("icu.unpacked");
    if !unpacked.exists() {
        let _ = fs::remove_dir_all(&icu);
        extract_icu(&sdist, &out).unwrap_or_else(|e| {
            panic!(
                "cannot unpack DuckDB's ICU extension from {}: {e}",
                sdist.display()
            )
        });
        fs::write(&unpacked, SDIST_SHA256).expect("write the unpack marker in OUT_DIR");
    }
    compile(&icu);
}

/// The sdist named by `ECOM_DUCKDB_SDIST`, or a verified download kept in `OUT_DIR`.
fn locate_sdist(out: &Path) -> PathBuf {
    if let Ok(path) = env::var("ECOM_DUCKDB_SDIST") {
        let path = PathBuf::from(path);
        verify(&path).unwrap_or_else(|e| panic!("ECOM_DUCKDB_SDIST={}: {e}", path.display()));
        return path;
    }
    let path = out.join("duckdb-2.0.0.tar.gz");
    if verify(&path).is_ok() {
        return path;
    }
    let partial = out.join("duckdb-2.0.0.tar.gz.part");
    let status = std::process::Command::new("curl")
        .args([
            "--fail",
            "--silent",
            "--show-error",
            "--location",
            "--retry",
            "3",
        ])
        .arg("--output")
        .arg(&partial)
        .arg(SDIST_URL)
        .status();
    let downloaded = matches!(status, Ok(s) if s.success());
    if !downloaded || verify(&partial).is_err() {
        panic!(
            "cannot download DuckDB's source release ({SDIST_URL}), needed to build the ICU \
             extension into ecom. Download it elsewhere (or `pip download duckdb==2.0.0 \
             --no-binary :all: --no-deps`) and set ECOM_DUCKDB_SDIST to the file."
        );
    }
    fs::rename(&partial, &path).expect("rename the download in OUT_DIR");
    path
}

fn verify(path: &Path) -> Result<(), String> {
    use sha2::Digest;
    let bytes = fs::read(path).map_err(|e| e.to_string())?;
    let digest = sha2::Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if hex == SDIST_SHA256 {
        Ok(())
    } else {
        Err(format!("SHA-256 {hex}, expected {SDIST_SHA256}"))
    }
}

/// Unpacks only the extension's folder (a few MB of a 17 MB archive).
fn extract_icu(sdist: &Path, out: &Path) -> io::Result<()> {
    let file = fs::File::open(sdist)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let target = out.join("icu");
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let Some(relative) = name.strip_prefix(ICU_DIR) else {
            continue;
        };
        if relative.is_empty() || !entry.header().entry_type().is_file() {
            continue;
        }
        let dest = target.join(relative);
        fs::create_dir_all(dest.parent().expect("a file has a parent"))?;
        entry.unpack(&dest)?;
    }
    Ok(())
}

/// The extension's C++ (every `.cpp` its CMakeLists lists: all of them but the
/// scripts) and our describe function, against the headers libduckdb-sys built with.
fn compile(icu: &Path) {
    let include = PathBuf::from(
        env::var("DEP_DUCKDB_INCLUDE").expect("libduckdb-sys (bundled) publishes its include dir"),
    );
    let duckdb_root = include
        .parent()
        .and_then(Path::parent)
        .expect("the include dir is duckdb/src/include");
    let mut sources = Vec::new();
    collect_cpp(icu, &mut sources);
    sources.retain(|p| !p.starts_with(icu.join("scripts")));
    sources.sort();
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++17")
        .warnings(false)
        .flag_if_supported("-w")
        .includes(base_include_dirs(duckdb_root))
        .include(icu.join("include"))
        .include(icu.join("collation/include"))
        .include(icu.join("datetime/include"))
        .files(&sources)
        .file("src/warehouse/icu_describe.cpp");
    // libduckdb-sys defines exactly one of these from the profile; the extension's
    // inline code must see the same layout.
    let debug = env::var("DEBUG").is_ok_and(|v| v != "false" && v != "0");
    build.define(if debug { "DEBUG" } else { "NDEBUG" }, None);
    build.compile("ecom_duckdb_icu");
}

/// DuckDB's own include folders (its headers include fmt, zstd and others by bare
/// name), as libduckdb-sys's manifest lists them.
fn base_include_dirs(duckdb_root: &Path) -> Vec<PathBuf> {
    let manifest = fs::read_to_string(duckdb_root.join("manifest.json"))
        .expect("libduckdb-sys unpacks DuckDB with its manifest.json");
    let manifest: serde_json::Value =
        serde_json::from_str(&manifest).expect("DuckDB's manifest.json is JSON");
    manifest["base"]["include_dirs"]
        .as_array()
        .expect("the manifest lists the base include dirs")
        .iter()
        .filter_map(|dir| dir.as_str())
        .map(|dir| duckdb_root.join(dir))
        .collect()
}

fn collect_cpp(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read the unpacked extension") {
        let path = entry.expect("read the unpacked extension").path();
        if path.is_dir() {
            collect_cpp(&path, found);
        } else if path.extension().is_some_and(|e| e == "cpp") {
            found.push(path);
        }
    }
}
