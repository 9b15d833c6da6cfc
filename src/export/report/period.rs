//! The time range a report covers: [`Period`] as `--period` spells it, and the
//! dashboard's [`PeriodPreset`]s relative to the data's last day.

use chrono::NaiveDate;
use duckdb::Connection;
use serde::{Deserialize, Serialize};

use crate::export::ExportError;

/// The time range a report covers, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// `2011`, `2011-11`, `2011-09-01..2011-11-30`; `None` means the whole data range.
    pub fn parse(text: &str) -> Result<Self, ExportError> {
        let text = text.trim();
        let date = |s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|source| {
                ExportError::NotADate {
                    text: s.to_string(),
                    source,
                }
            })
        };
        if let Some((from, to)) = text.split_once("..") {
            let period = Self {
                from: date(from)?,
                to: date(to)?,
            };
            if period.to < period.from {
                return Err(ExportError::PeriodBackwards(text.to_string()));
            }
            return Ok(period);
        }
        if let Ok(year) = text.parse::<i32>() {
            return Ok(Self {
                from: NaiveDate::from_ymd_opt(year, 1, 1)
                    .ok_or(ExportError::OutOfCalendar("year"))?,
                to: NaiveDate::from_ymd_opt(year, 12, 31)
                    .ok_or(ExportError::OutOfCalendar("year"))?,
            });
        }
        if let Ok(first) = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d") {
            let next = first
                .checked_add_months(chrono::Months::new(1))
                .ok_or(ExportError::OutOfCalendar("month"))?;
            return Ok(Self {
                from: first,
                to: next.pred_opt().ok_or(ExportError::OutOfCalendar("month"))?,
            });
        }
        Err(ExportError::PeriodFormat(text.to_string()))
    }

    /// The period of the same length just before this one.
    pub fn previous(&self) -> Self {
        let days = (self.to - self.from).num_days() + 1;
        let to = self.from.pred_opt().unwrap_or(self.from);
        Self {
            from: to - chrono::Duration::days(days - 1),
            to,
        }
    }

    pub(super) fn sql(&self) -> String {
        format!(
            "invoice_ts >= DATE '{}' AND invoice_ts < DATE '{}' + INTERVAL 1 DAY",
            self.from, self.to
        )
    }
}

/// Ranges the dashboard offers, relative to the data's last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeriodPreset {
    #[default]
    All,
    LastYear,
    LastQuarter,
    LastMonth,
}

impl PeriodPreset {
    pub fn next(self) -> Self {
        match self {
            Self::All => Self::LastYear,
            Self::LastYear => Self::LastQuarter,
            Self::LastQuarter => Self::LastMonth,
            Self::LastMonth => Self::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::All => "all data",
            Self::LastYear => "last 12 months",
            Self::LastQuarter => "last 3 months",
            Self::LastMonth => "last month",
        }
    }

    /// The period, ending on the data's last day (`None` for all the data).
    pub fn resolve(self, conn: &Connection) -> Result<Option<Period>, ExportError> {
        let months = match self {
            Self::All => return Ok(None),
            Self::LastYear => 12,
            Self::LastQuarter => 3,
            Self::LastMonth => 1,
        };
        let to: NaiveDate = conn.query_row(
            "SELECT max(invoice_ts)::DATE FROM marts.fact_sales",
            [],
            |r| r.get(0),
        )?;
        let from = to
            .checked_sub_months(chrono::Months::new(months))
            .and_then(|d| d.succ_opt())
            .ok_or(ExportError::OutOfCalendar("date"))?;
        Ok(Some(Period { from, to }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let p = Period::parse("2011-11").unwrap();
        assert_eq!(
            (p.from.to_string(), p.to.to_string()),
            ("2011-11-01".into(), "2011-11-30".into())
        );
        let prev = p.previous();
        assert_eq!(
            (prev.from.to_string(), prev.to.to_string()),
            ("2011-10-02".into(), "2011-10-31".into())
        );
        assert_eq!(Period::parse("2011").unwrap().to.to_string(), "2011-12-31");
        assert!(Period::parse("2011-12-01..2011-01-01").is_err());
        assert!(Period::parse("soon").is_err());
    }
}
