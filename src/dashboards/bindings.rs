//! Variables' values, bound into panel SQL as DuckDB parameters (`$country`,
//! `$period_start`): never spliced into the text, so a value can hold any character.

use chrono::NaiveDate;
use duckdb::Connection;
use duckdb::types::{ToSql, ToSqlOutput, Value};
use serde::{Deserialize, Serialize};

use super::error::DashboardError;
use super::spec::{Dashboard, Variable, VariableKind};
use crate::export::report::Period;
use crate::warehouse::quote_literal;

/// The choice bound as NULL when a variable offers "all".
pub const ALL: &str = "all";

/// The period presets, newest data last: each ends on the data's last day.
pub const PERIOD_PRESETS: [&str; 4] = [ALL, "last-year", "last-quarter", "last-month"];

/// What the data's first and last day are, when a period variable does not say.
const DEFAULT_RANGE_SQL: &str =
    "SELECT min(invoice_ts)::DATE, max(invoice_ts)::DATE FROM marts.fact_sales";

/// One bound value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Bound {
    Null,
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

impl ToSql for Bound {
    fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Bound::Null => ToSqlOutput::Owned(Value::Null),
            Bound::Text(text) => ToSqlOutput::from(text.as_str()),
            Bound::Number(n) => ToSqlOutput::Owned(Value::Double(*n)),
            Bound::Date(d) => d.to_sql()?,
        })
    }
}

impl Bound {
    /// The value as a SQL literal, for the statement a SQL tab shows (`EXECUTE` args).
    pub fn literal(&self) -> String {
        match self {
            Bound::Null => "NULL".into(),
            Bound::Text(text) => quote_literal(text),
            Bound::Number(n) => format!("{n}"),
            Bound::Date(d) => format!("DATE '{d}'"),
        }
    }
}

/// What the user picked for each variable, by name, as text (`last-quarter`, `France`,
/// `all`); variables not named take their default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection(pub Vec<(String, String)>);

impl Selection {
    /// From `--var KEY=VALUE` arguments, checked against the dashboard's variables.
    pub fn from_args(dashboard: &Dashboard, args: &[String]) -> Result<Self, DashboardError> {
        let mut picked = Vec::new();
        for arg in args {
            let Some((key, value)) = arg.split_once('=') else {
                return Err(DashboardError::BadVar(format!("{arg}: write KEY=VALUE")));
            };
            if !dashboard.variables.iter().any(|v| v.name == key) {
                let known: Vec<&str> = dashboard
                    .variables
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect();
                return Err(DashboardError::BadVar(format!(
                    "{arg}: the dashboard has no variable `{key}` (it has: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            picked.push((key.to_string(), value.to_string()));
        }
        Ok(Self(picked))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `name` to `value`, replacing an earlier pick.
    pub fn set(&mut self, name: &str, value: String) {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_string(), value));
    }
}

/// Every parameter a panel may use, with its value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bindings {
    values: Vec<(String, Bound)>,
    /// The period variable's name and its resolved days, when there is one.
    period: Option<(String, Period)>,
    /// Each variable's choice as text, for titles (`period = last-quarter`).
    chosen: Vec<(String, String)>,
}

impl Bindings {
    /// Resolves the selection against the warehouse (a period preset needs the data's
    /// last day; a variable without a default takes its first choice).
    pub fn resolve(
        conn: &Connection,
        dashboard: &Dashboard,
        selection: &Selection,
    ) -> Result<Self, DashboardError> {
        let mut bindings = Self::default();
        for variable in &dashboard.variables {
            let text = match selection
                .get(&variable.name)
                .or(variable.default.as_deref())
            {
                Some(text) => text.to_string(),
                None => choices(conn, variable)?
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| ALL.into()),
            };
            let wrong = |message: String| DashboardError::Variable {
                name: variable.name.clone(),
                line: variable.line,
                message,
            };
            match variable.kind {
                VariableKind::Period => {
                    let period = resolve_period(conn, variable, &text)?;
                    bindings.push(
                        &format!("{}_start", variable.name),
                        Bound::Date(period.from),
                    );
                    bindings.push(&format!("{}_end", variable.name), Bound::Date(period.to));
                    bindings.period = (text != ALL).then(|| (variable.name.clone(), period));
                }
                _ if text == ALL && variable.include_all => {
                    bindings.push(&variable.name, Bound::Null)
                }
                VariableKind::Text => bindings.push(&variable.name, Bound::Text(text.clone())),
                VariableKind::Number => {
                    let n = text
                        .trim()
                        .parse::<f64>()
                        .map_err(|_| wrong(format!("`{text}` is not a number")))?;
                    bindings.push(&variable.name, Bound::Number(n));
                }
                VariableKind::Date => {
                    let d = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                        .map_err(|_| wrong(format!("`{text}` is not a date (YYYY-MM-DD)")))?;
                    bindings.push(&variable.name, Bound::Date(d));
                }
            }
            bindings.chosen.push((variable.name.clone(), text));
        }
        Ok(bindings)
    }

    fn push(&mut self, name: &str, value: Bound) {
        self.values.push((name.to_string(), value));
    }

    /// The value of parameter `name` (without its `$`).
    pub fn get(&self, name: &str) -> Option<&Bound> {
        self.values.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Every parameter, in the variables' order.
    pub fn values(&self) -> &[(String, Bound)] {
        &self.values
    }

    /// The same bindings over the period just before (`None` without a bounded period):
    /// what a KPI tile compares against.
    pub fn previous(&self) -> Option<Self> {
        let (name, period) = self.period.as_ref()?;
        let before = period.previous();
        let mut previous = self.clone();
        for (key, value) in &mut previous.values {
            if *key == format!("{name}_start") {
                *value = Bound::Date(before.from);
            } else if *key == format!("{name}_end") {
                *value = Bound::Date(before.to);
            }
        }
        previous.period = Some((name.clone(), before));
        Some(previous)
    }

    /// The resolved period, when the dashboard has a bounded one.
    pub fn period(&self) -> Option<Period> {
        self.period.as_ref().map(|p| p.1)
    }

    /// `period = last-quarter (2011-09-10..2011-12-09) · country = France`.
    pub fn describe(&self) -> String {
        self.chosen
            .iter()
            .map(|(name, text)| match &self.period {
                Some((p, period)) if p == name => {
                    format!("{name} = {text} ({}..{})", period.from, period.to)
                }
                _ => format!("{name} = {text}"),
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// The values a variable offers, "all" first when it has it.
pub fn choices(conn: &Connection, variable: &Variable) -> Result<Vec<String>, DashboardError> {
    if variable.kind == VariableKind::Period {
        return Ok(PERIOD_PRESETS.iter().map(|p| p.to_string()).collect());
    }
    let mut choices = Vec::new();
    if variable.include_all {
        choices.push(ALL.to_string());
    }
    match &variable.sql {
        Some(sql) => {
            let listed = list(conn, sql).map_err(|e| DashboardError::Variable {
                name: variable.name.clone(),
                line: variable.line,
                message: e.to_string(),
            })?;
            choices.extend(listed);
        }
        None => choices.extend(variable.values.iter().cloned()),
    }
    Ok(choices)
}

/// The first column of `sql` as text (at most 1,000 values: a picker, not a table).
fn list(conn: &Connection, sql: &str) -> Result<Vec<String>, duckdb::Error> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get::<_, Option<String>>(0))?;
    let mut out = Vec::new();
    for row in rows.take(1_000) {
        out.extend(row?);
    }
    Ok(out)
}

/// The days a period choice covers: a preset ending on the data's last day, or
/// `2011`, `2011-11`, `2011-09-01..2011-11-30`.
fn resolve_period(
    conn: &Connection,
    variable: &Variable,
    text: &str,
) -> Result<Period, DashboardError> {
    let wrong = |message: String| DashboardError::Variable {
        name: variable.name.clone(),
        line: variable.line,
        message,
    };
    let months = match text {
        ALL => 0,
        "last-year" => 12,
        "last-quarter" => 3,
        "last-month" => 1,
        other => {
            return Period::parse(other).map_err(|e| {
                wrong(
                    format!("{e} (or one of {})", PERIOD_PRESETS.join(", "))
                        .replace("--period ", ""),
                )
            });
        }
    };
    let sql = variable.range_sql.as_deref().unwrap_or(DEFAULT_RANGE_SQL);
    let (first, last): (Option<NaiveDate>, Option<NaiveDate>) = conn
        .query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|e| wrong(format!("the data's range: {e}")))?;
    let (Some(first), Some(last)) = (first, last) else {
        return Err(wrong(
            "the data's range is empty: no rows to show yet".into(),
        ));
    };
    if months == 0 {
        return Ok(Period {
            from: first,
            to: last,
        });
    }
    let from = last
        .checked_sub_months(chrono::Months::new(months))
        .and_then(|d| d.succ_opt())
        .ok_or_else(|| wrong(format!("{text}: out of the calendar")))?;
    Ok(Period { from, to: last })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboards::spec::parse;

    const FILE: &str = r#"
title = "t"
[[variables]]
name = "period"
type = "period"
default = "last-month"
range_sql = "select DATE '2011-01-01', DATE '2011-12-09'"
[[variables]]
name = "country"
include_all = true
default = "all"
values = ["France", "O'Brien's"]
[[variables]]
name = "top"
type = "number"
default = "10"
"#;

    #[test]
    fn presets_end_on_the_last_day_and_compare_with_the_period_before() {
        let conn = Connection::open_in_memory().unwrap();
        let d = parse(FILE, "t.toml").unwrap();
        let b = Bindings::resolve(&conn, &d, &Selection::default()).unwrap();
        assert_eq!(
            b.get("period_start"),
            Some(&Bound::Date(NaiveDate::from_ymd_opt(2011, 11, 10).unwrap()))
        );
        assert_eq!(
            b.get("period_end"),
            Some(&Bound::Date(NaiveDate::from_ymd_opt(2011, 12, 9).unwrap()))
        );
        assert_eq!(b.get("country"), Some(&Bound::Null));
        assert_eq!(b.get("top"), Some(&Bound::Number(10.0)));
        let before = b.previous().unwrap();
        assert_eq!(
            before.get("period_end"),
            Some(&Bound::Date(NaiveDate::from_ymd_opt(2011, 11, 9).unwrap()))
        );
        assert_eq!(
            b.describe(),
            "period = last-month (2011-11-10..2011-12-09) · country = all · top = 10"
        );
        let all =
            Selection::from_args(&d, &["period=all".into(), "country=O'Brien's".into()]).unwrap();
        let b = Bindings::resolve(&conn, &d, &all).unwrap();
        assert_eq!(b.previous(), None);
        assert_eq!(b.get("country").unwrap().literal(), "'O''Brien''s'");
    }

    #[test]
    fn wrong_values_name_the_variable() {
        let conn = Connection::open_in_memory().unwrap();
        let d = parse(FILE, "t.toml").unwrap();
        let e = Selection::from_args(&d, &["shop=x".into()])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "--var shop=x: the dashboard has no variable `shop` (it has: period, country, top)"
        );
        let bad = Selection::from_args(&d, &["top=ten".into()]).unwrap();
        let e = Bindings::resolve(&conn, &d, &bad).unwrap_err().to_string();
        assert_eq!(e, "variable `top` (line 14): `ten` is not a number");
        let bad = Selection::from_args(&d, &["period=soon".into()]).unwrap();
        let e = Bindings::resolve(&conn, &d, &bad).unwrap_err().to_string();
        assert!(e.starts_with("variable `period` (line 4): `soon`"), "{e}");
    }
}
