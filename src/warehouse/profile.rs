//! A column's profile (VisiData's describe and frequency table together): counts,
//! nulls, distinct values, the range, for numbers and dates the mean and quantiles, and
//! the most frequent values, all computed by DuckDB over the whole result table.

use duckdb::Connection;

use super::pager::PagedResult;
use super::view::table_of;
use super::{WarehouseError, quote_ident};

/// How many of the most frequent values a profile lists.
pub const TOP_VALUES: usize = 20;

/// The quantiles a profile shows, with their labels.
pub const QUANTILES: [(&str, f64); 4] =
    [("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p95", 0.95)];

/// A value and the rows holding it (`None` is NULL).
#[derive(Debug, Clone, PartialEq)]
pub struct TopValue {
    pub value: Option<String>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnProfile {
    pub column: String,
    pub data_type: String,
    pub rows: u64,
    pub nulls: u64,
    pub distinct: u64,
    pub min: Option<String>,
    pub max: Option<String>,
    /// For numbers and dates: the mean and the quantiles of [`QUANTILES`], as text.
    pub mean: Option<String>,
    pub quantiles: Vec<(&'static str, Option<String>)>,
    /// The most frequent values, most frequent first.
    pub top: Vec<TopValue>,
}

/// What the mean and quantiles of a column are, by its DuckDB type.
fn summary_sql(column: &str, data_type: &str) -> Option<Vec<String>> {
    let c = quote_ident(column);
    let numeric = data_type.starts_with("DECIMAL")
        || [
            "TINYINT",
            "SMALLINT",
            "INTEGER",
            "BIGINT",
            "HUGEINT",
            "UTINYINT",
            "USMALLINT",
            "UINTEGER",
            "UBIGINT",
            "UHUGEINT",
            "FLOAT",
            "DOUBLE",
        ]
        .contains(&data_type);
    let temporal = data_type == "DATE" || data_type.starts_with("TIMESTAMP");
    let quantiles = QUANTILES.iter().map(|(_, q)| {
        if numeric {
            format!("CAST(round(quantile_cont({c}, {q})::DOUBLE, 4) AS VARCHAR)")
        } else {
            format!("CAST(quantile_disc({c}, {q}) AS VARCHAR)")
        }
    });
    let mean = if numeric {
        format!("CAST(round(avg({c})::DOUBLE, 4) AS VARCHAR)")
    } else if temporal {
        format!("CAST(make_timestamp(CAST(avg(epoch_us({c}::TIMESTAMP)) AS BIGINT)) AS VARCHAR)")
    } else {
        return None;
    };
    Some(std::iter::once(mean).chain(quantiles).collect())
}

/// Profiles `column` of `result` (several statements: an interrupt stops the one
/// running and the profile fails as a whole).
pub fn profile(
    conn: &Connection,
    result: &PagedResult,
    column: &str,
) -> Result<ColumnProfile, WarehouseError> {
    let table = table_of(result, "a column profile")?;
    let data_type = result
        .columns
        .iter()
        .find(|c| c.name == column)
        .map(|c| c.data_type.clone())
        .unwrap_or_default();
    let c = quote_ident(column);
    let (rows, nulls, distinct, min, max): (i64, i64, i64, Option<String>, Option<String>) = conn
        .query_row(
        &format!(
            "SELECT count(*), count(*) - count({c}), count(DISTINCT {c}),
                        CAST(min({c}) AS VARCHAR), CAST(max({c}) AS VARCHAR)
                 FROM temp.{table}"
        ),
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let (mean, quantiles) = match summary_sql(column, &data_type) {
        Some(parts) => {
            let values: Vec<Option<String>> = conn.query_row(
                &format!("SELECT {} FROM temp.{table}", parts.join(", ")),
                [],
                |r| (0..parts.len()).map(|i| r.get(i)).collect(),
            )?;
            let quantiles = QUANTILES
                .iter()
                .zip(&values[1..])
                .map(|((label, _), v)| (*label, v.clone()))
                .collect();
            (values[0].clone(), quantiles)
        }
        None => (None, Vec::new()),
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT CAST({c} AS VARCHAR), count(*) AS n FROM temp.{table}
         GROUP BY {c} ORDER BY n DESC, {c} NULLS LAST LIMIT {TOP_VALUES}"
    ))?;
    let top = stmt
        .query_map([], |r| {
            Ok(TopValue {
                value: r.get(0)?,
                count: r.get::<_, i64>(1)? as u64,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(ColumnProfile {
        column: column.to_string(),
        data_type,
        rows: rows as u64,
        nulls: nulls as u64,
        distinct: distinct as u64,
        min,
        max,
        mean,
        quantiles,
        top,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warehouse::pager;

    #[test]
    fn profiles_numbers_dates_and_text_with_nulls() {
        let conn = Connection::open_in_memory().unwrap();
        let result = pager::run(
            &conn,
            "SELECT range AS \"select\", DATE '2011-01-01' + CAST(range AS INTEGER) AS day,
                    CASE WHEN range % 10 = 0 THEN NULL WHEN range % 3 = 0 THEN 'O''Brien' ELSE 'x' END AS name
             FROM range(101)",
            &pager::result_table(1, 0),
        )
        .unwrap();
        let numbers = profile(&conn, &result, "select").unwrap();
        assert_eq!(
            (numbers.rows, numbers.nulls, numbers.distinct),
            (101, 0, 101)
        );
        assert_eq!(
            (numbers.min.as_deref(), numbers.max.as_deref()),
            (Some("0"), Some("100"))
        );
        assert_eq!(numbers.mean.as_deref(), Some("50.0"));
        assert_eq!(numbers.quantiles[1], ("median", Some("50.0".into())));
        assert_eq!(numbers.quantiles[3], ("p95", Some("95.0".into())));
        assert_eq!(numbers.top.len(), TOP_VALUES);
        let days = profile(&conn, &result, "day").unwrap();
        assert_eq!(days.max.as_deref(), Some("2011-04-11"));
        assert_eq!(days.mean.as_deref(), Some("2011-02-20 00:00:00"));
        assert_eq!(days.quantiles[1], ("median", Some("2011-02-20".into())));
        let names = profile(&conn, &result, "name").unwrap();
        assert_eq!((names.nulls, names.distinct), (11, 2));
        assert_eq!(names.mean, None);
        assert!(names.quantiles.is_empty());
        assert_eq!(
            names.top,
            vec![
                TopValue {
                    value: Some("x".into()),
                    count: 60
                },
                TopValue {
                    value: Some("O'Brien".into()),
                    count: 30
                },
                TopValue {
                    value: None,
                    count: 11
                },
            ]
        );
    }

    #[test]
    fn an_empty_result_profiles_to_zero_rows_and_no_values() {
        let conn = Connection::open_in_memory().unwrap();
        let result = pager::run(
            &conn,
            "SELECT 1.5::DOUBLE AS amount WHERE false",
            &pager::result_table(1, 0),
        )
        .unwrap();
        let p = profile(&conn, &result, "amount").unwrap();
        assert_eq!((p.rows, p.nulls, p.distinct), (0, 0, 0));
        assert_eq!((p.min, p.max, p.mean), (None, None, None));
        assert!(p.top.is_empty());
    }
}
