//! The OpenAPI document says every status each route can answer, with its content
//! type: a client generated from it, or a fuzzer driving it, meets nothing undeclared.
//!
//! The handlers declare what is their own (a 404 for a missing table, a 409 for a
//! taken token name, the query route's 503). What every route shares because of the
//! layers around it is added here once: errors are `application/problem+json`
//! (RFC 9457), every route can time out (408) or fail (500), a route behind a token
//! answers 401 without a valid one, a route with parameters 400 for bad ones, and a
//! route with a JSON body 400/413/415/422 for a body that is malformed, too large, not
//! JSON, or of the wrong shape.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};

const PROBLEM_JSON: &str = "application/problem+json";

/// Adds the shared statuses and moves problems to their content type.
pub struct SharedResponses;

impl utoipa::Modify for SharedResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                declare_shared(operation);
                for response in operation.responses.responses.values_mut() {
                    if let RefOr::T(response) = response {
                        problems_as_problem_json(response);
                    }
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

fn declare_shared(operation: &mut Operation) {
    let mut shared = vec![
        (
            "408",
            "The request took longer than the server's --request-timeout",
        ),
        (
            "500",
            "The server failed; the details are in its log, never in the answer",
        ),
    ];
    if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
        shared.push((
            "401",
            "No `Authorization: Bearer` token, or an unknown or revoked one",
        ));
    }
    if operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
        shared.push(("400", "A parameter is not valid"));
    }
    if operation.request_body.is_some() {
        shared.extend([
            ("400", "The body is not valid JSON"),
            ("413", "The body is larger than the server's --max-body"),
            (
                "415",
                "The body is not sent as `Content-Type: application/json`",
            ),
            ("422", "The body is JSON of the wrong shape"),
        ]);
    }
    for (status, description) in shared {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(problem(description)));
    }
}

fn problem(description: &str) -> Response {
    let mut response = Response::new(description);
    response.content.insert(
        PROBLEM_JSON.to_string(),
        Content::new(Some(Ref::from_schema_name("Problem"))),
    );
    response
}

/// A response whose body is the `Problem` schema is served as problem+json.
fn problems_as_problem_json(response: &mut Response) {
    let is_problem = |content: &Content| matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"));
    if let Some(content) = response.content.get("application/json")
        && is_problem(content)
    {
        let content = response
            .content
            .shift_remove("application/json")
            .expect("just found");
        response.content.insert(PROBLEM_JSON.to_string(), content);
    }
}
