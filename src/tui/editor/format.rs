//! SQL formatting (F4, as in Harlequin) with the `sqlformat` crate, in its PostgreSQL
//! dialect, which is the closest to DuckDB's: `::` casts, `->>`, `$1` parameters and
//! `[1, 2]` lists stay as written. Keywords keep the case the user typed them in.

use sqlformat::{Dialect, FormatOptions, Indent, QueryParams};

/// `sql` laid out one clause per line, indented by two spaces; statements stay
/// separated by a blank line.
pub fn format_sql(sql: &str) -> String {
    let options = FormatOptions {
        indent: Indent::Spaces(2),
        uppercase: None,
        lines_between_queries: 2,
        dialect: Dialect::PostgreSql,
        ..FormatOptions::default()
    };
    sqlformat::format(sql, &QueryParams::None, &options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_go_on_their_own_lines() {
        assert_eq!(
            format_sql("select a, b from t where a > 1"),
            "select\n  a,\n  b\nfrom\n  t\nwhere\n  a > 1"
        );
    }

    #[test]
    fn duckdb_syntax_strings_and_comments_are_kept() {
        let formatted = format_sql(
            "select x::int, j->>'$.a', $1 as p, 'it''s -- not a comment' from tbl -- why\nwhere y = 'a  b'",
        );
        for kept in [
            "x::int",
            "j ->> '$.a'",
            "$1 as p",
            "'it''s -- not a comment'",
            "-- why",
            "'a  b'",
        ] {
            assert!(formatted.contains(kept), "{kept} in:\n{formatted}");
        }
        let from_first = format_sql("FROM raw.order_lines limit 5");
        assert!(from_first.starts_with("FROM"), "{from_first}");
        assert!(from_first.contains("raw.order_lines"), "{from_first}");
    }
}
