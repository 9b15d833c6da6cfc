//! One server: its base URL, the bearer token, and the JSON calls every route shares.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::RemoteError;

/// A client of one `ecom serve`.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: reqwest::Url,
    token: String,
}

/// The body of an error answer (RFC 9457): only its sentence is needed.
#[derive(serde::Deserialize)]
struct Problem {
    detail: String,
}

impl Client {
    /// A client of the server at `url` (`http://host:port`, any path prefix kept).
    pub fn new(url: &str, token: &str) -> Result<Self, RemoteError> {
        let bad = |reason: &str| RemoteError::BadUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let mut base = reqwest::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad("only http:// and https:// are served"));
        }
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("ecom/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RemoteError::unreachable(url, &e))?;
        Ok(Self {
            http,
            base,
            token: token.to_string(),
        })
    }

    /// The server's base URL, as the user gave it.
    pub fn url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// A request to `path` (relative to the base, e.g. `api/v1/tables`) with the token.
    pub(super) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let url = self
            .base
            .join(path.trim_start_matches('/'))
            .expect("route paths are relative URLs");
        self.http.request(method, url).bearer_auth(&self.token)
    }

    /// Sends `request`; an error status becomes [`RemoteError::Refused`] with the
    /// server's sentence.
    pub(super) async fn send(&self, request: RequestBuilder) -> Result<Response, RemoteError> {
        let response = request
            .send()
            .await
            .map_err(|e| RemoteError::unreachable(self.url(), &e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        let detail = serde_json::from_str::<Problem>(&text)
            .map(|p| p.detail)
            .unwrap_or_else(|_| {
                if text.trim().is_empty() {
                    status.canonical_reason().unwrap_or("error").to_string()
                } else {
                    text.trim().to_string()
                }
            });
        Err(RemoteError::Refused {
            status: status.as_u16(),
            detail,
        })
    }

    /// `GET path`, its JSON answer read as `T`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, RemoteError> {
        self.json(self.request(Method::GET, path)).await
    }

    /// `GET path?query`, its JSON answer read as `T` (reqwest encodes the pairs).
    pub async fn get_with<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, RemoteError> {
        self.json(self.request(Method::GET, path).query(query))
            .await
    }

    /// `POST path` with a JSON body, its JSON answer read as `T`.
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, RemoteError> {
        self.json(with_json(self.request(Method::POST, path), body)?)
            .await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Result<(), RemoteError> {
        self.send(self.request(Method::DELETE, path))
            .await
            .map(drop)
    }

    async fn json<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, RemoteError> {
        let response = self.send(request).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| RemoteError::unreachable(self.url(), &e))?;
        serde_json::from_slice(&bytes).map_err(|e| RemoteError::Answer(e.to_string()))
    }

    /// Whether the server is up (`/health`, no token needed).
    pub async fn health(&self) -> Result<serde_json::Value, RemoteError> {
        self.get("health").await
    }

    /// Whether this token may start jobs: `/health` names the warehouse only to an
    /// admin token.
    pub async fn is_admin(&self) -> Result<bool, RemoteError> {
        Ok(Self::health_says_admin(&self.health().await?))
    }

    /// Whether a `/health` answer was given to an admin token (it names the warehouse).
    pub fn health_says_admin(health: &serde_json::Value) -> bool {
        health.get("warehouse").is_some_and(|w| !w.is_null())
    }
}

/// `request` with `body` as its JSON (reqwest's `json` feature would compile reqwest a
/// second way for this one call).
pub(super) fn with_json<B: Serialize + ?Sized>(
    request: RequestBuilder,
    body: &B,
) -> Result<RequestBuilder, RemoteError> {
    let bytes = serde_json::to_vec(body).map_err(|e| RemoteError::Answer(e.to_string()))?;
    Ok(request
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(bytes))
}
