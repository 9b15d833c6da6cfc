//! The bearer token on every `/api/` route: 401 without a known, active one, else the
//! [`Caller`] handed on to the handler, which checks its scope.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::problem;
use super::state::AppState;
use super::tokens::{self, Scope};

/// Who is calling: the token's name and scope, set by [`authenticate`].
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub name: String,
    pub scope: Scope,
}

impl Caller {
    /// 403 unless the caller's scope includes `needed`.
    pub fn require(&self, needed: Scope) -> Result<(), problem::Problem> {
        if self.scope >= needed {
            return Ok(());
        }
        Err(problem::Problem::new(
            StatusCode::FORBIDDEN,
            format!(
                "the token `{}` has the {} scope; this route needs a token with the {needed} scope \
                 (`ecom serve token create --name NAME --scope {needed}`)",
                self.name, self.scope
            ),
        ))
    }
}

impl AppState {
    /// Who presents the request's bearer token, when it is a known, active one.
    pub(crate) fn caller(&self, headers: &header::HeaderMap) -> Option<Caller> {
        let presented = bearer(headers)?;
        let active = self.tokens.read().expect("tokens lock");
        tokens::check(&active, presented).map(|t| Caller {
            name: t.name.clone(),
            scope: t.scope,
        })
    }
}

/// `Authorization: Bearer TOKEN` on every `/api/` route: 401 without a known, active one.
pub(crate) async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    if bearer(request.headers()).is_none() {
        return unauthorized(
            "this route needs `Authorization: Bearer TOKEN`; create a token with `ecom serve token create --name NAME --scope read`",
        );
    }
    match state.caller(request.headers()) {
        Some(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        None => unauthorized(
            "the token is unknown or revoked; `ecom serve token ls` lists the active ones",
        ),
    }
}

/// The token of `Authorization: Bearer TOKEN`, when there is one.
pub(crate) fn bearer(headers: &header::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

pub(crate) fn unauthorized(detail: &str) -> Response {
    let mut response = problem::Problem::new(StatusCode::UNAUTHORIZED, detail).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}
