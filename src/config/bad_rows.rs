//! `max_bad_rows`: how many quarantined rows (a count, or a share of the lines read)
//! a run may have before it counts as failed data checks (exit code 3).

/// A `max_bad_rows` value that is not a limit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BadRowLimitError {
    #[error("`{0}` is not a row count or a percentage such as 100 or 0.5%")]
    NotALimit(String),
    #[error("`{0}`: a percentage must lie between 0% and 100%")]
    Percentage(String),
}

/// The threshold of quarantined rows above which a run counts as failed data checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BadRowLimit {
    Rows(u64),
    Percent(f64),
}

impl BadRowLimit {
    /// `"100"` or `"0.5%"`.
    pub fn parse(text: &str) -> Result<Self, BadRowLimitError> {
        let text = text.trim();
        let bad = || BadRowLimitError::NotALimit(text.to_string());
        if let Some(number) = text.strip_suffix('%') {
            let percent: f64 = number.trim().parse().map_err(|_| bad())?;
            if !(0.0..=100.0).contains(&percent) {
                return Err(BadRowLimitError::Percentage(text.to_string()));
            }
            Ok(Self::Percent(percent))
        } else {
            text.parse().map(Self::Rows).map_err(|_| bad())
        }
    }

    /// Whether `bad` quarantined rows out of `total` lines read exceed the limit.
    pub fn exceeded(&self, bad: u64, total: u64) -> bool {
        match *self {
            Self::Rows(limit) => bad > limit,
            Self::Percent(p) => total > 0 && (bad as f64) * 100.0 > p * total as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_row_limits() {
        assert_eq!(BadRowLimit::parse("10").unwrap(), BadRowLimit::Rows(10));
        assert_eq!(
            BadRowLimit::parse("2.5%").unwrap(),
            BadRowLimit::Percent(2.5)
        );
        assert!(BadRowLimit::parse("ten").is_err());
        assert!(BadRowLimit::parse("200%").is_err());
        assert!(BadRowLimit::Rows(1).exceeded(2, 10));
        assert!(!BadRowLimit::Percent(10.0).exceeded(1, 10));
        assert!(BadRowLimit::Percent(10.0).exceeded(2, 10));
    }
}
