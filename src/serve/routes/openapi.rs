//! The OpenAPI document of every route (`GET /openapi.json`), generated from the
//! handlers' own types, with the bearer scheme and the statuses all routes share.

use axum::Json;
use utoipa::OpenApi;

use super::{
    customers, dashboards, figures, job_start, jobs, ml, products, service, stream, tables, tokens,
    workbench,
};
use crate::serve::contract::SharedResponses;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ecom API",
        description = "The shop's figures from an ecom warehouse: token auth (Bearer), cached answers, read-only SQL."
    ),
    paths(
        service::health, service::metrics, openapi, figures::summary, figures::sales,
        figures::countries, products::product, customers::customer, customers::recommendations,
        ml::segments, ml::anomalies, stream::stream_windows, tables::tables, tokens::list_tokens,
        tokens::create_token, tokens::revoke_token, jobs::jobs, job_start::start_job, jobs::job,
        jobs::cancel_job, crate::serve::query::query, workbench::part, dashboards::bind,
        dashboards::panel
    ),
    // Types used only in query parameters are not collected from the paths.
    components(schemas(figures::Grain)),
    modifiers(&BearerAuth, &SharedResponses)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// This document: OpenAPI 3.1, generated from the handlers' own types (no token).
#[utoipa::path(get, path = "/openapi.json", tag = "service", responses((status = 200, description = "The OpenAPI document", body = Object, content_type = "application/json")))]
pub(super) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
