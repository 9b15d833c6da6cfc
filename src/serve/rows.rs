//! Query results as JSON rows, and the opaque cursors that page through lists.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use duckdb::{Connection, ToSql};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::problem::Problem;
use crate::warehouse::query::batch_to_json_objects;

/// Runs `sql` with `params` and returns each row as a JSON object keyed by column name
/// (numbers stay numbers, times are `YYYY-MM-DD HH:MM:SS` text).
pub fn objects(
    conn: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
) -> Result<Vec<Map<String, Value>>, duckdb::Error> {
    let mut stmt = conn.prepare_cached(sql)?;
    let arrow = stmt.query_arrow(params)?;
    Ok(arrow
        .flat_map(|batch| batch_to_json_objects(&batch))
        .collect())
}

/// The rows of `sql` as values of `T` (fields named like the columns).
pub fn typed<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
) -> Result<Vec<T>, Problem> {
    objects(conn, sql, params)
        .map_err(Problem::internal)?
        .into_iter()
        .map(|row| serde_json::from_value(Value::Object(row)).map_err(Problem::internal))
        .collect()
}

/// One page of a list, and the cursor of the next page when there is one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Where a page starts and how long it is, from `limit` and `cursor`.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub offset: u64,
    pub limit: u64,
}

/// The largest page a client may ask for.
pub const MAX_PAGE: u64 = 1000;
pub const DEFAULT_PAGE: u64 = 100;
/// The largest offset a cursor may hold.
const MAX_OFFSET: u64 = i64::MAX as u64 - MAX_PAGE - 1;

impl PageRequest {
    pub fn parse(limit: Option<u64>, cursor: Option<&str>) -> Result<Self, Problem> {
        let limit = limit.unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(Problem::bad_request(format!(
                "limit must be between 1 and {MAX_PAGE}; it was {limit}"
            )));
        }
        let offset = match cursor {
            None => 0,
            Some(cursor) => URL_SAFE_NO_PAD
                .decode(cursor)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .and_then(|text| text.strip_prefix("offset:").and_then(|n| n.parse().ok()))
                // DuckDB's OFFSET is signed: a larger one was never handed out.
                .filter(|offset: &u64| *offset <= MAX_OFFSET)
                .ok_or_else(|| {
                    Problem::bad_request(
                        "cursor is not one this server gave out: pass the next_cursor of the previous page unchanged",
                    )
                })?,
        };
        Ok(Self { offset, limit })
    }

    /// `LIMIT … OFFSET …` for the SQL: one row more than the page, to know if another follows.
    pub fn sql(&self) -> String {
        format!("LIMIT {} OFFSET {}", self.limit + 1, self.offset)
    }

    /// The page from rows fetched with [`PageRequest::sql`].
    pub fn page<T>(&self, mut rows: Vec<T>) -> Page<T> {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        Page {
            items: rows,
            next_cursor: more
                .then(|| URL_SAFE_NO_PAD.encode(format!("offset:{}", self.offset + self.limit))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let first = PageRequest::parse(Some(2), None).unwrap();
        let page = first.page(vec![1, 2, 3]);
        assert_eq!(page.items, vec![1, 2]);
        let next = PageRequest::parse(Some(2), page.next_cursor.as_deref()).unwrap();
        assert_eq!(next.offset, 2);
        assert!(next.page(vec![3]).next_cursor.is_none());
        assert!(PageRequest::parse(None, Some("nonsense")).is_err());
        let huge = URL_SAFE_NO_PAD.encode(format!("offset:{}", 1u64 << 63));
        assert!(PageRequest::parse(None, Some(&huge)).is_err());
        assert!(PageRequest::parse(Some(0), None).is_err());
    }
}
