//! `s3://BUCKET/PREFIX`: DuckDB's `httpfs` extension is not compiled into ecom and ecom
//! never downloads extensions (see `warehouse::engine`), so the objects are copied with
//! `object_store` (the client `ecom export` uses) into a cache folder and opened there.
//! An object already cached with the same size and time is not fetched again, and
//! cached files whose object is gone are removed, so the views always match the bucket.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};

use super::error::OpenError;

/// Downloads in flight at once.
const PARALLEL_DOWNLOADS: usize = 8;

/// Copies the objects of `url` below `cache` (`cache/BUCKET/KEY`) and returns the local
/// path of `PREFIX`: a folder, or the file when the URL names one object.
pub fn fetch(url: &str, endpoint: Option<&str>, cache: &Path) -> Result<PathBuf, OpenError> {
    let rest = url.strip_prefix("s3://").unwrap_or(url);
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(OpenError::NoBucket(url.to_string()));
    }
    let prefix = prefix.trim_matches('/');
    let (store, endpoint_name) = crate::export::store::s3_client(bucket, endpoint)?;
    let place = format!("{url} (endpoint {endpoint_name})");
    let failed = |action: &'static str| {
        let place = place.clone();
        move |error| OpenError::S3 {
            action,
            place: place.clone(),
            error,
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let bucket_dir = cache.join(bucket);
    let root = bucket_dir.join(prefix);
    runtime.block_on(async {
        let listed: Vec<ObjectMeta> = store
            .list(
                (!prefix.is_empty())
                    .then(|| ObjectPath::from(prefix))
                    .as_ref(),
            )
            .try_collect()
            .await
            .map_err(failed("list"))?;
        let objects = if listed.is_empty() {
            match store.head(&ObjectPath::from(prefix)).await {
                Ok(meta) => vec![meta],
                Err(object_store::Error::NotFound { .. }) => {
                    return Err(OpenError::S3Empty(place.clone()));
                }
                Err(e) => return Err(failed("reach")(e)),
            }
        } else {
            listed
        };
        let mut downloads = futures::stream::iter(objects.iter().map(|meta| {
            let local = bucket_dir.join(meta.location.as_ref());
            let store = &store;
            let failed = failed("download");
            async move {
                if is_cached(&local, meta) {
                    return Ok(());
                }
                let bytes = store
                    .get(&meta.location)
                    .await
                    .map_err(&failed)?
                    .bytes()
                    .await
                    .map_err(&failed)?;
                write_cached(&local, &bytes, meta)
            }
        }))
        .buffer_unordered(PARALLEL_DOWNLOADS);
        while let Some(done) = downloads.next().await {
            done?;
        }
        drop(downloads);
        let kept: HashSet<PathBuf> = objects
            .iter()
            .map(|m| bucket_dir.join(m.location.as_ref()))
            .collect();
        remove_stale(&root, &kept)
    })?;
    Ok(root)
}

/// Whether `local` holds the object already: same size, same modification time.
fn is_cached(local: &Path, meta: &ObjectMeta) -> bool {
    std::fs::metadata(local).is_ok_and(|m| {
        m.len() == meta.size
            && m.modified()
                .is_ok_and(|t| t == std::time::SystemTime::from(meta.last_modified))
    })
}

fn write_cached(local: &Path, bytes: &[u8], meta: &ObjectMeta) -> Result<(), OpenError> {
    let cache_error = |source| OpenError::Cache {
        path: local.to_path_buf(),
        source,
    };
    if let Some(parent) = local.parent() {
        std::fs::create_dir_all(parent).map_err(cache_error)?;
    }
    std::fs::write(local, bytes).map_err(cache_error)?;
    std::fs::File::options()
        .write(true)
        .open(local)
        .and_then(|f| f.set_modified(meta.last_modified.into()))
        .map_err(cache_error)
}

/// Removes the cached files below `root` that are no object any more.
fn remove_stale(root: &Path, kept: &HashSet<PathBuf>) -> Result<(), OpenError> {
    if !root.is_dir() {
        return Ok(());
    }
    for file in crate::ingest::sources::walk(root, |_| true)? {
        if !kept.contains(&file) {
            std::fs::remove_file(&file).map_err(|source| OpenError::Cache {
                path: file.clone(),
                source,
            })?;
        }
    }
    Ok(())
}
