//! A panel's rows shaped for drawing ([`Figure`]): the one thing both the workbench
//! (ratatui) and `dashboard render` (plotters) draw, so the two never disagree.

use super::error::DashboardError;
use super::run::{ColumnKind, PanelRows};
use super::spec::{Panel, PanelKind};
use serde::{Deserialize, Serialize};

/// Series a line or bar panel draws at most; the smallest of the rest add up as "other".
pub const MAX_SERIES: usize = 8;

/// What a panel draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Figure {
    /// One figure, and the same query's figure over the period before (when the
    /// dashboard has a bounded period).
    Kpi {
        value: Option<f64>,
        previous: Option<f64>,
    },
    Gauge {
        value: Option<f64>,
        min: f64,
        max: f64,
    },
    /// The last value, and every value in order.
    Sparkline {
        value: Option<f64>,
        points: Vec<f64>,
    },
    /// Lines or bars over a shared x.
    Series(SeriesFigure),
    Table {
        columns: Vec<String>,
        numeric: Vec<bool>,
        rows: Vec<Vec<String>>,
        truncated: bool,
    },
    /// Row labels × column labels; a missing cell is `None`.
    Heatmap {
        rows: Vec<String>,
        columns: Vec<String>,
        cells: Vec<Vec<Option<f64>>>,
    },
}

/// Series over one x: point `i` of every series is at `x_labels[i]` (and `x_values[i]`
/// for a numeric or time x).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesFigure {
    pub x_name: String,
    pub x_labels: Vec<String>,
    /// Numbers (seconds since 1970 for time) when x is not text.
    pub x_values: Option<Vec<f64>>,
    pub x_time: bool,
    pub series: Vec<(String, Vec<Option<f64>>)>,
}

/// Shapes `rows` (and, for a KPI, the previous period's rows) by the panel's kind.
pub fn shape(
    panel: &Panel,
    rows: &PanelRows,
    previous: Option<&PanelRows>,
) -> Result<Figure, DashboardError> {
    let fail = |message: String| DashboardError::Panel {
        panel: panel.title.clone(),
        line: panel.line,
        message,
    };
    let first_number = |rows: &PanelRows| -> Result<Option<f64>, DashboardError> {
        let column = rows
            .columns
            .iter()
            .position(|c| c.kind == ColumnKind::Number)
            .ok_or_else(|| fail(needs(panel.kind, "a number column", rows)))?;
        Ok(rows.rows.first().and_then(|r| r[column].number))
    };
    Ok(match panel.kind {
        PanelKind::Kpi => Figure::Kpi {
            value: first_number(rows)?,
            previous: previous.map(first_number).transpose()?.flatten(),
        },
        PanelKind::Gauge => {
            let value = first_number(rows)?;
            let top = panel.thresholds.last().map(|t| t.from * 1.25);
            Figure::Gauge {
                value,
                min: panel.min.unwrap_or(0.0),
                max: panel.max.or(top).or(value).unwrap_or(1.0),
            }
        }
        PanelKind::Sparkline => {
            let column = rows
                .columns
                .iter()
                .rposition(|c| c.kind == ColumnKind::Number)
                .ok_or_else(|| fail(needs(panel.kind, "a number column", rows)))?;
            let points: Vec<f64> = rows.rows.iter().filter_map(|r| r[column].number).collect();
            Figure::Sparkline {
                value: points.last().copied(),
                points,
            }
        }
        PanelKind::Line | PanelKind::Bar | PanelKind::StackedBar => {
            Figure::Series(series(rows).ok_or_else(|| {
                fail(needs(
                    panel.kind,
                    "an x column then number columns (or x, a name, a number)",
                    rows,
                ))
            })?)
        }
        PanelKind::Table => Figure::Table {
            columns: rows.columns.iter().map(|c| c.name.clone()).collect(),
            numeric: rows
                .columns
                .iter()
                .map(|c| c.kind == ColumnKind::Number)
                .collect(),
            rows: table_texts(rows),
            truncated: rows.truncated,
        },
        PanelKind::Heatmap => heatmap(rows).ok_or_else(|| {
            fail(needs(
                panel.kind,
                "a row label, a column label and a number",
                rows,
            ))
        })?,
    })
}

/// A table's cells: numbers with thousands separators and, per column, the most
/// decimals DuckDB wrote in it (`3202996.03`, `76763.3` → `3,202,996.03`, `76,763.30`);
/// everything else as DuckDB wrote it.
fn table_texts(rows: &PanelRows) -> Vec<Vec<String>> {
    let decimals: Vec<usize> = (0..rows.columns.len())
        .map(|i| {
            rows.rows
                .iter()
                .filter_map(|r| r[i].text.split_once('.').map(|(_, f)| f.len()))
                .max()
                .unwrap_or(0)
                .min(6)
        })
        .collect();
    rows.rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&rows.columns)
                .zip(&decimals)
                .map(
                    |((cell, column), &decimals)| match (column.kind, cell.number) {
                        (ColumnKind::Number, Some(n)) if n.is_finite() => {
                            super::spec::grouped(n, decimals)
                        }
                        _ => cell.text.clone(),
                    },
                )
                .collect()
        })
        .collect()
}

/// "a kpi panel needs a number column; the query returned name (text)".
fn needs(kind: PanelKind, what: &str, rows: &PanelRows) -> String {
    let returned: Vec<String> = rows
        .columns
        .iter()
        .map(|c| {
            let kind = match c.kind {
                ColumnKind::Number => "number",
                ColumnKind::Time => "time",
                ColumnKind::Text => "text",
            };
            format!("{} ({kind})", c.name)
        })
        .collect();
    format!(
        "a {} panel needs {what}; the query returned {}",
        kind.name(),
        if returned.is_empty() {
            "no columns".into()
        } else {
            returned.join(", ")
        }
    )
}

/// Wide rows (x, n1, n2, …) or long rows (x, series name, n) as series over x.
fn series(rows: &PanelRows) -> Option<SeriesFigure> {
    let columns = &rows.columns;
    let x = columns.first()?;
    let long = columns.len() == 3
        && columns[1].kind != ColumnKind::Number
        && columns[2].kind == ColumnKind::Number;
    let mut x_labels: Vec<String> = Vec::new();
    let mut x_values: Vec<f64> = Vec::new();
    let mut index_of_x = |cell: &super::run::Cell| -> usize {
        match x_labels.iter().position(|l| *l == cell.text) {
            Some(i) => i,
            None => {
                x_labels.push(cell.text.clone());
                x_values.push(cell.number.unwrap_or(f64::NAN));
                x_labels.len() - 1
            }
        }
    };
    let mut series: Vec<(String, Vec<Option<f64>>)> = Vec::new();
    if long {
        for row in &rows.rows {
            let at = index_of_x(&row[0]);
            let name = &row[1].text;
            let position = match series.iter().position(|(n, _)| n == name) {
                Some(p) => p,
                None => {
                    series.push((name.clone(), Vec::new()));
                    series.len() - 1
                }
            };
            let values = &mut series[position].1;
            values.resize(values.len().max(at + 1), None);
            values[at] = Some(values[at].unwrap_or(0.0) + row[2].number.unwrap_or(0.0));
        }
    } else {
        let numbers = numbers_after_first(columns)?;
        series = numbers
            .iter()
            .map(|&i| (columns[i].name.clone(), Vec::new()))
            .collect();
        for row in &rows.rows {
            let at = index_of_x(&row[0]);
            for (s, &column) in series.iter_mut().zip(&numbers) {
                s.1.resize(s.1.len().max(at + 1), None);
                s.1[at] = row[column].number;
            }
        }
    }
    let points = x_labels.len();
    for (_, values) in &mut series {
        values.resize(points, None);
    }
    Some(SeriesFigure {
        x_name: x.name.clone(),
        x_time: x.kind == ColumnKind::Time,
        x_values: (x.kind != ColumnKind::Text).then_some(x_values),
        x_labels,
        series: fold_other(series),
    })
}

/// The number columns after the first (the x or the row label), if there are any.
fn numbers_after_first(columns: &[super::run::PanelColumn]) -> Option<Vec<usize>> {
    let numbers: Vec<usize> = (1..columns.len())
        .filter(|&i| columns[i].kind == ColumnKind::Number)
        .collect();
    (!numbers.is_empty()).then_some(numbers)
}

/// Keeps the [`MAX_SERIES`] - 1 largest series and adds the rest up as "other".
fn fold_other(mut series: Vec<(String, Vec<Option<f64>>)>) -> Vec<(String, Vec<Option<f64>>)> {
    if series.len() <= MAX_SERIES {
        return series;
    }
    let total = |values: &[Option<f64>]| values.iter().flatten().map(|v| v.abs()).sum::<f64>();
    let mut order: Vec<usize> = (0..series.len()).collect();
    order.sort_by(|&a, &b| total(&series[b].1).total_cmp(&total(&series[a].1)));
    let kept: Vec<usize> = order[..MAX_SERIES - 1].to_vec();
    let points = series[0].1.len();
    let mut other = vec![None; points];
    for (i, (_, values)) in series.iter().enumerate() {
        if kept.contains(&i) {
            continue;
        }
        for (slot, v) in other.iter_mut().zip(values) {
            if let Some(v) = v {
                *slot = Some(slot.unwrap_or(0.0) + v);
            }
        }
    }
    let mut kept_series: Vec<(String, Vec<Option<f64>>)> = Vec::new();
    for (i, s) in series.drain(..).enumerate() {
        if kept.contains(&i) {
            kept_series.push(s);
        }
    }
    kept_series.push(("other".into(), other));
    kept_series
}

/// Long rows (row label, column label, n) or wide rows (row label, n1, n2, …). Three
/// columns whose middle one is a number (`cohort, months_since_first, rate`) are long
/// when a row label repeats: wide rows name each row once.
fn heatmap(rows: &PanelRows) -> Option<Figure> {
    let columns = &rows.columns;
    // Long rows when the column label is not a number, or when row labels repeat (a
    // number of months since, say): wide rows name each row once.
    let repeats = || {
        let mut seen = std::collections::HashSet::new();
        rows.rows.iter().any(|r| !seen.insert(r[0].text.as_str()))
    };
    let long = columns.len() == 3
        && columns[2].kind == ColumnKind::Number
        && (columns[1].kind != ColumnKind::Number || repeats());
    let (mut row_labels, mut column_labels): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let mut cells: Vec<Vec<Option<f64>>> = Vec::new();
    let at = |labels: &mut Vec<String>, text: &str| match labels.iter().position(|l| l == text) {
        Some(i) => i,
        None => {
            labels.push(text.to_string());
            labels.len() - 1
        }
    };
    if long {
        for row in &rows.rows {
            let r = at(&mut row_labels, &row[0].text);
            let c = at(&mut column_labels, &row[1].text);
            cells.resize(row_labels.len(), Vec::new());
            let width = cells[r].len().max(c + 1);
            cells[r].resize(width, None);
            cells[r][c] = row[2].number;
        }
    } else {
        let numbers = numbers_after_first(columns)?;
        column_labels = numbers.iter().map(|&i| columns[i].name.clone()).collect();
        for row in &rows.rows {
            row_labels.push(row[0].text.clone());
            cells.push(numbers.iter().map(|&i| row[i].number).collect());
        }
    }
    for row in &mut cells {
        row.resize(column_labels.len(), None);
    }
    Some(Figure::Heatmap {
        rows: row_labels,
        columns: column_labels,
        cells,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboards::run::{Cell, PanelColumn};
    use crate::dashboards::spec::parse;

    fn panel(kind: &str) -> Panel {
        parse(
            &format!("title = 't'\n[[panels]]\ntitle = 'p'\nkind = '{kind}'\nsql = 'select 1'\n"),
            "t.toml",
        )
        .unwrap()
        .panels
        .remove(0)
    }

    fn rows(columns: &[(&str, ColumnKind)], cells: &[&[&str]]) -> PanelRows {
        PanelRows {
            columns: columns
                .iter()
                .map(|(n, k)| PanelColumn {
                    name: n.to_string(),
                    kind: *k,
                })
                .collect(),
            rows: cells
                .iter()
                .map(|r| {
                    r.iter()
                        .zip(columns)
                        .map(|(t, (_, k))| Cell {
                            text: t.to_string(),
                            number: (*k != ColumnKind::Text).then(|| t.parse().ok()).flatten(),
                        })
                        .collect()
                })
                .collect(),
            truncated: false,
        }
    }

    #[test]
    fn long_rows_pivot_into_series_with_gaps() {
        use ColumnKind::*;
        let r = rows(
            &[("month", Text), ("country", Text), ("revenue", Number)],
            &[&["01", "UK", "5"], &["01", "FR", "2"], &["02", "UK", "7"]],
        );
        let Figure::Series(s) = shape(&panel("stacked_bar"), &r, None).unwrap() else {
            panic!()
        };
        assert_eq!(s.x_labels, ["01", "02"]);
        assert_eq!(
            s.series,
            [
                ("UK".to_string(), vec![Some(5.0), Some(7.0)]),
                ("FR".to_string(), vec![Some(2.0), None])
            ]
        );
        assert_eq!(s.x_values, None);
    }

    #[test]
    fn a_kpi_compares_and_a_wrong_shape_says_what_came_back() {
        use ColumnKind::*;
        let now = rows(&[("revenue", Number)], &[&["120"]]);
        let before = rows(&[("revenue", Number)], &[&["100"]]);
        assert_eq!(
            shape(&panel("kpi"), &now, Some(&before)).unwrap(),
            Figure::Kpi {
                value: Some(120.0),
                previous: Some(100.0)
            }
        );
        let text = rows(&[("name", Text)], &[&["x"]]);
        let e = shape(&panel("kpi"), &text, None).unwrap_err().to_string();
        assert_eq!(
            e,
            "panel `p` (line 3): a kpi panel needs a number column; the query returned name (text)"
        );
        let heat = rows(
            &[("cohort", Text), ("m0", Number), ("m1", Number)],
            &[&["2011-01", "1", "0.4"]],
        );
        assert_eq!(
            shape(&panel("heatmap"), &heat, None).unwrap(),
            Figure::Heatmap {
                rows: vec!["2011-01".into()],
                columns: vec!["m0".into(), "m1".into()],
                cells: vec![vec![Some(1.0), Some(0.4)]]
            }
        );
        let cohorts = rows(
            &[("cohort", Text), ("months", Number), ("rate", Number)],
            &[
                &["2011-01", "0", "1"],
                &["2011-01", "1", "0.4"],
                &["2011-02", "0", "1"],
            ],
        );
        assert_eq!(
            shape(&panel("heatmap"), &cohorts, None).unwrap(),
            Figure::Heatmap {
                rows: vec!["2011-01".into(), "2011-02".into()],
                columns: vec!["0".into(), "1".into()],
                cells: vec![vec![Some(1.0), Some(0.4)], vec![Some(1.0), None]]
            }
        );
    }

    #[test]
    fn table_numbers_are_grouped_with_their_own_decimals() {
        use ColumnKind::*;
        let r = rows(
            &[("country", Text), ("revenue", Number), ("orders", Number)],
            &[&["United Kingdom", "3202996.03", "7935"]],
        );
        let Figure::Table { rows, .. } = shape(&panel("table"), &r, None).unwrap() else {
            panic!()
        };
        assert_eq!(rows[0], ["United Kingdom", "3,202,996.03", "7,935"]);
    }

    #[test]
    fn many_series_keep_the_largest_and_add_up_the_rest() {
        let series: Vec<(String, Vec<Option<f64>>)> = (0..10)
            .map(|i| (format!("s{i}"), vec![Some(i as f64)]))
            .collect();
        let folded = fold_other(series);
        assert_eq!(folded.len(), MAX_SERIES);
        assert_eq!(
            folded.last().unwrap(),
            &("other".to_string(), vec![Some(0.0 + 1.0 + 2.0)])
        );
        assert_eq!(folded[0].0, "s3");
    }
}
