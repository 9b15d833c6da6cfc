//! `/api/v1/products/{stock_code}`: one product, its sales and the products bought
//! with it.

use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::need::{exists, need};
use crate::serve::answer::answer;
use crate::serve::auth::Caller;
use crate::serve::cache::Answer;
use crate::serve::problem::Problem;
use crate::serve::rejection::bad_path;
use crate::serve::rows::typed;
use crate::serve::state::Shared;

/// A product with its sales and, once `ecom ml recommend` ran, the products bought with it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Product {
    stock_code: String,
    description: Option<String>,
    is_product: bool,
    median_unit_price: Option<f64>,
    first_seen: Option<String>,
    last_seen: Option<String>,
    orders: Option<i64>,
    customers: Option<i64>,
    units_sold: Option<i64>,
    net_revenue: Option<f64>,
    rank: Option<i64>,
    /// Absent until `ecom ml recommend` has run.
    #[serde(default)]
    similar: Option<Vec<SimilarProduct>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SimilarProduct {
    stock_code: String,
    description: Option<String>,
    rank: i64,
    score: f64,
}

/// One product: description, prices, sales, and similar products (when the ML tables exist).
#[utoipa::path(get, path = "/api/v1/products/{stock_code}", tag = "figures",
    params(("stock_code" = String, Path, description = "e.g. 85123A")), security(("bearer" = [])), responses(
    (status = 200, body = Product), (status = 401, body = Problem), (status = 404, body = Problem)
))]
pub(super) async fn product(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    stock_code: Result<Path<String>, PathRejection>,
) -> Response {
    let Path(code) = match stock_code {
        Ok(p) => p,
        Err(e) => return bad_path(e),
    };
    answer(&state, &caller, "product", code.clone(), move |conn| {
        need(conn, "marts.dim_product", "ecom models build")?;
        let sql = "SELECT p.stock_code, p.description, p.is_product, p.median_unit_price::DOUBLE AS median_unit_price, \
             p.first_seen_ts::VARCHAR AS first_seen, p.last_seen_ts::VARCHAR AS last_seen, \
             s.invoice_count AS orders, s.customer_count AS customers, s.units_sold::BIGINT AS units_sold, \
             s.net_revenue::DOUBLE AS net_revenue, s.net_revenue_rank AS rank \
             FROM marts.dim_product p LEFT JOIN marts.sales_by_product s USING (product_key) WHERE p.stock_code = ?";
        let mut product = typed::<Product>(conn, sql, &[&code])?
            .pop()
            .ok_or_else(|| Problem::not_found(format!("no product has the stock code `{code}`")))?;
        if exists(conn, "ml.similar_products")? {
            product.similar = Some(typed::<SimilarProduct>(
                conn,
                "SELECT s.similar_stock_code AS stock_code, p.description, s.rank, s.score \
                 FROM ml.similar_products s LEFT JOIN marts.dim_product p ON p.stock_code = s.similar_stock_code \
                 WHERE s.stock_code = ? ORDER BY s.rank",
                &[&code],
            )?);
        }
        Answer::json(&product).map_err(Problem::internal)
    })
    .await
}
