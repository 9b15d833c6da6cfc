//! The answer cache (the reference stack's Redis): whole answers keyed by route,
//! parameters and token scope, valid for one warehouse generation.
//!
//! The key carries [`crate::warehouse::generation`], which every commit of new data in
//! this process moves on (and only this process can write the file), so an entry from
//! before the latest commit can never be found again: it simply ages out.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// A cached answer: its content type and body.
#[derive(Clone)]
pub struct Answer {
    pub content_type: &'static str,
    pub body: Bytes,
    /// For query answers: rows were cut at the limit (also sent as `X-Truncated`, for
    /// the CSV and Arrow formats, which have no field for it).
    pub truncated: bool,
}

impl Answer {
    pub fn json(value: &impl serde::Serialize) -> Result<Self, serde_json::Error> {
        Ok(Self {
            content_type: "application/json",
            body: Bytes::from(serde_json::to_vec(value)?),
            truncated: false,
        })
    }

    /// The answer with its `X-Cache` header.
    pub fn respond(self, hit: bool) -> Response {
        let mut response = self.body.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        headers.insert(
            "x-cache",
            HeaderValue::from_static(if hit { "hit" } else { "miss" }),
        );
        if self.truncated {
            headers.insert("x-truncated", HeaderValue::from_static("true"));
        }
        response
    }
}

pub struct AnswerCache {
    entries: moka::sync::Cache<String, Answer>,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl AnswerCache {
    /// Holds up to `max_bytes` of answers.
    pub fn new(max_bytes: u64) -> Arc<Self> {
        Arc::new(Self {
            entries: moka::sync::Cache::builder()
                .weigher(|key: &String, answer: &Answer| {
                    u32::try_from(key.len() + answer.body.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(max_bytes)
                .build(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        })
    }

    /// The key of an answer: what was asked, by which scope, on which data.
    pub fn key(route: &str, parameters: &str, scope: &str) -> String {
        format!(
            "{}|{scope}|{route}|{parameters}",
            crate::warehouse::generation()
        )
    }

    pub fn get(&self, key: &str) -> Option<Answer> {
        let found = self.entries.get(key);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub fn insert(&self, key: String, answer: Answer) {
        self.entries.insert(key, answer);
    }
}
