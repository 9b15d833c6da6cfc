//! Finding text in a result: DuckDB looks through every column of the whole result
//! table (never the client's pages) for the next row, after a given one and wrapping,
//! whose text contains the search, case-insensitively.

use duckdb::Connection;

use super::pager::{PagedResult, ResultColumn};
use super::view::table_of;
use super::{WarehouseError, quote_ident, quote_literal};

/// A match: the row (0-based, in the result's order) and how many rows match in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub row: u64,
    pub matches: u64,
}

/// The ILIKE pattern of rows containing `text`: its `%`, `_` and `\` match themselves.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The condition of rows where any column's text contains `text`.
pub fn match_condition(columns: &[ResultColumn], text: &str) -> String {
    let pattern = quote_literal(&contains_pattern(text));
    let tests: Vec<String> = columns
        .iter()
        .map(|c| {
            format!(
                "CAST({} AS VARCHAR) ILIKE {pattern} ESCAPE '\\'",
                quote_ident(&c.name)
            )
        })
        .collect();
    if tests.is_empty() {
        "false".into()
    } else {
        tests.join(" OR ")
    }
}

/// The next row after `from` (before it, when `forward` is false) that matches,
/// wrapping around the ends; `None` when no row matches.
pub fn find(
    conn: &Connection,
    result: &PagedResult,
    text: &str,
    from: u64,
    forward: bool,
) -> Result<Option<Found>, WarehouseError> {
    let table = table_of(result, "finding text")?;
    let (pick, beyond) = if forward { ("min", ">") } else { ("max", "<") };
    let sql = format!(
        "WITH m AS (SELECT rowid AS r FROM temp.{table} WHERE {})
         SELECT count(*), coalesce({pick}(r) FILTER (WHERE r {beyond} ?), {pick}(r)) FROM m",
        match_condition(&result.columns, text)
    );
    let (matches, row): (i64, Option<i64>) =
        conn.query_row(&sql, [from as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(row.map(|row| Found {
        row: row as u64,
        matches: matches as u64,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warehouse::pager;

    #[test]
    fn like_wildcards_in_the_text_match_only_themselves() {
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        let columns = [ResultColumn {
            name: "se\"lect".into(),
            data_type: "VARCHAR".into(),
            numeric: false,
        }];
        assert_eq!(
            match_condition(&columns, "it's"),
            "CAST(\"se\"\"lect\" AS VARCHAR) ILIKE '%it''s%' ESCAPE '\\'"
        );
        assert_eq!(match_condition(&[], "x"), "false");
    }

    #[test]
    fn finds_the_next_and_previous_match_wrapping_around() {
        let conn = Connection::open_in_memory().unwrap();
        let result = pager::run(
            &conn,
            "SELECT * FROM (VALUES (1, 'Paris'), (2, '50% off'), (3, NULL), (4, 'paris'), (5, '50 off')) AS t(n, \"select\")",
            &pager::result_table(1, 0),
        )
        .unwrap();
        let find = |text, from, forward| find(&conn, &result, text, from, forward).unwrap();
        assert_eq!(find("PARIS", 0, true), Some(Found { row: 3, matches: 2 }));
        assert_eq!(find("PARIS", 3, true), Some(Found { row: 0, matches: 2 }));
        assert_eq!(find("paris", 0, false), Some(Found { row: 3, matches: 2 }));
        assert_eq!(find("50%", 0, true), Some(Found { row: 1, matches: 1 }));
        // Numbers are searched as text too.
        assert_eq!(find("5", 4, true), Some(Found { row: 1, matches: 2 }));
        assert_eq!(find("London", 0, true), None);
    }

    #[test]
    fn an_empty_result_has_no_match() {
        let conn = Connection::open_in_memory().unwrap();
        let result = pager::run(
            &conn,
            "SELECT 1 AS n, 'x' AS t WHERE false",
            &pager::result_table(1, 0),
        )
        .unwrap();
        assert_eq!(find(&conn, &result, "x", 0, true).unwrap(), None);
        assert_eq!(find(&conn, &result, "x", 0, false).unwrap(), None);
    }
}
