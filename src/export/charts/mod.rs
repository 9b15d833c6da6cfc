//! Report charts drawn with plotters, the same drawing for SVG (inline in HTML) and PNG
//! (beside the Markdown). Fonts come from `assets/fonts`, so charts look the same on any
//! machine, with no system font libraries.

mod heatmap;
mod series;

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::ExportError;
use crate::format::thousands;

pub use heatmap::{HeatCell, HeatmapChart};
pub use series::{SeriesChart, SeriesStyle, XAxis};

pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 440;
const FONT: &str = "sans-serif";
pub(crate) const BLUE: RGBColor = RGBColor(37, 99, 235);
pub(crate) const RED: RGBColor = RGBColor(220, 38, 38);

static FONTS: Once = Once::new();

/// Registers the bundled fonts with plotters (once): call before drawing any text.
pub(crate) fn register_fonts() {
    FONTS.call_once(|| {
        let regular: &'static [u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
        let bold: &'static [u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");
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
    /// Labelled rows × labelled columns, each cell shaded by its value.
    Heatmap(HeatmapChart),
}

impl Chart {
    pub fn title(&self) -> &str {
        match self {
            Chart::Bars { title, .. }
            | Chart::Line { title, .. }
            | Chart::Ranking { title, .. } => title,
            Chart::Series(chart) => &chart.title,
            Chart::Heatmap(chart) => &chart.title,
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

    /// Draws the chart over all of `root` (a whole picture, or one panel's part of one).
    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), ExportError> {
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
            } => series::series(
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
            Chart::Heatmap(chart) => heatmap::heatmap(root, chart),
            Chart::Series(chart) => series::series(root, chart),
        };
        result.map_err(|e| self.failed(e))
    }
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn caption(title: &str) -> (&str, FontDesc<'_>) {
    (title, font(22.0, true))
}

fn label_font() -> FontDesc<'static> {
    font(13.0, false)
}

/// The bundled font at `size` pixels, bold or not.
pub(crate) fn font(size: f64, bold: bool) -> FontDesc<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::Name(FONT), size, style)
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
pub(crate) fn compact(value: f64) -> String {
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

/// `text` cut to `width` characters, with `…` when cut.
pub(crate) fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(width - 1).collect::<String>())
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
            Chart::Heatmap(HeatmapChart {
                title: "Retention".into(),
                x_label: "months since first purchase".into(),
                y_label: "cohort".into(),
                rows: vec!["2011-01".into()],
                columns: vec!["0".into(), "1".into()],
                cells: vec![
                    HeatCell {
                        row: 0,
                        column: 0,
                        value: 1.0,
                        text: "100%".into(),
                    },
                    HeatCell {
                        row: 0,
                        column: 1,
                        value: 0.4,
                        text: "40%".into(),
                    },
                ],
            }),
        ];
        for chart in charts {
            let svg = chart.to_svg().unwrap();
            assert!(svg.starts_with("<svg"), "{}", chart.title());
            assert!(svg.contains(chart.title()));
        }
    }
}
