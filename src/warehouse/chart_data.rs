//! The data of a chart of any query result, computed by DuckDB over the whole result
//! table (never the rows on screen) and bounded whatever the result's size: a line has
//! at most [`LINE_BUCKETS`] points per series, a bar chart the top [`TOP_BARS`]
//! categories and "other", a scatter a deterministic sample of at most
//! [`SCATTER_POINTS`] rows, a histogram [`HISTOGRAM_BINS`] bins.
//!
//! [`ChartSpec::choose`] picks the kind from the column types; the TUI cycles the kind
//! and the columns, and `export::charts` draws the same [`ChartData`] to PNG and SVG.

use duckdb::Connection;

use super::pager::ResultColumn;
use super::{WarehouseError, quote_ident};

pub const LINE_BUCKETS: u32 = 300;
pub const TOP_BARS: u32 = 20;
pub const SCATTER_POINTS: u64 = 2_000;
pub const HISTOGRAM_BINS: u32 = 30;
/// Series one chart shows at most (one colour and one legend entry each).
pub const MAX_SERIES: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Sum of each y per x bucket, over a time or numeric x.
    Line,
    /// Sum of each y (or the row count) per category, largest first.
    Bar,
    /// Points of two numbers.
    Scatter,
    /// Rows per bin of one number.
    Histogram,
}

impl ChartKind {
    const ALL: [ChartKind; 4] = [Self::Line, Self::Bar, Self::Scatter, Self::Histogram];

    pub fn name(self) -> &'static str {
        match self {
            Self::Line => "line",
            Self::Bar => "bar",
            Self::Scatter => "scatter",
            Self::Histogram => "histogram",
        }
    }
}

/// Whether a column holds points in time (charted on a time axis as epoch seconds).
pub fn is_time(column: &ResultColumn) -> bool {
    let t = column.data_type.to_uppercase();
    t.starts_with("DATE") || t.starts_with("TIMESTAMP")
}

/// What to chart: the kind, the x column and the y columns (indexes into the result's
/// columns). A histogram has no y; a bar chart without y counts rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartSpec {
    pub kind: ChartKind,
    pub x: usize,
    pub ys: Vec<usize>,
}

impl ChartSpec {
    /// The chart the column types suggest: a time (or first numeric, when there is no
    /// text) x with numbers is a line, text with a number a bar chart, two numbers a
    /// scatter, one number a histogram, text alone a bar chart of counts.
    pub fn choose(columns: &[ResultColumn]) -> Option<Self> {
        let numbers: Vec<usize> = indexes(columns, |c| c.numeric);
        let time = columns.iter().position(is_time);
        let text = columns.iter().position(|c| !c.numeric && !is_time(c));
        let (kind, x) = match (time, text, numbers.len()) {
            (Some(t), _, n) if n > 0 => (ChartKind::Line, t),
            (_, Some(t), n) if n > 0 => (ChartKind::Bar, t),
            (_, _, n) if n >= 2 => (ChartKind::Scatter, numbers[0]),
            (_, _, 1) => (ChartKind::Histogram, numbers[0]),
            (_, Some(t), _) => (ChartKind::Bar, t),
            (Some(t), None, _) => (ChartKind::Bar, t),
            _ => return None,
        };
        Self::fit(kind, x, None, columns)
    }

    /// This chart as `kind`, keeping the x and the first y when they suit it; `None`
    /// when the columns cannot make that kind.
    pub fn fit(
        kind: ChartKind,
        x: usize,
        y: Option<usize>,
        columns: &[ResultColumn],
    ) -> Option<Self> {
        let x_ok = |i: usize| match kind {
            ChartKind::Line => columns[i].numeric || is_time(&columns[i]),
            ChartKind::Bar => true,
            ChartKind::Scatter | ChartKind::Histogram => columns[i].numeric,
        };
        let x = if x < columns.len() && x_ok(x) {
            x
        } else {
            (0..columns.len()).find(|&i| x_ok(i))?
        };
        let numbers = indexes(columns, |c| c.numeric);
        let first_y = y
            .filter(|y| *y != x && numbers.contains(y))
            .or_else(|| numbers.iter().copied().find(|&i| i != x));
        let ys = match kind {
            ChartKind::Histogram => vec![],
            ChartKind::Bar => first_y.into_iter().collect(),
            ChartKind::Line | ChartKind::Scatter => vec![first_y?],
        };
        Some(Self { kind, x, ys })
    }

    /// The next kind (line, bar, scatter, histogram, around) the columns can make.
    pub fn next_kind(&self, columns: &[ResultColumn]) -> Self {
        let at = ChartKind::ALL
            .iter()
            .position(|k| *k == self.kind)
            .unwrap_or(0);
        (1..=ChartKind::ALL.len())
            .map(|step| ChartKind::ALL[(at + step) % ChartKind::ALL.len()])
            .find_map(|kind| Self::fit(kind, self.x, self.ys.first().copied(), columns))
            .unwrap_or_else(|| self.clone())
    }

    /// The next column that can be this chart's x.
    pub fn next_x(&self, columns: &[ResultColumn]) -> Self {
        (1..=columns.len())
            .map(|step| (self.x + step) % columns.len())
            .find_map(|x| {
                Self::fit(self.kind, x, self.ys.first().copied(), columns)
                    .filter(|spec| spec.x == x)
            })
            .unwrap_or_else(|| self.clone())
    }

    /// The first series moves to the next number column (other series stay).
    pub fn next_y(&self, columns: &[ResultColumn]) -> Self {
        let candidates = self.y_candidates(columns);
        let Some(first) = self.ys.first() else {
            return self.clone();
        };
        let after = candidates
            .iter()
            .find(|&&c| c > *first && !self.ys.contains(&c));
        let next = after.or_else(|| candidates.iter().find(|c| !self.ys.contains(c)));
        let mut spec = self.clone();
        if let Some(&next) = next {
            spec.ys[0] = next;
        }
        spec
    }

    /// Another number column as one more series, or back to one series when every
    /// number is shown (or [`MAX_SERIES`] are).
    pub fn add_y(&self, columns: &[ResultColumn]) -> Self {
        let mut spec = self.clone();
        if self.kind == ChartKind::Histogram {
            return spec;
        }
        let unused = self
            .y_candidates(columns)
            .into_iter()
            .find(|c| !self.ys.contains(c));
        match unused {
            Some(c) if self.ys.len() < MAX_SERIES => spec.ys.push(c),
            _ => spec.ys.truncate(1),
        }
        spec
    }

    fn y_candidates(&self, columns: &[ResultColumn]) -> Vec<usize> {
        indexes(columns, |c| c.numeric)
            .into_iter()
            .filter(|&i| i != self.x)
            .collect()
    }

    /// The SQL that computes this chart over `table` (`total_rows` rows), returning the
    /// x (or the label), then one value per series.
    pub fn sql(&self, table: &str, columns: &[ResultColumn], total_rows: u64) -> String {
        let col = |i: usize| quote_ident(&columns[i].name);
        let x = col(self.x);
        let x_number = if is_time(&columns[self.x]) {
            format!("epoch({x})::DOUBLE")
        } else {
            format!("{x}::DOUBLE")
        };
        let ys: Vec<String> = self.ys.iter().map(|&i| col(i)).collect();
        match self.kind {
            ChartKind::Line => {
                // Our own aliases (x, y0, y1…): a result's column may be called `x`.
                let picked = ys
                    .iter()
                    .enumerate()
                    .map(|(i, y)| format!("{y} AS y{i}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sums = (0..ys.len())
                    .map(|i| format!("sum(y{i})::DOUBLE"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "WITH src AS (SELECT {x_number} AS x, {picked} FROM {table} WHERE {x} IS NOT NULL),\n\
                     bounds AS (SELECT min(x) AS lo, max(x) AS hi FROM src WHERE isfinite(x))\n\
                     SELECT min(x) AS x, {sums}\n\
                     FROM src, bounds WHERE isfinite(x)\n\
                     GROUP BY least(coalesce(floor((x - lo) / nullif(hi - lo, 0) * {LINE_BUCKETS}), 0), {last})\n\
                     ORDER BY 1",
                    last = LINE_BUCKETS - 1
                )
            }
            ChartKind::Bar => {
                let values: Vec<String> = if ys.is_empty() {
                    vec!["count(*)::DOUBLE".into()]
                } else {
                    ys.iter().map(|y| format!("sum({y})::DOUBLE")).collect()
                };
                let names: Vec<String> = (0..values.len()).map(|i| format!("v{i}")).collect();
                let grouped = values
                    .iter()
                    .zip(&names)
                    .map(|(v, n)| format!("{v} AS {n}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let summed = names
                    .iter()
                    .map(|n| format!("sum({n})::DOUBLE"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "WITH g AS (SELECT coalesce({x}::VARCHAR, 'NULL') AS label, {grouped} FROM {table} GROUP BY 1),\n\
                     ranked AS (SELECT *, row_number() OVER (ORDER BY v0 DESC NULLS LAST, label) AS n FROM g)\n\
                     SELECT CASE WHEN n <= {TOP_BARS} THEN label END AS label, {summed}, count(*)::DOUBLE, min(n)::DOUBLE\n\
                     FROM ranked GROUP BY 1 ORDER BY min(n)"
                )
            }
            ChartKind::Scatter => {
                let every = total_rows.div_ceil(SCATTER_POINTS).max(1);
                let doubles = ys
                    .iter()
                    .map(|y| format!("{y}::DOUBLE"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "SELECT {x_number}, {doubles} FROM {table}\n\
                     WHERE rowid % {every} = 0 AND {x} IS NOT NULL\n\
                     ORDER BY rowid LIMIT {SCATTER_POINTS}"
                )
            }
            ChartKind::Histogram => format!(
                "WITH src AS (SELECT {x_number} AS v FROM {table} WHERE {x} IS NOT NULL),\n\
                 finite AS (SELECT v FROM src WHERE isfinite(v)),\n\
                 bounds AS (SELECT min(v) AS lo, max(v) AS hi FROM finite)\n\
                 SELECT least(coalesce(floor((v - lo) / nullif(hi - lo, 0) * {HISTOGRAM_BINS}), 0), {last})::DOUBLE AS bin,\n\
                        count(*)::DOUBLE, any_value(lo), any_value(hi)\n\
                 FROM finite, bounds GROUP BY bin ORDER BY bin",
                last = HISTOGRAM_BINS - 1
            ),
        }
    }

    /// The chart's title: `revenue, lines by month`.
    pub fn title(&self, columns: &[ResultColumn]) -> String {
        let x = &columns[self.x].name;
        let ys: Vec<&str> = self.ys.iter().map(|&i| columns[i].name.as_str()).collect();
        match self.kind {
            ChartKind::Histogram => format!("rows by {x}"),
            ChartKind::Bar if ys.is_empty() => format!("rows by {x}"),
            ChartKind::Scatter => format!("{} against {x}", ys.join(", ")),
            ChartKind::Line | ChartKind::Bar => format!("sum of {} by {x}", ys.join(", ")),
        }
    }
}

fn indexes(columns: &[ResultColumn], wanted: impl Fn(&ResultColumn) -> bool) -> Vec<usize> {
    (0..columns.len())
        .filter(|&i| wanted(&columns[i]))
        .collect()
}

/// One line, set of bars or of points, named for the legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A chart's computed data: for bars and histograms, the x of point `i` is `i` and
/// `labels[i]` names it; for lines and scatters x is a number (epoch seconds when
/// `x_time`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    pub kind: ChartKind,
    pub title: String,
    pub x_label: String,
    pub x_time: bool,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
}

/// Computes `spec` over the result table `table` of `total_rows` rows.
pub fn compute(
    conn: &Connection,
    table: &str,
    columns: &[ResultColumn],
    total_rows: u64,
    spec: &ChartSpec,
) -> Result<ChartData, WarehouseError> {
    let sql = spec.sql(table, columns, total_rows);
    let mut stmt = conn.prepare(&sql)?;
    let width = stmt.column_count().max(1);
    let mut rows: Vec<(Option<String>, Vec<Option<f64>>)> = Vec::new();
    let mut query = stmt.query([])?;
    while let Some(row) = query.next()? {
        let first = match spec.kind {
            ChartKind::Bar => row.get::<_, Option<String>>(0)?,
            _ => None,
        };
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(match (spec.kind, i) {
                (ChartKind::Bar, 0) => None,
                _ => row.get::<_, Option<f64>>(i)?,
            });
        }
        rows.push((first, values));
    }
    let names: Vec<String> = spec.ys.iter().map(|&i| columns[i].name.clone()).collect();
    Ok(ChartData {
        kind: spec.kind,
        title: spec.title(columns),
        x_label: columns[spec.x].name.clone(),
        x_time: matches!(spec.kind, ChartKind::Line | ChartKind::Scatter)
            && is_time(&columns[spec.x]),
        labels: labels_of(spec.kind, &rows),
        series: series_of(spec.kind, names, &rows),
    })
}

fn labels_of(kind: ChartKind, rows: &[(Option<String>, Vec<Option<f64>>)]) -> Vec<String> {
    match kind {
        ChartKind::Bar => rows
            .iter()
            .map(|(label, values)| match label {
                Some(label) => label.clone(),
                // The categories past the top ones: values are [label, sums.., count, rank].
                None => {
                    let count = values.iter().rev().nth(1).copied().flatten().unwrap_or(0.0);
                    format!("other ({count:.0})")
                }
            })
            .collect(),
        ChartKind::Histogram => {
            let Some((_, first)) = rows.first() else {
                return vec![];
            };
            let (lo, hi) = (first[2].unwrap_or(0.0), first[3].unwrap_or(0.0));
            let width = (hi - lo) / HISTOGRAM_BINS as f64;
            let bins = if hi > lo { HISTOGRAM_BINS } else { 1 };
            (0..bins)
                .map(|b| short_number(lo + width * b as f64))
                .collect()
        }
        ChartKind::Line | ChartKind::Scatter => vec![],
    }
}

fn series_of(
    kind: ChartKind,
    names: Vec<String>,
    rows: &[(Option<String>, Vec<Option<f64>>)],
) -> Vec<Series> {
    match kind {
        ChartKind::Histogram => {
            let bins = rows
                .first()
                .map_or(0, |(_, v)| if v[3] > v[2] { HISTOGRAM_BINS } else { 1 });
            let mut counts = vec![0.0; bins as usize];
            for (_, values) in rows {
                let bin = values[0].unwrap_or(0.0) as usize;
                if let Some(slot) = counts.get_mut(bin) {
                    *slot = values[1].unwrap_or(0.0);
                }
            }
            vec![Series {
                name: "rows".into(),
                points: counts
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| (i as f64, c))
                    .collect(),
            }]
        }
        ChartKind::Bar => {
            let names = if names.is_empty() {
                vec!["rows".to_string()]
            } else {
                names
            };
            names
                .into_iter()
                .enumerate()
                .map(|(s, name)| Series {
                    name,
                    points: rows
                        .iter()
                        .enumerate()
                        .map(|(i, (_, v))| (i as f64, v[s + 1].unwrap_or(0.0)))
                        .collect(),
                })
                .collect()
        }
        ChartKind::Line | ChartKind::Scatter => names
            .into_iter()
            .enumerate()
            .map(|(s, name)| Series {
                name,
                points: rows
                    .iter()
                    .filter_map(|(_, v)| Some((v[0]?, v[s + 1]?)))
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .collect(),
            })
            .collect(),
    }
}

/// `1234.5` → `1.2k`, `0.25` → `0.25`: short enough for an axis or a bin label.
pub fn short_number(value: f64) -> String {
    let abs = value.abs();
    if abs >= 1_000_000.0 {
        format!("{:.1}M", value / 1_000_000.0)
    } else if abs >= 10_000.0 {
        format!("{:.0}k", value / 1_000.0)
    } else if abs >= 1_000.0 {
        format!("{:.1}k", value / 1_000.0)
    } else if abs >= 10.0 || value.fract() == 0.0 {
        // Whole numbers (counts) never show decimals.
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, data_type: &str, numeric: bool) -> ResultColumn {
        ResultColumn {
            name: name.into(),
            data_type: data_type.into(),
            numeric,
        }
    }

    fn conn_with(sql: &str) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(sql).unwrap();
        conn
    }

    fn columns_of(conn: &Connection, table: &str) -> Vec<ResultColumn> {
        let mut stmt = conn
            .prepare(
                "SELECT column_name, data_type, data_type SIMILAR TO '(INTEGER|BIGINT|DOUBLE|DECIMAL.*)' \
                 FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
            )
            .unwrap();
        stmt.query_map([table], |r| {
            Ok(column(
                &r.get::<_, String>(0)?,
                &r.get::<_, String>(1)?,
                r.get(2)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    #[test]
    fn the_kind_follows_the_column_types() {
        let month = column("month", "DATE", false);
        let country = column("country", "VARCHAR", false);
        let revenue = column("revenue", "DOUBLE", true);
        let lines = column("lines", "BIGINT", true);
        let spec = |cols: &[ResultColumn]| ChartSpec::choose(cols).map(|s| (s.kind, s.x, s.ys));
        assert_eq!(
            spec(&[month.clone(), revenue.clone()]),
            Some((ChartKind::Line, 0, vec![1]))
        );
        assert_eq!(
            spec(&[country.clone(), lines.clone(), revenue.clone()]),
            Some((ChartKind::Bar, 0, vec![1]))
        );
        assert_eq!(
            spec(&[lines.clone(), revenue.clone()]),
            Some((ChartKind::Scatter, 0, vec![1]))
        );
        assert_eq!(
            spec(std::slice::from_ref(&revenue)),
            Some((ChartKind::Histogram, 0, vec![]))
        );
        assert_eq!(
            spec(std::slice::from_ref(&country)),
            Some((ChartKind::Bar, 0, vec![]))
        );
        assert_eq!(spec(&[]), None);
    }

    #[test]
    fn kinds_and_columns_cycle_among_those_that_fit() {
        let cols = vec![
            column("country", "VARCHAR", false),
            column("lines", "BIGINT", true),
            column("revenue", "DOUBLE", true),
        ];
        let bar = ChartSpec::choose(&cols).unwrap();
        let scatter = bar.next_kind(&cols);
        assert_eq!(
            (scatter.kind, scatter.x, scatter.ys.clone()),
            (ChartKind::Scatter, 1, vec![2])
        );
        let histogram = scatter.next_kind(&cols);
        assert_eq!(
            (histogram.kind, histogram.x, histogram.ys.len()),
            (ChartKind::Histogram, 1, 0)
        );
        let line = histogram.next_kind(&cols);
        assert_eq!(
            (line.kind, line.x, line.ys.clone()),
            (ChartKind::Line, 1, vec![2])
        );
        assert_eq!(line.next_x(&cols).x, 2, "a text column is no line's x");
        assert_eq!(bar.next_y(&cols).ys, vec![2]);
        assert_eq!(bar.add_y(&cols).ys, vec![1, 2]);
        assert_eq!(
            bar.add_y(&cols).add_y(&cols).ys,
            vec![1],
            "back to one series"
        );
        assert_eq!(bar.next_x(&cols).x, 1);
    }

    #[test]
    fn hostile_column_names_are_quoted_in_every_kind() {
        let conn = conn_with(
            "CREATE TABLE t AS SELECT ('c' || (i % 30))::VARCHAR AS \"select\", i AS \"a\"\"b\", \
             (i * 2)::DOUBLE AS \"from\", DATE '2011-01-01' + (i % 90)::INTEGER AS \"when\" \
             FROM range(5000) r(i)",
        );
        let cols = columns_of(&conn, "t");
        for kind in ChartKind::ALL {
            let spec = ChartSpec::fit(kind, 0, None, &cols).unwrap();
            let data = compute(&conn, "t", &cols, 5000, &spec)
                .unwrap_or_else(|e| panic!("{kind:?}: {e}\n{}", spec.sql("t", &cols, 5000)));
            assert!(!data.series.is_empty(), "{kind:?}");
        }
    }

    #[test]
    fn every_kind_is_bounded_and_sums_the_whole_table() {
        let conn = conn_with(
            "CREATE TABLE t AS SELECT ('c' || (i % 50))::VARCHAR AS cat, i::DOUBLE AS x, \
             (i % 7)::DOUBLE AS y, TIMESTAMP '2011-01-01' + to_seconds(i * 60) AS ts \
             FROM range(100000) r(i)",
        );
        let cols = columns_of(&conn, "t");
        let total: f64 = (0..100_000u64).map(|i| (i % 7) as f64).sum();
        let line = ChartSpec {
            kind: ChartKind::Line,
            x: 3,
            ys: vec![2],
        };
        let data = compute(&conn, "t", &cols, 100_000, &line).unwrap();
        assert!(data.x_time);
        assert!(data.series[0].points.len() <= LINE_BUCKETS as usize);
        let sum: f64 = data.series[0].points.iter().map(|p| p.1).sum();
        assert_eq!(sum, total);
        let bar = ChartSpec {
            kind: ChartKind::Bar,
            x: 0,
            ys: vec![2],
        };
        let data = compute(&conn, "t", &cols, 100_000, &bar).unwrap();
        assert_eq!(data.labels.len(), TOP_BARS as usize + 1);
        assert_eq!(data.labels.last().unwrap(), "other (30)");
        let sum: f64 = data.series[0].points.iter().map(|p| p.1).sum();
        assert_eq!(sum, total);
        let scatter = ChartSpec {
            kind: ChartKind::Scatter,
            x: 1,
            ys: vec![2],
        };
        let data = compute(&conn, "t", &cols, 100_000, &scatter).unwrap();
        assert_eq!(data.series[0].points.len(), SCATTER_POINTS as usize);
        let again = compute(&conn, "t", &cols, 100_000, &scatter).unwrap();
        assert_eq!(data, again, "the sample is the same every time");
        let histogram = ChartSpec {
            kind: ChartKind::Histogram,
            x: 1,
            ys: vec![],
        };
        let data = compute(&conn, "t", &cols, 100_000, &histogram).unwrap();
        assert_eq!(data.labels.len(), HISTOGRAM_BINS as usize);
        let rows: f64 = data.series[0].points.iter().map(|p| p.1).sum();
        assert_eq!(rows, 100_000.0);
    }

    #[test]
    fn empty_and_null_results_chart_to_nothing_without_failing() {
        let conn = conn_with("CREATE TABLE t (c VARCHAR, x DOUBLE, y DOUBLE)");
        let cols = columns_of(&conn, "t");
        for kind in ChartKind::ALL {
            let spec = ChartSpec::fit(kind, 0, None, &cols).unwrap();
            let data = compute(&conn, "t", &cols, 0, &spec).unwrap();
            assert!(data.series.iter().all(|s| s.points.is_empty()), "{kind:?}");
        }
        conn.execute_batch(
            "INSERT INTO t VALUES (NULL, NULL, 1), (NULL, 'inf', 2), ('a', 1, NULL)",
        )
        .unwrap();
        let bar = ChartSpec {
            kind: ChartKind::Bar,
            x: 0,
            ys: vec![2],
        };
        let data = compute(&conn, "t", &cols, 3, &bar).unwrap();
        assert_eq!(data.labels, vec!["NULL", "a"]);
        let histogram = ChartSpec {
            kind: ChartKind::Histogram,
            x: 1,
            ys: vec![],
        };
        let data = compute(&conn, "t", &cols, 3, &histogram).unwrap();
        assert_eq!(data.series[0].points, vec![(0.0, 1.0)], "inf is left out");
    }
}
