//! The dashboard file (TOML, `docs/DASHBOARDS.md`): a title, variables and panels.
//!
//! Parsing keeps the byte span of every name and query, so a mistake found after the
//! TOML itself parsed (a duplicate name, a kind without the columns it needs) is still
//! reported with its line.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::error::{DashboardError, line_of};

/// Width of the panel grid: a panel's `width` is a share of these columns.
pub const GRID_COLUMNS: u16 = 12;

/// One dashboard, as its file says.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub title: String,
    pub description: Option<String>,
    pub variables: Vec<Variable>,
    pub panels: Vec<Panel>,
}

/// A choice offered above the panels and bound into every panel's SQL as parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: String,
    pub label: String,
    pub kind: VariableKind,
    /// The value used until the user picks one; for a period, a preset or a range.
    pub default: Option<String>,
    /// Fixed choices; with `sql`, the choices are that query's first column instead.
    pub values: Vec<String>,
    pub sql: Option<String>,
    /// Offers "all" first, bound as NULL (panels write `$country IS NULL OR …`).
    pub include_all: bool,
    /// For a period: SQL giving the data's first and last day (the presets end on the
    /// last one). Default: the sales mart's.
    pub range_sql: Option<String>,
    /// 1-based line of the variable's name in its file.
    pub line: usize,
}

/// What a variable binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum VariableKind {
    /// Binds `$NAME` as VARCHAR (NULL for "all").
    #[default]
    Text,
    /// Binds `$NAME` as DOUBLE.
    Number,
    /// Binds `$NAME` as DATE.
    Date,
    /// Binds `$NAME_start` and `$NAME_end` (DATEs, inclusive); KPI tiles run again
    /// with the period before it to show the change.
    Period,
}

/// One panel: a query and how to show its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub title: String,
    pub kind: PanelKind,
    pub sql: String,
    /// Share of the grid's [`GRID_COLUMNS`] (1..=12).
    pub width: u16,
    /// Height in grid rows (a terminal line each; 40 pixels in pictures).
    pub height: u16,
    /// Text after numbers (`£` and `$` go before them; `%` multiplies 0..1 by 100).
    pub unit: Option<String>,
    pub decimals: Option<usize>,
    /// Colour steps, lowest first: a value takes the colour of the last step it reaches.
    pub thresholds: Vec<Threshold>,
    /// Seconds between refreshes (for panels over `stream.*`); `None` runs once per
    /// change of the variables or of the file.
    pub refresh: Option<u64>,
    /// Gauge bounds.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Which way a KPI's change is good (`better = "lower"` for costs, cancellations).
    pub better: Better,
    /// 1-based line of the panel's title in its file.
    pub line: usize,
}

/// Which way a KPI's change against the previous period is good (coloured green).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    #[default]
    Higher,
    Lower,
}

/// How a panel shows its rows (`docs/DASHBOARDS.md` lists the columns each expects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelKind {
    Kpi,
    Line,
    Bar,
    StackedBar,
    Table,
    Heatmap,
    Sparkline,
    Gauge,
}

impl PanelKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Kpi => "kpi",
            Self::Line => "line",
            Self::Bar => "bar",
            Self::StackedBar => "stacked_bar",
            Self::Table => "table",
            Self::Heatmap => "heatmap",
            Self::Sparkline => "sparkline",
            Self::Gauge => "gauge",
        }
    }

    /// Rows a panel of this kind keeps (the SQL may return more; the rest are not drawn).
    pub fn row_limit(self) -> usize {
        match self {
            Self::Kpi | Self::Gauge => 1,
            Self::Table => 200,
            Self::Line | Self::Sparkline => 5_000,
            Self::Bar | Self::StackedBar | Self::Heatmap => 2_000,
        }
    }

    fn default_height(self) -> u16 {
        match self {
            Self::Kpi | Self::Gauge | Self::Sparkline => 5,
            Self::Line | Self::Bar | Self::StackedBar | Self::Heatmap | Self::Table => 12,
        }
    }
}

/// A colour step of a panel.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// The step starts at this value (inclusive).
    pub from: f64,
    pub color: Tone,
}

/// The colours a threshold can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    Green,
    Yellow,
    Orange,
    Red,
    Blue,
    Grey,
}

impl Panel {
    /// The colour `value` takes by the thresholds, if any step reaches it.
    pub fn tone(&self, value: f64) -> Option<Tone> {
        self.thresholds
            .iter()
            .rev()
            .find(|t| value >= t.from)
            .map(|t| t.color)
    }

    /// Whether a change of `change` (any sign, any unit) is good news for this panel.
    pub fn change_is_good(&self, change: f64) -> bool {
        match self.better {
            Better::Higher => change >= 0.0,
            Better::Lower => change <= 0.0,
        }
    }

    /// `value` with the panel's unit and decimals: `£1,234,567`, `12.5 %`, `3.20 days`.
    pub fn format(&self, value: f64) -> String {
        let unit = self.unit.as_deref().unwrap_or("");
        let value = if unit == "%" { value * 100.0 } else { value };
        let decimals = self.decimals.unwrap_or(if unit == "%" { 1 } else { 0 });
        let number = grouped(value, decimals);
        match unit {
            "" => number,
            "£" | "$" | "€" => match number.strip_prefix('-') {
                Some(positive) => format!("-{unit}{positive}"),
                None => format!("{unit}{number}"),
            },
            "%" => format!("{number} %"),
            other => format!("{number} {other}"),
        }
    }
}

/// `1234567.891` with 2 decimals → `1,234,567.89`.
pub(crate) fn grouped(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let whole = whole
        .parse::<u64>()
        .map_or_else(|_| whole.to_string(), crate::format::thousands);
    let sign = if value < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    title: String,
    description: Option<String>,
    #[serde(default)]
    variables: Vec<VariableDoc>,
    #[serde(default)]
    panels: Vec<PanelDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VariableDoc {
    name: Spanned<String>,
    label: Option<String>,
    #[serde(default, rename = "type")]
    kind: VariableKind,
    default: Option<String>,
    #[serde(default)]
    values: Vec<String>,
    sql: Option<String>,
    #[serde(default)]
    include_all: bool,
    range_sql: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PanelDoc {
    title: Spanned<String>,
    kind: PanelKind,
    sql: Spanned<String>,
    width: Option<Spanned<u16>>,
    height: Option<Spanned<u16>>,
    unit: Option<String>,
    decimals: Option<usize>,
    #[serde(default)]
    thresholds: Vec<Threshold>,
    refresh: Option<Spanned<u64>>,
    min: Option<f64>,
    max: Option<f64>,
    #[serde(default)]
    better: Better,
}

/// Parses a dashboard file's text; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Dashboard, DashboardError> {
    let doc: FileDoc = toml::from_str(text).map_err(|e| DashboardError::Syntax {
        file: origin.to_string(),
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        message: e.message().to_string(),
    })?;
    let invalid = |span: Range<usize>, message: String| DashboardError::Invalid {
        file: origin.to_string(),
        line: line_of(text, span.start),
        message,
    };
    let mut names: Vec<&str> = Vec::new();
    let mut variables = Vec::new();
    for v in &doc.variables {
        let name = v.name.get_ref();
        if !is_identifier(name) {
            return Err(invalid(
                v.name.span(),
                format!(
                    "variable name `{name}`: use letters, digits and _ (it is bound as ${name})"
                ),
            ));
        }
        if names.contains(&name.as_str()) {
            return Err(invalid(
                v.name.span(),
                format!("variable `{name}` is defined twice"),
            ));
        }
        names.push(name);
        if v.sql.is_some() && !v.values.is_empty() {
            return Err(invalid(
                v.name.span(),
                format!("variable `{name}`: give `values` or `sql`, not both"),
            ));
        }
        variables.push(Variable {
            name: name.clone(),
            label: v.label.clone().unwrap_or_else(|| name.clone()),
            kind: v.kind,
            default: v.default.clone(),
            values: v.values.clone(),
            sql: v.sql.clone(),
            include_all: v.include_all,
            range_sql: v.range_sql.clone(),
            line: line_of(text, v.name.span().start),
        });
    }
    if variables
        .iter()
        .filter(|v| v.kind == VariableKind::Period)
        .count()
        > 1
    {
        return Err(DashboardError::Invalid {
            file: origin.to_string(),
            line: variables
                .iter()
                .filter(|v| v.kind == VariableKind::Period)
                .nth(1)
                .map_or(1, |v| v.line),
            message:
                "only one variable can be a period (KPI tiles compare against the period before it)"
                    .into(),
        });
    }
    let mut panels = Vec::new();
    for p in doc.panels {
        let line = line_of(text, p.title.span().start);
        if p.sql.get_ref().trim().is_empty() {
            return Err(invalid(
                p.sql.span(),
                format!("panel `{}` has no SQL", p.title.get_ref()),
            ));
        }
        let width = match p.width {
            Some(w) if !(1..=GRID_COLUMNS).contains(w.get_ref()) => {
                return Err(invalid(
                    w.span(),
                    format!(
                        "width {}: a panel spans 1 to {GRID_COLUMNS} columns",
                        w.get_ref()
                    ),
                ));
            }
            Some(w) => *w.get_ref(),
            None => GRID_COLUMNS,
        };
        let height = match p.height {
            Some(h) if !(3..=60).contains(h.get_ref()) => {
                return Err(invalid(
                    h.span(),
                    format!("height {}: use 3 to 60 rows", h.get_ref()),
                ));
            }
            Some(h) => *h.get_ref(),
            None => p.kind.default_height(),
        };
        if let Some(r) = &p.refresh
            && *r.get_ref() == 0
        {
            return Err(invalid(
                r.span(),
                "refresh = 0: give seconds (at least 1)".into(),
            ));
        }
        panels.push(Panel {
            title: p.title.into_inner(),
            kind: p.kind,
            sql: p.sql.into_inner(),
            width,
            height,
            unit: p.unit,
            decimals: p.decimals,
            thresholds: p.thresholds,
            refresh: p.refresh.map(Spanned::into_inner),
            min: p.min,
            max: p.max,
            better: p.better,
            line,
        });
    }
    Ok(Dashboard {
        title: doc.title,
        description: doc.description,
        variables,
        panels,
    })
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "Sales"

[[variables]]
name = "period"
type = "period"
default = "last-quarter"

[[panels]]
title = "Revenue"
kind = "kpi"
sql = "select 1"
width = 3
unit = "£"
thresholds = [{ from = 0, color = "red" }, { from = 5000, color = "green" }]
"#;

    #[test]
    fn a_file_parses_with_its_defaults() {
        let d = parse(GOOD, "sales.toml").unwrap();
        assert_eq!(d.title, "Sales");
        assert_eq!(d.variables[0].kind, VariableKind::Period);
        assert_eq!(d.variables[0].line, 5);
        let p = &d.panels[0];
        assert_eq!(
            (p.kind, p.width, p.height, p.line),
            (PanelKind::Kpi, 3, 5, 10)
        );
        assert_eq!(p.tone(4999.0), Some(Tone::Red));
        assert_eq!(p.tone(5000.0), Some(Tone::Green));
        assert_eq!(p.tone(-1.0), None);
        assert_eq!(p.format(1234567.6), "£1,234,568");
        assert_eq!(p.format(-12.0), "-£12");
        assert!(p.change_is_good(0.1) && !p.change_is_good(-0.1));
        let lower = parse(
            &GOOD.replace("width = 3", "width = 3\nbetter = \"lower\""),
            "x",
        )
        .unwrap();
        assert!(lower.panels[0].change_is_good(-0.1) && !lower.panels[0].change_is_good(0.1));
    }

    #[test]
    fn units_and_decimals() {
        let mut p = parse(GOOD, "x").unwrap().panels.remove(0);
        p.unit = Some("%".into());
        assert_eq!(p.format(0.0234), "2.3 %");
        p.unit = Some("days".into());
        p.decimals = Some(2);
        assert_eq!(p.format(3.2), "3.20 days");
        p.unit = None;
        assert_eq!(p.format(-0.001), "0.00");
    }

    #[test]
    fn mistakes_name_their_line() {
        let unknown_kind = GOOD.replace("kind = \"kpi\"", "kind = \"pie\"");
        let e = parse(&unknown_kind, "sales.toml").unwrap_err().to_string();
        assert!(e.starts_with("sales.toml line 11:"), "{e}");
        assert!(e.contains("pie"), "{e}");
        let twice = format!("{GOOD}\n[[variables]]\nname = \"period\"\n");
        let e = parse(&twice, "sales.toml").unwrap_err().to_string();
        assert!(e.starts_with("sales.toml line 18:"), "{e}");
        let wide = GOOD.replace("width = 3", "width = 13");
        let e = parse(&wide, "sales.toml").unwrap_err().to_string();
        assert!(e.starts_with("sales.toml line 13: width 13"), "{e}");
        let unclosed = GOOD.replace("title = \"Revenue\"", "title = \"Revenue");
        let e = parse(&unclosed, "sales.toml").unwrap_err().to_string();
        assert!(e.starts_with("sales.toml line 10:"), "{e}");
    }
}
