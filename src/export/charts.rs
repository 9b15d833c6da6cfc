//! Report charts drawn with plotters, the same drawing for SVG (inline in HTML) and PNG
//! (beside the Markdown). Fonts come from `assets/fonts`, so charts look the same on any
//! machine, with no system font libraries.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::ExportError;
use crate::format::thousands;
use crate::warehouse::chart_data::{ChartData, ChartKind};

pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 440;
const FONT: &str = "sans-serif";
const BLUE: RGBColor = RGBColor(37, 99, 235);
const RED: RGBColor = RGBColor(220, 38, 38);

static FONTS: Once = Once::new();

fn register_fonts() {
    FONTS.call_once(|| {
        let regular: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        let bold: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, regular);
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, bold);
    });
}

/// One chart and its data.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Vertical bars over labelled categories (months).
    Bars {
        title: String,
        y_label: String,
        labels: Vec<String>,
        values: Vec<f64>,
    },
    /// A line over dates.
    Line {
        title: String,
        y_label: String,
        points: Vec<(chrono::NaiveDate, f64)>,
        percent: bool,
    },
    /// Horizontal bars, largest first (top countries, products).
    Ranking {
        title: String,
        x_label: String,
        labels: Vec<String>,
        values: Vec<f64>,
    },
    /// Series of points over a numeric, time or category x, with a legend: the chart
    /// of any query result (`warehouse::chart_data`), drawn as lines, points or bars.
    Series(SeriesChart),
    /// Rows (cohorts) × columns (months since first purchase), cells 0..1.
    Heatmap {
        title: String,
        rows: Vec<String>,
        columns: usize,
        cells: Vec<(usize, usize, f64)>,
    },
}

impl Chart {
    pub fn title(&self) -> &str {
        match self {
            Chart::Bars { title, .. }
            | Chart::Line { title, .. }
            | Chart::Ranking { title, .. }
            | Chart::Heatmap { title, .. } => title,
            Chart::Series(chart) => &chart.title,
        }
    }

    pub fn to_svg(&self) -> Result<String, ExportError> {
        self.to_svg_sized((WIDTH, HEIGHT))
    }

    pub fn to_svg_sized(&self, size: (u32, u32)) -> Result<String, ExportError> {
        register_fonts();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(|e| self.failed(e))?;
        }
        Ok(svg)
    }

    pub fn to_png(&self, path: &std::path::Path) -> Result<(), ExportError> {
        self.to_png_sized(path, (WIDTH, HEIGHT))
    }

    pub fn to_png_sized(
        &self,
        path: &std::path::Path,
        size: (u32, u32),
    ) -> Result<(), ExportError> {
        register_fonts();
        let root = BitMapBackend::new(path, size).into_drawing_area();
        self.draw(&root)?;
        root.present().map_err(|e| ExportError::WriteChart {
            path: path.to_path_buf(),
            detail: format!("{e:?}"),
        })?;
        Ok(())
    }

    /// A drawing error of this chart.
    fn failed(&self, error: impl std::fmt::Debug) -> ExportError {
        ExportError::Draw {
            chart: self.title().to_string(),
            detail: format!("{error:?}"),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ExportError> {
        root.fill(&WHITE).map_err(|e| self.failed(e))?;
        let result = match self {
            Chart::Bars {
                title,
                y_label,
                labels,
                values,
            } => bars(root, title, y_label, labels, values),
            Chart::Line {
                title,
                y_label,
                points,
                percent,
            } => series(
                root,
                &SeriesChart {
                    title: title.clone(),
                    x_label: String::new(),
                    y_label: y_label.clone(),
                    x_axis: XAxis::Time,
                    style: SeriesStyle::Lines,
                    y_percent: *percent,
                    series: vec![(
                        y_label.clone(),
                        points.iter().map(|(d, v)| (epoch_of(*d), *v)).collect(),
                    )],
                },
            ),
            Chart::Ranking {
                title,
                x_label,
                labels,
                values,
            } => ranking(root, title, x_label, labels, values),
            Chart::Heatmap {
                title,
                rows,
                columns,
                cells,
            } => heatmap(root, title, rows, *columns, cells),
            Chart::Series(chart) => series(root, chart),
        };
        result.map_err(|e| self.failed(e))
    }
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn caption(title: &str) -> (&str, FontDesc<'_>) {
    (
        title,
        FontDesc::new(FontFamily::Name(FONT), 22.0, FontStyle::Bold),
    )
}

fn label_font() -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FONT), 13.0, FontStyle::Normal)
}

/// `1234567.8` → `1,234,568`; negative numbers keep their sign.
pub fn money(value: f64) -> String {
    let rounded = value.round();
    let text = thousands(rounded.abs() as u64);
    if rounded < 0.0 {
        format!("-{text}")
    } else {
        text
    }
}

/// Axis ticks: `1.2M`, `350k`, `900`.
fn compact(value: f64) -> String {
    let abs = value.abs();
    if abs >= 1_000_000.0 {
        format!("{:.1}M", value / 1_000_000.0)
    } else if abs >= 1_000.0 {
        format!("{:.0}k", value / 1_000.0)
    } else {
        format!("{value:.0}")
    }
}

fn range_of(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut low, mut high) = (0.0f64, 0.0f64);
    for v in values {
        low = low.min(v);
        high = high.max(v);
    }
    if high <= low {
        high = low + 1.0;
    }
    (low * 1.08, high * 1.08)
}

fn bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    labels: &[String],
    values: &[f64],
) -> DrawResult<DB> {
    let (low, high) = range_of(values.iter().copied());
    let mut chart = ChartBuilder::on(root)
        .caption(title, caption(title).1)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d((0..values.len()).into_segmented(), low..high)?;
    let step = labels.len().div_ceil(13).max(1);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .y_desc(y_label)
        .y_label_formatter(&|v| compact(*v))
        .x_labels(labels.len())
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if i % step == 0 => {
                labels.get(*i).cloned().unwrap_or_default()
            }
            _ => String::new(),
        })
        .label_style(label_font())
        .axis_desc_style(label_font())
        .draw()?;
    chart.draw_series(values.iter().enumerate().map(|(i, v)| {
        let color = if *v < 0.0 { RED } else { BLUE };
        let mut bar = Rectangle::new(
            [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), *v),
            ],
            color.filled(),
        );
        bar.set_margin(0, 0, 6, 6);
        bar
    }))?;
    Ok(())
}

fn ranking<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    labels: &[String],
    values: &[f64],
) -> DrawResult<DB> {
    let high = values.iter().copied().fold(1.0f64, f64::max) * 1.15;
    let n = values.len();
    let mut chart = ChartBuilder::on(root)
        .caption(title, caption(title).1)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(260)
        .build_cartesian_2d(0.0..high, (0..n).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .x_desc(x_label)
        .x_label_formatter(&|v| compact(*v))
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            // Largest at the top: row 0 is drawn last.
            SegmentValue::CenterOf(i) if *i < n => labels
                .get(n - 1 - i)
                .map(|l| truncate(l, 34))
                .unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(label_font())
        .axis_desc_style(label_font())
        .draw()?;
    chart.draw_series(values.iter().enumerate().map(|(i, v)| {
        let row = n - 1 - i;
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(row)),
                (*v, SegmentValue::Exact(row + 1)),
            ],
            BLUE.filled(),
        );
        bar.set_margin(3, 3, 0, 0);
        bar
    }))?;
    chart.draw_series(values.iter().enumerate().map(|(i, v)| {
        Text::new(
            money(*v),
            (*v, SegmentValue::CenterOf(n - 1 - i)),
            label_font(),
        )
    }))?;
    Ok(())
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(width - 1).collect::<String>())
    }
}

fn heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    rows: &[String],
    columns: usize,
    cells: &[(usize, usize, f64)],
) -> DrawResult<DB> {
    let n = rows.len().max(1);
    let columns = columns.max(1);
    let mut chart = ChartBuilder::on(root)
        .caption(title, caption(title).1)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(90)
        .build_cartesian_2d((0..columns).into_segmented(), (0..n).into_segmented())?;
    // Cohorts top to bottom, oldest first: row r is drawn at y = n - 1 - r.
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("months since first purchase")
        .y_desc("cohort (first purchase)")
        .x_labels(columns)
        .y_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => i.to_string(),
            _ => String::new(),
        })
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if *i < n => rows.get(n - 1 - i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(label_font())
        .axis_desc_style(label_font())
        .draw()?;
    chart.draw_series(cells.iter().map(|&(row, column, rate)| {
        let shade = (255.0 - rate.clamp(0.0, 1.0) * 200.0) as u8;
        let y = n - 1 - row;
        Rectangle::new(
            [
                (SegmentValue::Exact(column), SegmentValue::Exact(y)),
                (SegmentValue::Exact(column + 1), SegmentValue::Exact(y + 1)),
            ],
            RGBColor(shade, shade, 255).filled(),
        )
    }))?;
    let text = FontDesc::new(FontFamily::Name(FONT), 10.0, FontStyle::Normal)
        .into_text_style(root)
        .pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        ));
    chart.draw_series(cells.iter().map(|&(row, column, rate)| {
        let color: &'static RGBColor = if rate > 0.6 { &WHITE } else { &BLACK };
        Text::new(
            format!("{:.0}%", rate * 100.0),
            (
                SegmentValue::CenterOf(column),
                SegmentValue::CenterOf(n - 1 - row),
            ),
            text.clone().color(color),
        )
    }))?;
    Ok(())
}

/// What the x of a [`SeriesChart`] is, which decides its axis labels.
#[derive(Debug, Clone, PartialEq)]
pub enum XAxis {
    Numbers,
    /// Seconds since 1970, labelled as dates.
    Time,
    /// Point `i` is category `labels[i]`.
    Categories(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesStyle {
    Lines,
    Points,
    /// Bars side by side per category (one per series).
    Bars,
}

/// A chart of named series: one colour and one legend entry each.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_axis: XAxis,
    pub style: SeriesStyle,
    /// Y ticks as percentages of 1.
    pub y_percent: bool,
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

impl SeriesChart {
    /// The chart of a query result's data, as the workbench shows it.
    pub fn of(data: &ChartData) -> Self {
        let (x_axis, style) = match data.kind {
            ChartKind::Line if data.x_time => (XAxis::Time, SeriesStyle::Lines),
            ChartKind::Line => (XAxis::Numbers, SeriesStyle::Lines),
            ChartKind::Scatter if data.x_time => (XAxis::Time, SeriesStyle::Points),
            ChartKind::Scatter => (XAxis::Numbers, SeriesStyle::Points),
            ChartKind::Bar | ChartKind::Histogram => {
                (XAxis::Categories(data.labels.clone()), SeriesStyle::Bars)
            }
        };
        let y_label = match data.kind {
            ChartKind::Histogram => "rows".to_string(),
            _ => data
                .series
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        Self {
            title: data.title.clone(),
            x_label: data.x_label.clone(),
            y_label,
            x_axis,
            style,
            y_percent: false,
            series: data
                .series
                .iter()
                .map(|s| (s.name.clone(), s.points.clone()))
                .collect(),
        }
    }
}

/// Writes `chart` as `{stem}.png` and `{stem}.svg` of `size` pixels; returns both paths.
pub fn save_png_and_svg(
    chart: &Chart,
    stem: &std::path::Path,
    size: (u32, u32),
) -> Result<(std::path::PathBuf, std::path::PathBuf), ExportError> {
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    chart.to_png_sized(&png, size)?;
    let text = chart.to_svg_sized(size)?;
    std::fs::write(&svg, text).map_err(|e| ExportError::WriteChart {
        path: svg.clone(),
        detail: e.to_string(),
    })?;
    Ok((png, svg))
}

/// Midnight of `date` in seconds since 1970.
fn epoch_of(date: chrono::NaiveDate) -> f64 {
    date.and_hms_opt(0, 0, 0)
        .map_or(0.0, |t| t.and_utc().timestamp() as f64)
}

/// `1293840000` → `2011-01-01`.
pub fn date_label(seconds: f64) -> String {
    chrono::DateTime::from_timestamp(seconds as i64, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

const SERIES_COLORS: [RGBColor; 4] = [BLUE, RED, RGBColor(22, 163, 74), RGBColor(217, 119, 6)];

fn x_range(chart: &SeriesChart) -> (f64, f64) {
    if let XAxis::Categories(labels) = &chart.x_axis {
        return (-0.5, labels.len().max(1) as f64 - 0.5);
    }
    let xs = chart.series.iter().flat_map(|(_, p)| p.iter().map(|p| p.0));
    let (low, high) = xs.fold((f64::MAX, f64::MIN), |(l, h), x| (l.min(x), h.max(x)));
    if low > high {
        (0.0, 1.0)
    } else if high <= low {
        (low - 1.0, high + 1.0)
    } else {
        (low, high)
    }
}

fn series<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &SeriesChart,
) -> DrawResult<DB> {
    let (x_low, x_high) = x_range(chart);
    let (low, high) = range_of(chart.series.iter().flat_map(|(_, p)| p.iter().map(|p| p.1)));
    let mut plot = ChartBuilder::on(root)
        .caption(&chart.title, caption(&chart.title).1)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(x_low..x_high, low..high)?;
    let x_format = |v: &f64| match &chart.x_axis {
        XAxis::Numbers => compact(*v),
        XAxis::Time => date_label(*v),
        XAxis::Categories(labels) => {
            let i = v.round();
            if (v - i).abs() < 0.01 && i >= 0.0 {
                labels
                    .get(i as usize)
                    .map(|l| truncate(l, 14))
                    .unwrap_or_default()
            } else {
                String::new()
            }
        }
    };
    let x_ticks = match &chart.x_axis {
        XAxis::Categories(labels) => labels.len().clamp(1, 12),
        _ => 8,
    };
    plot.configure_mesh()
        .light_line_style(WHITE)
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .x_labels(x_ticks)
        .x_label_formatter(&x_format)
        .y_label_formatter(&|v| {
            if chart.y_percent {
                format!("{:.1}%", v * 100.0)
            } else {
                compact(*v)
            }
        })
        .label_style(label_font())
        .axis_desc_style(label_font())
        .draw()?;
    let count = chart.series.len().max(1) as f64;
    for (n, (name, points)) in chart.series.iter().enumerate() {
        let color = SERIES_COLORS[n % SERIES_COLORS.len()];
        let drawn = match chart.style {
            SeriesStyle::Lines => plot.draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?,
            SeriesStyle::Points => plot.draw_series(
                points
                    .iter()
                    .map(|p| Circle::new(*p, 2, color.mix(0.6).filled())),
            )?,
            SeriesStyle::Bars => plot.draw_series(points.iter().map(|&(x, y)| {
                let left = x - 0.4 + 0.8 * n as f64 / count;
                Rectangle::new([(left, 0.0), (left + 0.8 / count, y)], color.filled())
            }))?,
        };
        drawn
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    plot.configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(label_font())
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_axes_and_labels() {
        assert_eq!(money(1_461_756.25), "1,461,756");
        assert_eq!(money(-21_740.98), "-21,741");
        assert_eq!(compact(1_250_000.0), "1.2M");
        assert_eq!(compact(350_400.0), "350k");
    }

    #[test]
    fn every_chart_kind_renders_svg_with_its_title() {
        let charts = vec![
            Chart::Bars {
                title: "Revenue by month".into(),
                y_label: "£".into(),
                labels: vec!["2011-01".into(), "2011-02".into()],
                values: vec![10.0, -2.0],
            },
            Chart::Line {
                title: "Revenue by day".into(),
                y_label: "£".into(),
                points: vec![
                    (chrono::NaiveDate::from_ymd_opt(2011, 1, 1).unwrap(), 1.0),
                    (chrono::NaiveDate::from_ymd_opt(2011, 1, 2).unwrap(), 3.0),
                ],
                percent: false,
            },
            Chart::Ranking {
                title: "Top countries".into(),
                x_label: "£".into(),
                labels: vec!["UK".into(), "EIRE".into()],
                values: vec![100.0, 10.0],
            },
            Chart::Heatmap {
                title: "Retention".into(),
                rows: vec!["2011-01".into()],
                columns: 2,
                cells: vec![(0, 0, 1.0), (0, 1, 0.4)],
            },
        ];
        for chart in charts {
            let svg = chart.to_svg().unwrap();
            assert!(svg.starts_with("<svg"), "{}", chart.title());
            assert!(svg.contains(chart.title()));
        }
    }
}
