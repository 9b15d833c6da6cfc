//! Uploading a staged table to S3 or any S3-compatible store with `object_store`:
//! files in parallel (multipart above 8 MiB), retried with backoff, stale objects
//! removed, the manifest put last. Credentials and region come the AWS way
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT`, …).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart,
};

use super::error::ExportError;
use super::manifest::{MANIFEST, Manifest};
use crate::jobs::{Progress, ProgressSink, Unit};

/// Files at least this big go up in parts.
const MULTIPART_THRESHOLD: usize = 8 * 1024 * 1024;
/// Uploads in flight at once.
const PARALLEL_UPLOADS: usize = 4;

/// A client of `bucket` configured the AWS way (environment, `endpoint` or
/// `AWS_ENDPOINT` for S3-compatible stores, `us-east-1` when no region is set), with
/// retries; and the endpoint's name for messages. `ecom export` and `ecom open` share it.
pub fn s3_client(
    bucket: &str,
    endpoint: Option<&str>,
) -> Result<(object_store::aws::AmazonS3, String), ExportError> {
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_retry(RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(200),
                max_backoff: Duration::from_secs(4),
                base: 2.0,
            },
            max_retries: 4,
            retry_timeout: Duration::from_secs(30),
        });
    let endpoint = endpoint
        .map(str::to_string)
        .or_else(|| std::env::var("AWS_ENDPOINT").ok());
    if let Some(url) = &endpoint {
        builder = builder
            .with_endpoint(url)
            .with_allow_http(url.starts_with("http://"));
    }
    if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
        builder = builder.with_region("us-east-1");
    }
    let store = builder.build().map_err(ExportError::S3Client)?;
    Ok((store, endpoint.unwrap_or_else(|| "AWS".into())))
}

pub struct S3Target {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    prefix: String,
    endpoint: String,
    runtime: tokio::runtime::Runtime,
}

impl S3Target {
    pub fn connect(
        bucket: &str,
        prefix: &str,
        endpoint: Option<&str>,
    ) -> Result<Self, ExportError> {
        let (store, endpoint) = s3_client(bucket, endpoint)?;
        Ok(Self {
            store: Arc::new(store),
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            endpoint,
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?,
        })
    }

    fn key(&self, schema: &str, table: &str, file: &str) -> ObjectPath {
        let mut parts: Vec<&str> = Vec::new();
        if !self.prefix.is_empty() {
            parts.push(&self.prefix);
        }
        parts.extend([schema, table, file]);
        ObjectPath::from(parts.join("/"))
    }

    fn describe(&self, key: &ObjectPath) -> String {
        format!("s3://{}/{key} (endpoint {})", self.bucket, self.endpoint)
    }

    /// The error of `action` (read, reach, upload, list, delete) on `key`.
    fn failed(
        &self,
        action: &'static str,
        key: &ObjectPath,
        error: object_store::Error,
    ) -> ExportError {
        ExportError::S3 {
            action,
            place: self.describe(key),
            error,
        }
    }

    /// The table's current manifest, if there is one.
    pub fn read_manifest(
        &self,
        schema: &str,
        table: &str,
    ) -> Result<Option<Manifest>, ExportError> {
        let key = self.key(schema, table, MANIFEST);
        self.runtime.block_on(async {
            match self.store.get(&key).await {
                Ok(found) => {
                    let bytes = found
                        .bytes()
                        .await
                        .map_err(|e| self.failed("read", &key, e))?;
                    Ok(serde_json::from_slice(&bytes).ok())
                }
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(self.failed("reach", &key, e)),
            }
        })
    }

    /// Removes the table's manifest before its files change, so no reader trusts a
    /// manifest that no longer describes the files.
    pub fn delete_manifest(&self, schema: &str, table: &str) -> Result<(), ExportError> {
        let key = self.key(schema, table, MANIFEST);
        self.runtime.block_on(async {
            match self.store.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(self.failed("reach", &key, e)),
            }
        })
    }

    /// Uploads the files of the staged table folder `dir`, removes stale objects, then
    /// puts the manifest.
    pub fn publish(
        &self,
        dir: &Path,
        schema: &str,
        table: &str,
        manifest: &Manifest,
        progress: &dyn ProgressSink,
    ) -> Result<(), ExportError> {
        let total_bytes = manifest.bytes;
        self.runtime.block_on(async {
            let mut done = 0u64;
            let local_files = manifest
                .files
                .iter()
                .filter(|f| dir.join(&f.path).is_file());
            let mut uploads = futures::stream::iter(local_files.map(|file| {
                let key = self.key(schema, table, &file.path);
                let local = dir.join(&file.path);
                async move {
                    self.upload(&local, &key).await?;
                    Ok::<u64, ExportError>(file.bytes)
                }
            }))
            .buffer_unordered(PARALLEL_UPLOADS);
            while let Some(bytes) = uploads.next().await {
                done += bytes?;
                progress.report(
                    Progress::new("upload", done, Some(total_bytes), Unit::Bytes)
                        .with_message(format!("{schema}.{table}")),
                );
            }
            drop(uploads);
            self.remove_stale(schema, table, manifest).await?;
            let key = self.key(schema, table, MANIFEST);
            let body = serde_json::to_vec_pretty(manifest)?;
            self.store
                .put(&key, PutPayload::from(body))
                .await
                .map_err(|e| self.failed("upload", &key, e))?;
            Ok(())
        })
    }

    async fn upload(&self, local: &Path, key: &ObjectPath) -> Result<(), ExportError> {
        let bytes = tokio::fs::read(local)
            .await
            .map_err(|source| ExportError::ReadStaged {
                path: local.to_path_buf(),
                source,
            })?;
        let fail = |e: object_store::Error| self.failed("upload", key, e);
        if bytes.len() < MULTIPART_THRESHOLD {
            self.store
                .put(key, PutPayload::from(bytes))
                .await
                .map_err(fail)?;
        } else {
            let upload = self.store.put_multipart(key).await.map_err(fail)?;
            let mut writer = WriteMultipart::new(upload);
            writer.write(&bytes);
            writer.finish().await.map_err(fail)?;
        }
        Ok(())
    }

    /// Deletes objects under the table that the new export did not write (partitions that
    /// no longer exist), keeping what an incremental export leaves in place.
    async fn remove_stale(
        &self,
        schema: &str,
        table: &str,
        manifest: &Manifest,
    ) -> Result<(), ExportError> {
        let prefix = self.key(schema, table, "");
        let listed: Vec<_> = self
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| self.failed("list", &prefix, e))?;
        for object in listed {
            let name = object.location.to_string();
            let relative = name
                .strip_prefix(&format!("{prefix}/"))
                .unwrap_or(&name)
                .to_string();
            let kept = manifest.files.iter().any(|f| f.path == relative) || relative == MANIFEST;
            let older_partition = manifest.since.as_ref().is_some_and(|since| {
                relative
                    .strip_prefix("date=")
                    .and_then(|r| r.split('/').next())
                    .is_some_and(|day| day < since.as_str())
            });
            if !kept && !older_partition {
                self.store
                    .delete(&object.location)
                    .await
                    .map_err(|e| self.failed("delete", &object.location, e))?;
            }
        }
        Ok(())
    }
}
