//! `POST /api/v1/query` answered as Arrow IPC: batches are decoded as their bytes
//! arrive, so the first rows are in hand before the last leave the server, and a
//! cancel drops the connection mid-answer.

use arrow::buffer::Buffer;
use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::StreamDecoder;
use arrow::record_batch::RecordBatch;
use reqwest::Method;
use serde::Serialize;

use super::client::with_json;
use super::{Cancel, Client, RemoteError};

/// The Arrow stream media type the query route answers with.
const ARROW_STREAM: &str = "application/vnd.apache.arrow.stream";

/// One query for the server.
#[derive(Debug, Clone, Serialize)]
pub struct QueryRequest {
    pub sql: String,
    /// Rows at most (the server's default when `None`, capped by its `--max-rows`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// What a streamed answer was.
#[derive(Debug, Clone)]
pub struct Answered {
    pub schema: SchemaRef,
    pub rows: u64,
    /// The server cut the rows (at the limit, its `--max-rows` or its answer size).
    pub truncated: bool,
}

impl Client {
    /// Runs `request` on the server, handing each batch of rows to `on_batch` as it is
    /// decoded; stops (closing the connection) when `cancel` fires.
    pub async fn query<E: From<RemoteError>>(
        &self,
        request: &QueryRequest,
        cancel: &mut Cancel,
        mut on_batch: impl FnMut(&RecordBatch) -> Result<(), E>,
    ) -> Result<Answered, E> {
        let post = self
            .request(Method::POST, "api/v1/query")
            .header(reqwest::header::ACCEPT, ARROW_STREAM);
        let sent = self.send(with_json(post, request)?);
        let sent = async { sent.await.map_err(E::from) };
        let mut response = cancel.run(sent).await?;
        let truncated = response
            .headers()
            .get("x-truncated")
            .is_some_and(|v| v.as_bytes() == b"true");
        let mut decoder = StreamDecoder::new();
        let mut rows = 0u64;
        loop {
            let chunk = cancel.run(async {
                response
                    .chunk()
                    .await
                    .map_err(|e| E::from(RemoteError::unreachable(self.url(), &e)))
            });
            let Some(bytes) = chunk.await? else { break };
            let mut buffer = Buffer::from(bytes);
            while !buffer.is_empty() {
                let decoded = decoder.decode(&mut buffer).map_err(answer_error)?;
                if let Some(batch) = decoded {
                    rows += batch.num_rows() as u64;
                    on_batch(&batch)?;
                }
            }
        }
        decoder.finish().map_err(answer_error)?;
        let schema = decoder
            .schema()
            .ok_or_else(|| RemoteError::Answer("the answer held no Arrow schema".into()))?;
        Ok(Answered {
            schema,
            rows,
            truncated,
        })
    }
}

fn answer_error<E: From<RemoteError>>(error: arrow::error::ArrowError) -> E {
    RemoteError::Answer(format!("bad Arrow IPC: {error}")).into()
}
