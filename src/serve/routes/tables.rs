//! `/api/v1/tables`: the tables and views `POST /api/v1/query` can read.

use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::serve::answer::answer;
use crate::serve::auth::Caller;
use crate::serve::cache::Answer;
use crate::serve::guard::SERVED_SCHEMAS;
use crate::serve::problem::Problem;
use crate::serve::rows::typed;
use crate::serve::state::Shared;

/// A table or view the query route can read.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TableInfo {
    schema: String,
    name: String,
    /// `table` or `view`.
    kind: String,
    /// Rows (tables only; an estimate DuckDB keeps).
    rows: Option<i64>,
}

/// The tables and views of the served schemas: what `POST /api/v1/query` can read.
#[utoipa::path(get, path = "/api/v1/tables", tag = "query", security(("bearer" = [])), responses(
    (status = 200, body = Vec<TableInfo>), (status = 401, body = Problem)
))]
pub(super) async fn tables(State(state): Shared, Extension(caller): Extension<Caller>) -> Response {
    answer(&state, &caller, "tables", String::new(), |conn| {
        let served = SERVED_SCHEMAS
            .iter()
            .map(|s| crate::warehouse::quote_literal(s))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = typed::<TableInfo>(
            conn,
            &format!(
                "SELECT schema_name AS schema, table_name AS name, 'table' AS kind, estimated_size AS rows \
                 FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal \
                 AND schema_name IN ({served}) \
                 UNION ALL SELECT schema_name, view_name, 'view', NULL FROM duckdb_views() \
                 WHERE database_name = current_database() AND NOT internal AND schema_name IN ({served}) \
                 ORDER BY 1, 2"
            ),
            &[],
        )?;
        Answer::json(&rows).map_err(Problem::internal)
    })
    .await
}
