//! What the workbench reads and where its jobs run: a warehouse file it holds (its
//! jobs run in this process), or a running `ecom serve` it reads through the API (its
//! jobs run in the server, the single writer).

use std::path::PathBuf;

use anyhow::Context;
use tokio::sync::mpsc::UnboundedSender;

use super::action::Action;
use super::effect::Effect;
use super::jobs::Handles;
use super::panels::{PanelRunner, PanelSource};
use super::remote::{RemoteAccess, RemoteJobs};
use super::worker::{Source, Worker};
use crate::remote::{Blocking, Canceller};
use crate::warehouse::Warehouse;

pub(super) enum Backend {
    Local {
        warehouse: Warehouse,
        project: PathBuf,
        handles: Handles,
    },
    Remote {
        remote: Blocking,
        access: RemoteAccess,
        jobs: RemoteJobs,
    },
}

impl Backend {
    /// The warehouse file the workbench holds; `open` is how its palette opens files.
    pub(super) fn local(
        warehouse: Warehouse,
        open: crate::open::OpenOptions,
    ) -> anyhow::Result<Self> {
        // Global to the database instance: every connection and job of the workbench.
        warehouse.conn().execute_batch(&format!(
            "SET threads = {}",
            super::jobs::background_threads()
        ))?;
        let project = crate::models::bundled::unpacked(warehouse.path())?;
        let mut handles = Handles::default();
        handles.open = open;
        Ok(Self::Local {
            warehouse,
            project,
            handles,
        })
    }

    /// A client of `client`'s server, after checking the token is good there (a bad
    /// one fails here, before the terminal is taken).
    pub(super) fn remote(client: crate::remote::Client) -> anyhow::Result<Self> {
        let remote = Blocking::new(client);
        let url = remote.client.url().to_string();
        let admin = remote
            .block_on(async {
                remote
                    .client
                    .get::<serde_json::Value>("api/v1/tables")
                    .await?;
                remote.client.is_admin().await
            })
            .with_context(|| format!("cannot open the workbench on {url}"))?;
        Ok(Self::Remote {
            remote,
            access: RemoteAccess { url, admin },
            jobs: RemoteJobs::default(),
        })
    }

    /// What the header names: the warehouse file or the server.
    pub(super) fn name(&self) -> String {
        match self {
            Self::Local { warehouse, .. } => warehouse.path().display().to_string(),
            Self::Remote { access, .. } => {
                let role = if access.admin { "admin" } else { "read-only" };
                format!("{} ({role})", access.url)
            }
        }
    }

    pub(super) fn access(&self) -> Option<RemoteAccess> {
        match self {
            Self::Local { .. } => None,
            Self::Remote { access, .. } => Some(access.clone()),
        }
    }

    /// The database worker: on the warehouse, or on a DuckDB of its own that keeps the
    /// server's answers.
    pub(super) fn worker(&self, tx: UnboundedSender<Action>) -> anyhow::Result<Worker> {
        Ok(match self {
            Self::Local {
                warehouse, project, ..
            } => Worker::start(
                warehouse.connect()?,
                Source::Local {
                    project: project.clone(),
                },
                tx,
            ),
            Self::Remote { remote, .. } => Worker::start(
                duckdb::Connection::open_in_memory()?,
                Source::Remote {
                    remote: remote.clone(),
                    canceller: Canceller::default(),
                },
                tx,
            ),
        })
    }

    pub(super) fn panels(&self, tx: UnboundedSender<Action>) -> anyhow::Result<PanelRunner> {
        let source = match self {
            Self::Local { warehouse, .. } => PanelSource::Local(warehouse.connect()?),
            Self::Remote { remote, .. } => PanelSource::Remote(remote.clone()),
        };
        Ok(PanelRunner::new(source, tx))
    }

    /// Starts (or cancels) the job `effect` asks for; false when it is no job's.
    pub(super) fn perform(
        &mut self,
        effect: &Effect,
        tail: &crate::stream::tail::TailOptions,
        tx: &UnboundedSender<Action>,
    ) -> anyhow::Result<bool> {
        match self {
            Self::Local {
                warehouse,
                project,
                handles,
            } => handles.perform(effect, warehouse, project, tail, tx),
            Self::Remote { remote, jobs, .. } => Ok(jobs.perform(effect, remote, tail, tx)),
        }
    }

    /// Jobs of this workbench still running here (a server's go on without it).
    pub(super) fn running(&self) -> usize {
        match self {
            Self::Local { handles, .. } => handles.running(),
            Self::Remote { .. } => 0,
        }
    }

    /// Stops the background work and checkpoints the warehouse, so the next start does
    /// not replay a long write-ahead log (a tail's or a build's commits): DuckDB only
    /// checkpoints by itself when no other transaction runs, which is rare while the
    /// workbench's jobs write.
    pub(super) fn close(self, worker: Worker) {
        match self {
            Self::Local {
                warehouse, handles, ..
            } => {
                handles.close();
                worker.stop();
                if let Err(e) = warehouse.conn().execute_batch("CHECKPOINT") {
                    tracing::warn!(error = %e, "checkpointing the warehouse at exit");
                }
            }
            Self::Remote { .. } => worker.stop(),
        }
    }
}
