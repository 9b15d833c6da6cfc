//! The query parameters of a paged list (`limit`, `cursor`) and the page they ask for.

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::serve::rejection::bad_query;
use crate::serve::rows::PageRequest;

/// Query parameters of a paged list: `limit` and `cursor`.
pub(super) trait Paged {
    fn limit(&self) -> Option<u64>;
    fn cursor(&self) -> Option<&str>;
}

macro_rules! paged_params {
    ($($t:ty),*) => {$(
        impl $crate::serve::routes::paging::Paged for $t {
            fn limit(&self) -> Option<u64> {
                self.limit
            }
            fn cursor(&self) -> Option<&str> {
                self.cursor.as_deref()
            }
        }
    )*};
}

pub(super) use paged_params;

paged_params!(PageParams);

/// A list route's parameters and the page they ask for, or the answer to a bad request.
pub(super) fn paged<T: Paged>(
    params: Result<Query<T>, QueryRejection>,
) -> Result<(T, PageRequest), Box<Response>> {
    let Query(params) = params.map_err(|e| Box::new(bad_query(e)))?;
    let page = PageRequest::parse(params.limit(), params.cursor())
        .map_err(|problem| Box::new(problem.into_response()))?;
    Ok((params, page))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page (1 to 1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    cursor: Option<String>,
}

impl PageParams {
    pub(super) fn key(&self) -> String {
        format!("{:?}|{:?}", self.limit, self.cursor)
    }
}
