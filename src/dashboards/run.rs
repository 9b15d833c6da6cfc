//! Runs one panel's SQL: one statement, read-only, with the variables bound as
//! parameters, keeping the rows its kind can draw.

use arrow::array::{Array, Float64Array, Int64Array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimeUnit};
use arrow::record_batch::RecordBatch;
use duckdb::Connection;

use super::bindings::{Bindings, Bound};
use super::error::DashboardError;
use super::spec::Panel;
use crate::warehouse::query::{CellText, format_options, is_numeric};
use crate::warehouse::statements;

/// What a column holds, which decides how a panel reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Number,
    /// Dates and timestamps; their cells' numbers are seconds since 1970.
    Time,
    Text,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PanelColumn {
    pub name: String,
    pub kind: ColumnKind,
}

/// One cell: DuckDB's text of it, and its number for numbers and times.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    pub number: Option<f64>,
}

/// A panel query's rows (at most the kind's row limit).
#[derive(Debug, Clone, PartialEq)]
pub struct PanelRows {
    pub columns: Vec<PanelColumn>,
    pub rows: Vec<Vec<Cell>>,
    /// More rows came back than the panel keeps.
    pub truncated: bool,
}

/// Runs `panel` with `bindings` on `conn` inside a read-only transaction.
pub fn run_panel(
    conn: &Connection,
    panel: &Panel,
    bindings: &Bindings,
) -> Result<PanelRows, DashboardError> {
    let fail = |message: String| DashboardError::Panel {
        panel: panel.title.clone(),
        line: panel.line,
        message,
    };
    let parts = statements::split(&panel.sql);
    if parts.len() != 1 {
        return Err(fail(format!(
            "a panel runs one SELECT; this SQL holds {} statements",
            parts.len()
        )));
    }
    let values = parameters(conn, &panel.sql, bindings).map_err(fail)?;
    conn.execute_batch("BEGIN TRANSACTION READ ONLY")?;
    let rows = read(conn, &panel.sql, &values, panel.kind.row_limit());
    let _ = conn.execute_batch("ROLLBACK");
    rows.map_err(|e| fail(e.to_string()))
}

/// The statement a SQL tab runs to show a panel's rows: the panel's SQL prepared as
/// is, executed with the variables' values as literals.
pub fn tab_sql(
    conn: &Connection,
    panel: &Panel,
    bindings: &Bindings,
) -> Result<String, DashboardError> {
    let used = used_parameters(conn, &panel.sql).map_err(|e| DashboardError::Panel {
        panel: panel.title.clone(),
        line: panel.line,
        message: e.to_string(),
    })?;
    let args: Vec<String> = used
        .iter()
        .filter_map(|name| Some(format!("{name} := {}", bindings.get(name)?.literal())))
        .collect();
    let args = if args.is_empty() {
        String::new()
    } else {
        format!("({})", args.join(", "))
    };
    Ok(format!(
        "-- {} ({})\nPREPARE panel AS\n{};\nEXECUTE panel{args};\n",
        panel.title.replace('\n', " "),
        bindings.describe().replace('\n', " "),
        panel.sql.trim().trim_end_matches(';')
    ))
}

/// A panel's SQL with each bound `$name` replaced by its value's literal, for a server
/// that runs one plain SELECT: strings, quoted names and comments are left alone, and
/// an unbound `$name` stays (the server then says it is unbound).
pub fn inline_sql(panel: &Panel, bindings: &Bindings) -> String {
    let sql = panel.sql.trim().trim_end_matches(';');
    let mut out = format!(
        "-- {} ({})\n",
        panel.title.replace('\n', " "),
        bindings.describe().replace('\n', " ")
    );
    let mut rest = sql;
    while let Some(c) = rest.chars().next() {
        let skip = match c {
            '\'' | '"' => rest[1..].find(c).map_or(rest.len(), |end| end + 2),
            '-' if rest.starts_with("--") => rest.find('\n').unwrap_or(rest.len()),
            '/' if rest.starts_with("/*") => rest.find("*/").map_or(rest.len(), |end| end + 2),
            '$' => {
                let name_len = rest[1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len() - 1);
                if let Some(bound) = bindings.get(&rest[1..=name_len]) {
                    out += &bound.literal();
                    rest = &rest[1 + name_len..];
                    continue;
                }
                1 + name_len
            }
            _ => c.len_utf8(),
        };
        out += &rest[..skip];
        rest = &rest[skip..];
    }
    out
}

/// The names of the parameters `sql` uses, in DuckDB's order.
fn used_parameters(conn: &Connection, sql: &str) -> Result<Vec<String>, duckdb::Error> {
    let stmt = conn.prepare(sql)?;
    (1..=stmt.parameter_count())
        .map(|i| stmt.parameter_name(i))
        .collect()
}

/// The values for `sql`'s parameters in DuckDB's order, or why one has none.
fn parameters(conn: &Connection, sql: &str, bindings: &Bindings) -> Result<Vec<Bound>, String> {
    let names = used_parameters(conn, sql).map_err(|e| e.to_string())?;
    names
        .iter()
        .map(|name| {
            bindings.get(name).cloned().ok_or_else(|| {
                let known: Vec<String> = bindings
                    .values()
                    .iter()
                    .map(|(k, _)| format!("${k}"))
                    .collect();
                format!(
                    "${name} is not a variable of this dashboard (it binds: {})",
                    if known.is_empty() {
                        "nothing".into()
                    } else {
                        known.join(", ")
                    }
                )
            })
        })
        .collect()
}

fn read(
    conn: &Connection,
    sql: &str,
    values: &[Bound],
    limit: usize,
) -> Result<PanelRows, duckdb::Error> {
    let mut stmt = conn.prepare(sql)?;
    let arrow = stmt.query_arrow(duckdb::params_from_iter(values))?;
    let schema = arrow.get_schema();
    let columns: Vec<PanelColumn> = schema
        .fields()
        .iter()
        .map(|f| PanelColumn {
            name: f.name().clone(),
            kind: kind_of(f.data_type()),
        })
        .collect();
    let mut rows = Vec::new();
    let mut truncated = false;
    for batch in arrow {
        if rows.len() >= limit && batch.num_rows() > 0 {
            // More rows than the panel draws: stop reading the result here.
            truncated = true;
            break;
        }
        let take = (limit - rows.len()).min(batch.num_rows());
        truncated |= take < batch.num_rows();
        rows.extend(cells(&batch, &columns, take));
        if truncated {
            break;
        }
    }
    Ok(PanelRows {
        columns,
        rows,
        truncated,
    })
}

fn kind_of(data_type: &DataType) -> ColumnKind {
    match data_type {
        t if is_numeric(t) => ColumnKind::Number,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => ColumnKind::Time,
        _ => ColumnKind::Text,
    }
}

/// The first `take` rows of `batch` as cells.
fn cells(batch: &RecordBatch, columns: &[PanelColumn], take: usize) -> Vec<Vec<Cell>> {
    let options = format_options();
    let texts: Vec<CellText> = batch
        .columns()
        .iter()
        .map(|a| CellText::new(a, &options, "NULL"))
        .collect();
    let numbers: Vec<Option<Vec<Option<f64>>>> = batch
        .columns()
        .iter()
        .zip(columns)
        .map(|(array, column)| numbers_of(array, column.kind))
        .collect();
    (0..take)
        .map(|row| {
            texts
                .iter()
                .zip(&numbers)
                .map(|(text, numbers)| Cell {
                    text: text.get(row),
                    number: numbers.as_ref().and_then(|n| n[row]),
                })
                .collect()
        })
        .collect()
}

/// A column's values as numbers (times as seconds since 1970); `None` for text.
fn numbers_of(array: &arrow::array::ArrayRef, kind: ColumnKind) -> Option<Vec<Option<f64>>> {
    match kind {
        ColumnKind::Text => None,
        ColumnKind::Number => {
            let cast = cast(array, &DataType::Float64).ok()?;
            let floats = cast.as_any().downcast_ref::<Float64Array>()?;
            Some(floats.iter().collect())
        }
        ColumnKind::Time => {
            let seconds = cast(array, &DataType::Timestamp(TimeUnit::Second, None)).ok()?;
            let seconds = cast(&seconds, &DataType::Int64).ok()?;
            let ints = seconds.as_any().downcast_ref::<Int64Array>()?;
            Some(ints.iter().map(|v| v.map(|s| s as f64)).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboards::bindings::Selection;
    use crate::dashboards::spec::parse;

    fn dashboard(sql: &str) -> crate::dashboards::spec::Dashboard {
        parse(
            &format!(
                "title = 't'\n[[variables]]\nname = 'who'\ndefault = \"x'); DROP TABLE t; --\"\n[[panels]]\ntitle = 'p'\nkind = 'table'\nsql = \"{sql}\"\n"
            ),
            "t.toml",
        )
        .unwrap()
    }

    #[test]
    fn inlined_values_are_literals_and_strings_and_comments_stay() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t AS SELECT 'x' AS who")
            .unwrap();
        let d = dashboard(
            "select $who AS a, '$who' AS b, $nobody AS c -- $who\\nfrom t where who <> $who",
        );
        let b = Bindings::resolve(&conn, &d, &Selection::default()).unwrap();
        let sql = inline_sql(&d.panels[0], &b);
        let body = sql.split_once('\n').unwrap().1;
        assert_eq!(
            body,
            "select 'x''); DROP TABLE t; --' AS a, '$who' AS b, $nobody AS c -- $who\nfrom t where who <> 'x''); DROP TABLE t; --'"
        );
    }

    #[test]
    fn values_are_bound_never_spliced_and_panels_only_read() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t AS SELECT 'x' AS who, DATE '2011-01-05' AS day, 1.5 AS n",
        )
        .unwrap();
        let d = dashboard("select who, day, n, $who AS asked from t");
        let b = Bindings::resolve(&conn, &d, &Selection::default()).unwrap();
        let rows = run_panel(&conn, &d.panels[0], &b).unwrap();
        assert_eq!(
            rows.columns.iter().map(|c| c.kind).collect::<Vec<_>>(),
            [
                ColumnKind::Text,
                ColumnKind::Time,
                ColumnKind::Number,
                ColumnKind::Text
            ]
        );
        assert_eq!(
            rows.rows[0][1],
            Cell {
                text: "2011-01-05".into(),
                number: Some(1_294_185_600.0)
            }
        );
        assert_eq!(rows.rows[0][3].text, "x'); DROP TABLE t; --");
        let sql = tab_sql(&conn, &d.panels[0], &b).unwrap();
        assert!(
            sql.ends_with("EXECUTE panel(who := 'x''); DROP TABLE t; --');\n"),
            "{sql}"
        );
        conn.execute_batch(&sql).unwrap();
        let writes = dashboard("delete from t");
        let e = run_panel(&conn, &writes.panels[0], &b)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("panel `p` (line 6): "), "{e}");
        let two = dashboard("select 1; drop table t");
        let e = run_panel(&conn, &two.panels[0], &b)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "panel `p` (line 6): a panel runs one SELECT; this SQL holds 2 statements"
        );
        let unknown = dashboard("select $nobody");
        let e = run_panel(&conn, &unknown.panels[0], &b)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "panel `p` (line 6): $nobody is not a variable of this dashboard (it binds: $who)"
        );
        let n: i64 = conn
            .query_row("select count(*) from t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }
}
