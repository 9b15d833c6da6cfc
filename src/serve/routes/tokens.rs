//! The admin routes over API tokens: list, create and revoke (`/api/v1/tokens`).

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use duckdb::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::serve::auth::Caller;
use crate::serve::pool::Limits;
use crate::serve::problem::Problem;
use crate::serve::rejection::{bad_body, bad_path};
use crate::serve::state::{AppState, Shared};
use crate::serve::tokens::{self, Scope, TokenInfo};

/// Runs an admin action on a pooled connection (never cached).
async fn admin<T: Serialize + Send + 'static>(
    state: &Arc<AppState>,
    caller: &Caller,
    work: impl FnOnce(&Connection, &AppState) -> Result<T, Problem> + Send + 'static,
    status: StatusCode,
) -> Response {
    if let Err(problem) = caller.require(Scope::Admin) {
        return problem.into_response();
    }
    let shared = Arc::clone(state);
    match state
        .pool
        .run(Limits::default(), move |conn| work(conn, &shared))
        .await
    {
        Ok(ran) => match ran.value {
            Ok(value) => (status, Json(value)).into_response(),
            Err(problem) => problem.into_response(),
        },
        Err(e) => Problem::internal(e).into_response(),
    }
}

fn token_problem(error: tokens::TokenError) -> Problem {
    match error {
        tokens::TokenError::Db(e) => Problem::internal(e),
        tokens::TokenError::Random(e) => Problem::internal(e),
        tokens::TokenError::Unknown(_) => Problem::not_found(error.to_string()),
        tokens::TokenError::Exists(_) => Problem::new(StatusCode::CONFLICT, error.to_string()),
        other => Problem::bad_request(other.to_string()),
    }
}

/// Every token (revoked ones too), never the tokens themselves (admin scope).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, body = Vec<TokenInfo>), (status = 401, body = Problem), (status = 403, body = Problem)
))]
pub(super) async fn list_tokens(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
) -> Response {
    admin(
        &state,
        &caller,
        |conn, _| tokens::list(conn).map_err(token_problem),
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    /// 1 to 64 letters, digits, `-`, `_` or `.`.
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    name: String,
    /// `read`, `query` or `admin`.
    #[schema(pattern = "^(read|query|admin)$")]
    scope: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    name: String,
    scope: Scope,
    /// Shown this once: only its hash is kept.
    token: String,
}

/// Creates a token (admin scope); the answer holds the token, shown this once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = NewToken, security(("bearer" = [])), responses(
    (status = 201, body = CreatedToken), (status = 400, body = Problem), (status = 401, body = Problem),
    (status = 403, body = Problem), (status = 409, body = Problem)
))]
pub(super) async fn create_token(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    body: Result<Json<NewToken>, JsonRejection>,
) -> Response {
    let Json(request) = match body {
        Ok(body) => body,
        Err(e) => return bad_body(e, r#"{"name": "…", "scope": "read"}"#),
    };
    admin(
        &state,
        &caller,
        move |conn, state| {
            let scope: Scope = request.scope.parse().map_err(token_problem)?;
            let token = tokens::create(conn, &request.name, scope).map_err(token_problem)?;
            state.reload_tokens(conn).map_err(token_problem)?;
            Ok(CreatedToken {
                name: request.name,
                scope,
                token,
            })
        },
        StatusCode::CREATED,
    )
    .await
}

/// Revokes a token by name (admin scope); it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{name}", tag = "admin", params(("name" = String, Path)),
    security(("bearer" = [])), responses(
    (status = 200, body = Vec<TokenInfo>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
))]
pub(super) async fn revoke_token(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    name: Result<Path<String>, PathRejection>,
) -> Response {
    let Path(name) = match name {
        Ok(p) => p,
        Err(e) => return bad_path(e),
    };
    admin(
        &state,
        &caller,
        move |conn, state| {
            tokens::revoke(conn, &name).map_err(token_problem)?;
            state.reload_tokens(conn).map_err(token_problem)?;
            tokens::list(conn).map_err(token_problem)
        },
        StatusCode::OK,
    )
    .await
}
