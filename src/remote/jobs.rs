//! Jobs that write (builds, ML runs, a tail) run inside the server, the single writer:
//! a client with an admin token starts one and polls its record.

use serde::{Deserialize, Serialize};

use super::{Client, RemoteError};

/// What to start (`POST /api/v1/jobs`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum JobStart {
    /// Build the selected nodes of the server's project (all when empty).
    Models { select: Vec<String> },
    /// Segments, recommendations or anomalies with their default options.
    Ml { model: String },
    /// Consume a topic into the server's `stream.*`.
    Tail {
        brokers: String,
        topic: String,
        group: String,
    },
}

/// The server's answer to a start.
#[derive(Debug, Clone, Deserialize)]
pub struct StartedJob {
    pub id: u64,
    pub name: String,
}

/// A job's record as `GET /api/v1/jobs/{id}` gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct RemoteJob {
    pub id: u64,
    pub name: String,
    /// `running`, `succeeded`, `failed` or `cancelled`.
    pub state: String,
    #[serde(default)]
    pub done: Option<u64>,
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub last_error: Option<String>,
}

impl Client {
    pub async fn start_job(&self, start: &JobStart) -> Result<StartedJob, RemoteError> {
        self.post("api/v1/jobs", start).await
    }

    pub async fn job(&self, id: u64) -> Result<RemoteJob, RemoteError> {
        self.get(&format!("api/v1/jobs/{id}")).await
    }

    pub async fn cancel_job(&self, id: u64) -> Result<(), RemoteError> {
        self.delete(&format!("api/v1/jobs/{id}")).await
    }
}
