//! The answers to requests axum could not parse (query string, path, JSON body): a
//! 400 (or the rejection's own status) problem saying what was wrong.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::problem::Problem;

pub(crate) fn bad_query(rejection: QueryRejection) -> Response {
    Problem::bad_request(format!(
        "the query string is not valid here: {}",
        rejection.body_text()
    ))
    .into_response()
}

pub(crate) fn bad_path(rejection: PathRejection) -> Response {
    Problem::bad_request(format!(
        "the path is not valid here: {}",
        rejection.body_text()
    ))
    .into_response()
}

/// A body axum could not read as the route's JSON; `example` shows what it takes.
pub(crate) fn bad_body(rejection: JsonRejection, example: &str) -> Response {
    let status = rejection.status();
    let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "the request body is larger than this server accepts (--max-body)".to_string()
    } else {
        format!(
            "the body must be JSON like {example}: {}",
            rejection.body_text()
        )
    };
    Problem::new(status, detail).into_response()
}
