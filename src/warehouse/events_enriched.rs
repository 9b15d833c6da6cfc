//! `stream.events_enriched`: the tail's events joined, at read time, with the dimensions
//! that describe them (product description, customer segment and first purchase, country
//! region). The tail stores only what a message carries; enriching as it wrote cost most
//! of its append time, and froze each event's description as it was on arrival.
//!
//! DuckDB binds a view when it is created, so the view can only name tables that exist
//! then; a user's project may not build them at all, or build them with other columns.
//! [`define`] therefore joins each source that binds now and gives the others' columns as
//! typed NULLs. It runs when a warehouse opens and after the builds that write the
//! sources (models, ML segments); the view's comment lists the sources it joins, so an
//! unchanged view is not rewritten.

use duckdb::Connection;

/// One enrichment: the columns it adds and the subquery (one row per key) they come from.
struct Source {
    /// The relation it reads, as the view's comment names it.
    relation: &'static str,
    /// A subquery with one row per join key.
    rows: &'static str,
    /// `ON` condition between `e` (the event) and `alias`.
    on: &'static str,
    alias: &'static str,
    /// `(column as selected from alias, its name, its type)`.
    columns: &'static [(&'static str, &'static str, &'static str)],
}

/// The enrichments, in the column order the view gives them. Each subquery has one row
/// per key, so the joins never multiply an event (a project's dimension may repeat one).
const SOURCES: &[Source] = &[
    Source {
        relation: "marts.dim_product",
        rows: "SELECT stock_code::VARCHAR AS stock_code, any_value(description) AS description \
               FROM marts.dim_product WHERE description IS NOT NULL GROUP BY 1",
        on: "p.stock_code = e.stock_code",
        alias: "p",
        columns: &[("description", "product_description", "VARCHAR")],
    },
    Source {
        relation: "ml.customer_segments",
        rows: "SELECT customer_id::BIGINT AS customer_id, any_value(segment) AS segment \
               FROM ml.customer_segments GROUP BY 1",
        on: "s.customer_id = e.customer_id",
        alias: "s",
        columns: &[("segment", "customer_segment", "VARCHAR")],
    },
    Source {
        relation: "marts.dim_customer",
        rows: "SELECT customer_id::BIGINT AS customer_id, min(first_purchase_ts)::DATE AS first_purchase \
               FROM marts.dim_customer WHERE first_purchase_ts IS NOT NULL GROUP BY 1",
        on: "c.customer_id = e.customer_id",
        alias: "c",
        columns: &[("first_purchase", "customer_first_purchase", "DATE")],
    },
    Source {
        relation: "marts.dim_country",
        rows: "SELECT country::VARCHAR AS country, any_value(region) AS region \
               FROM marts.dim_country GROUP BY 1",
        on: "r.country = e.country",
        alias: "r",
        columns: &[("region", "country_region", "VARCHAR")],
    },
];

/// (Re)defines `stream.events_enriched` over the sources that bind now; a no-op when the
/// view already joins exactly those.
pub fn define(conn: &Connection) -> duckdb::Result<()> {
    let present: Vec<bool> = SOURCES.iter().map(|s| binds(conn, s)).collect();
    let comment = comment(&present);
    let current: Option<String> = conn
        .query_row(
            "SELECT comment FROM duckdb_views() WHERE schema_name = 'stream' \
             AND view_name = 'events_enriched' AND database_name = current_database()",
            [],
            |r| r.get(0),
        )
        .ok();
    if current.as_deref() == Some(comment.as_str()) {
        return Ok(());
    }
    // Through the commit module, like every writer: the view's answers change with it,
    // so `serve`'s cache must not outlive it.
    super::commit::commit_batch(
        conn,
        &format!(
            "{};\nCOMMENT ON VIEW stream.events_enriched IS {};",
            view_sql(&present),
            super::quote_literal(&comment)
        ),
    )
}

/// Whether `source`'s subquery binds on this warehouse (its relation exists and has the
/// columns the join needs).
fn binds(conn: &Connection, source: &Source) -> bool {
    conn.prepare(&format!("SELECT * FROM ({}) LIMIT 0", source.rows))
        .is_ok()
}

/// The view's comment: what it joins, for people and for [`define`]'s no-op check.
fn comment(present: &[bool]) -> String {
    let names: Vec<&str> = SOURCES
        .iter()
        .zip(present)
        .filter(|(_, present)| **present)
        .map(|(s, _)| s.relation)
        .collect();
    if names.is_empty() {
        "stream.events with its enrichment columns empty: no dimension table exists yet".into()
    } else {
        format!("stream.events enriched from {}", names.join(", "))
    }
}

/// The view over [`SOURCES`], joining those `present` says bind.
fn view_sql(present: &[bool]) -> String {
    let mut select = vec!["e.*".to_string()];
    let mut from = String::from("stream.events e");
    for (source, &present) in SOURCES.iter().zip(present) {
        for (column, name, ty) in source.columns {
            select.push(if present {
                format!("{}.{column}::{ty} AS {name}", source.alias)
            } else {
                format!("NULL::{ty} AS {name}")
            });
        }
        if present {
            from.push_str(&format!(
                "\nLEFT JOIN ({}) {} ON {}",
                source.rows, source.alias, source.on
            ));
        }
    }
    format!(
        "CREATE OR REPLACE VIEW stream.events_enriched AS SELECT {} FROM {from}",
        select.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warehouse::Warehouse;

    fn columns(conn: &Connection) -> Vec<(String, String)> {
        let mut stmt = conn
            .prepare(
                "SELECT column_name, data_type FROM duckdb_columns() \
                 WHERE schema_name = 'stream' AND table_name = 'events_enriched' ORDER BY column_index",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn a_new_warehouse_has_the_view_with_empty_enrichment_then_joins_what_is_built() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(&dir.path().join("w.duckdb")).unwrap();
        let conn = wh.conn();
        let cols = columns(conn);
        let tail: Vec<_> = cols[cols.len() - 4..].to_vec();
        assert_eq!(
            tail,
            [
                ("product_description", "VARCHAR"),
                ("customer_segment", "VARCHAR"),
                ("customer_first_purchase", "DATE"),
                ("country_region", "VARCHAR"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        conn.execute_batch(
            "INSERT INTO stream.events VALUES ('t', 0, 0, 'f:1', 'purchase', '2011-01-01 10:00', \
               '536365', '85123A', 'WHITE HANGING HEART', 6, 2.55, 15.30, 17850, 'United Kingdom', false, now()::TIMESTAMP);
             CREATE TABLE marts.dim_product AS SELECT * FROM (VALUES ('85123A', 'HEART T-LIGHT'), ('85123A', 'HEART T-LIGHT')) v(stock_code, description);
             CREATE TABLE marts.dim_country (country VARCHAR, region VARCHAR, extra INT);
             INSERT INTO marts.dim_country VALUES ('United Kingdom', 'Europe', 1);
             -- A project's own dim_customer without the column the view needs.
             CREATE TABLE marts.dim_customer (customer_id BIGINT, name VARCHAR);",
        )
        .unwrap();
        define(conn).unwrap();
        let row: (i64, Option<String>, Option<String>, Option<String>) = conn
            .query_row(
                "SELECT count(*), any_value(product_description), any_value(customer_segment), \
                 any_value(country_region) FROM stream.events_enriched",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        // The repeated product did not double the event; the missing and unbindable
        // sources are NULL.
        assert_eq!(
            row,
            (1, Some("HEART T-LIGHT".into()), None, Some("Europe".into()))
        );
        let comment: String = conn
            .query_row(
                "SELECT comment FROM duckdb_views() WHERE view_name = 'events_enriched'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            comment,
            "stream.events enriched from marts.dim_product, marts.dim_country"
        );
    }
}
