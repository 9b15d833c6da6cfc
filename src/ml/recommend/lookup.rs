//! `ecom ml recommend --customer/--product` and the workbench's box: the stored lists
//! read back with product descriptions.

use duckdb::Connection;
use serde::{Deserialize, Serialize};

use crate::ml::error::{MlError, Result};
use crate::ml::job::require_relations;

/// One line of a customer's or a product's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub rank: i32,
    pub stock_code: String,
    pub description: Option<String>,
    pub score: f64,
}

/// What `--customer` / `--product` ask: the stored lists, with product descriptions.
pub enum Lookup<'a> {
    Customer(i64),
    Product(&'a str),
}

impl<'a> Lookup<'a> {
    /// A customer id when `text` is a number, else a stock code (the workbench's box).
    pub fn parse(text: &'a str) -> Self {
        let text = text.trim();
        text.parse().map_or(Self::Product(text), Self::Customer)
    }

    /// What the answer lists, as a title.
    pub fn title(&self) -> String {
        match self {
            Self::Customer(id) => format!("Recommended for customer {id}"),
            Self::Product(code) => format!("Bought with {code}"),
        }
    }
}

/// Answers from `ml.recommendations` / `ml.similar_products`; `None` when the tables do
/// not exist yet (run the job first). An unknown customer or product is an error that
/// says so.
pub fn lookup(conn: &Connection, what: &Lookup) -> Result<Option<Vec<Suggestion>>> {
    let (table, sql) = match what {
        Lookup::Customer(_) => (
            "ml.recommendations",
            "SELECT r.rank, r.stock_code, p.description, r.score FROM ml.recommendations r
             LEFT JOIN marts.dim_product p USING (stock_code) WHERE r.customer_id = ? ORDER BY r.rank",
        ),
        Lookup::Product(_) => (
            "ml.similar_products",
            "SELECT s.rank, s.similar_stock_code, p.description, s.score FROM ml.similar_products s
             LEFT JOIN marts.dim_product p ON p.stock_code = s.similar_stock_code
             WHERE s.stock_code = ? ORDER BY s.rank",
        ),
    };
    if require_relations(conn, &[table, "marts.dim_product"]).is_err() {
        return Ok(None);
    }
    let key = match what {
        Lookup::Customer(id) => id.to_string(),
        Lookup::Product(code) => code.to_string(),
    };
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map([&key], |r| {
            Ok(Suggestion {
                rank: r.get(0)?,
                stock_code: r.get(1)?,
                description: r.get(2)?,
                score: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    if rows.is_empty() {
        let known: i64 = match what {
            Lookup::Customer(id) => conn.query_row(
                "SELECT count(*) FROM marts.dim_customer WHERE customer_id::BIGINT = ?",
                [id],
                |r| r.get(0),
            )?,
            Lookup::Product(code) => conn.query_row(
                "SELECT count(*) FROM marts.dim_product WHERE stock_code = ?",
                [code],
                |r| r.get(0),
            )?,
        };
        match (what, known) {
            (Lookup::Customer(id), 0) => {
                return Err(MlError::UnknownCustomer(*id));
            }
            (Lookup::Product(code), 0) => {
                return Err(MlError::UnknownProduct(code.to_string()));
            }
            _ => {}
        }
    }
    Ok(Some(rows))
}
