//! What can go wrong talking to a server, said so the user knows whose move it is: a
//! refusal carries the server's own sentence (its `application/problem+json` detail).

/// A failure of a remote call.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("--remote {url} is not an http(s) URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot reach the server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The server answered with an error status; `detail` is its sentence.
    #[error("{detail} (HTTP {status} from the server)")]
    Refused { status: u16, detail: String },
    #[error("the server's answer could not be read: {0}")]
    Answer(String),
    #[error("query cancelled")]
    Cancelled,
}

impl RemoteError {
    /// The error of a request that did not get an answer, with reqwest's cause chain
    /// (the useful part, e.g. "Connection refused", sits at its end).
    pub(super) fn unreachable(url: &str, error: &reqwest::Error) -> Self {
        let mut reason = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            reason = format!("{reason}: {cause}");
            source = cause.source();
        }
        Self::Unreachable {
            url: url.to_string(),
            reason,
        }
    }

    /// Whether the server refused for want of a scope (a token that may not do this).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::Refused { status: 403, .. })
    }
}
