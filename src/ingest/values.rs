//! Reading one cell's text under a shop's conventions: numbers with a decimal comma or
//! thousands separators, and times with or without a UTC offset, moved onto the shop's
//! clock (`ingest.timezone`). Every function returns `None` or a reason for text it
//! cannot read exactly; nothing is rounded or guessed per row.

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use super::dialect::{Field, TimestampFormat};
use super::row_error::RowError;

/// How numbers are written: the decimal mark and an optional thousands separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberFormat {
    pub decimal: char,
    pub thousands: Option<char>,
}

impl Default for NumberFormat {
    fn default() -> Self {
        Self {
            decimal: '.',
            thousands: None,
        }
    }
}

impl NumberFormat {
    /// The text with thousands separators (and spaces) dropped and the decimal mark
    /// made a point: `1.234,50` → `1234.50` under `decimal = ","`, `thousands = "."`.
    pub fn normalise<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let text = text.trim();
        if self.decimal == '.' && self.thousands.is_none() {
            return Cow::Borrowed(text);
        }
        Cow::Owned(
            text.chars()
                .filter(|&c| Some(c) != self.thousands && c != ' ' && c != '\u{a0}')
                .map(|c| if c == self.decimal { '.' } else { c })
                .collect(),
        )
    }
}

/// A whole number, also written with a zero fraction (`6`, `6.0`, as spreadsheets and
/// typed columns write them); `field` names the column in the reason.
pub fn whole(text: &str, field: Field) -> Result<i64, RowError> {
    let not_whole = || RowError::NotWhole {
        field,
        text: text.to_string(),
    };
    let number = match text.split_once('.') {
        Some((whole, fraction)) if fraction.bytes().all(|b| b == b'0') => whole,
        Some(_) => return Err(not_whole()),
        None => text,
    };
    number.parse().map_err(|_| not_whole())
}

/// How a source's times are read and where they land.
#[derive(Debug, Clone)]
pub struct TimeReading {
    /// Day/month order of slash, dot and dash dates, decided for the whole file.
    pub order: TimestampFormat,
    /// A chrono `strftime` pattern that overrides `order` (`%d.%m.%Y %H:%M`).
    pub pattern: Option<String>,
    /// The zone of times written without an offset; `None`: they are the shop's clock.
    pub source_zone: Option<Tz>,
    /// The shop's zone: every time is stored as this zone's wall clock.
    pub shop_zone: Tz,
}

impl TimeReading {
    /// Microseconds since 1970-01-01 of the shop's wall clock, or `None`.
    pub fn read(&self, text: &str) -> Option<i64> {
        let text = text.trim();
        let (local, offset) = match &self.pattern {
            Some(pattern) => with_pattern(text, pattern)?,
            None => {
                let (rest, pm) = split_meridiem(text);
                let (rest, offset) = split_offset(rest);
                let (rest, micros) = split_fraction(rest);
                let mut time = micros_to_naive(self.order.parse(rest)?)?
                    + chrono::Duration::microseconds(micros);
                if let Some(pm) = pm {
                    time = twelve_hour(time, pm)?;
                }
                (time, offset)
            }
        };
        let utc = match (offset, self.source_zone) {
            (Some(offset), _) => local - chrono::Duration::seconds(offset.local_minus_utc().into()),
            (None, Some(zone)) => zone.from_local_datetime(&local).earliest()?.naive_utc(),
            (None, None) => return Some(local.and_utc().timestamp_micros()),
        };
        Some(
            self.shop_zone
                .from_utc_datetime(&utc)
                .naive_local()
                .and_utc()
                .timestamp_micros(),
        )
    }
}

fn micros_to_naive(micros: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc())
}

/// Parses with an explicit pattern: with an offset (`%z`), a date and time, or a date.
fn with_pattern(text: &str, pattern: &str) -> Option<(NaiveDateTime, Option<FixedOffset>)> {
    if let Ok(t) = DateTime::parse_from_str(text, pattern) {
        return Some((t.naive_local(), Some(*t.offset())));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(text, pattern) {
        return Some((t, None));
    }
    NaiveDate::parse_from_str(text, pattern)
        .ok()
        .map(|d| (d.and_time(chrono::NaiveTime::MIN), None))
}

/// Splits a 12-hour clock's `AM`/`PM` off a time: `Some(true)` for PM.
fn split_meridiem(text: &str) -> (&str, Option<bool>) {
    let upper = text
        .get(text.len().saturating_sub(2)..)
        .map(str::to_ascii_uppercase);
    match upper.as_deref() {
        Some("AM") => (text[..text.len() - 2].trim_end(), Some(false)),
        Some("PM") => (text[..text.len() - 2].trim_end(), Some(true)),
        _ => (text, None),
    }
}

/// A 12-hour reading made 24-hour: 12 AM is midnight, 1 PM is 13:00; hours above 12
/// are not 12-hour times.
fn twelve_hour(time: NaiveDateTime, pm: bool) -> Option<NaiveDateTime> {
    use chrono::Timelike;
    let hour = time.hour();
    if hour == 0 || hour > 12 {
        return None;
    }
    let hour24 = match (hour, pm) {
        (12, false) => 0,
        (12, true) => 12,
        (h, false) => h,
        (h, true) => h + 12,
    };
    time.with_hour(hour24)
}

/// Splits a trailing UTC offset off a time: `Z`, `+01:00`, `-0500`, ` +0000` (after
/// the date, so a dash inside `2010-12-01` is never one).
fn split_offset(text: &str) -> (&str, Option<FixedOffset>) {
    if let Some(rest) = text.strip_suffix(['Z', 'z']) {
        return (rest, FixedOffset::east_opt(0));
    }
    let Some(sign_at) = text.rfind(['+', '-']).filter(|&i| i >= 10) else {
        return (text, None);
    };
    let digits: String = text[sign_at + 1..].chars().filter(|&c| c != ':').collect();
    if !(digits.len() == 2 || digits.len() == 4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return (text, None);
    }
    let hours: i32 = digits[..2].parse().unwrap_or(99);
    let minutes: i32 = digits.get(2..).map_or(0, |m| m.parse().unwrap_or(99));
    let seconds = (hours * 60 + minutes) * 60;
    let offset = if text.as_bytes()[sign_at] == b'-' {
        FixedOffset::west_opt(seconds)
    } else {
        FixedOffset::east_opt(seconds)
    };
    match offset {
        Some(offset) => (text[..sign_at].trim_end(), Some(offset)),
        None => (text, None),
    }
}

/// Splits fractional seconds (`08:26:00.250`) off a time, as microseconds.
fn split_fraction(text: &str) -> (&str, i64) {
    let (Some(dot), Some(colon)) = (text.rfind('.'), text.rfind(':')) else {
        return (text, 0);
    };
    let fraction = &text[dot + 1..];
    if dot < colon || fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return (text, 0);
    }
    let micros = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(6)
        .fold(0i64, |n, b| n * 10 + i64::from(b - b'0'));
    (&text[..dot], micros)
}

/// A name that is not a time zone of the IANA database.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{0}` is not a time zone name of the IANA database (such as UTC or Europe/London)")]
pub struct UnknownZone(pub String);

/// A zone name (`Europe/London`, `UTC`) as a zone.
pub fn zone(name: &str) -> Result<Tz, UnknownZone> {
    name.parse::<Tz>()
        .map_err(|_| UnknownZone(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(order: TimestampFormat, source: Option<&str>, shop: &str) -> TimeReading {
        TimeReading {
            order,
            pattern: None,
            source_zone: source.map(|s| zone(s).unwrap()),
            shop_zone: zone(shop).unwrap(),
        }
    }

    fn at(text: &str) -> i64 {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_micros()
    }

    #[test]
    fn decimal_commas_and_thousands() {
        let european = NumberFormat {
            decimal: ',',
            thousands: Some('.'),
        };
        assert_eq!(european.normalise("1.234,50"), "1234.50");
        assert_eq!(european.normalise(" 2,55 "), "2.55");
        assert_eq!(NumberFormat::default().normalise("2.55"), "2.55");
        assert_eq!(whole("6.0", Field::Quantity).unwrap(), 6);
        assert!(whole("6.5", Field::Quantity).is_err());
    }

    #[test]
    fn offsets_move_onto_the_shops_clock() {
        let utc = reading(TimestampFormat::Iso, None, "UTC");
        assert_eq!(
            utc.read("2010-12-01 08:26:00 -0500"),
            Some(at("2010-12-01 13:26:00"))
        );
        assert_eq!(
            utc.read("2010-12-01T08:26:00+01:00"),
            Some(at("2010-12-01 07:26:00"))
        );
        assert_eq!(
            utc.read("2010-12-01T08:26:00.5Z"),
            Some(at("2010-12-01 08:26:00") + 500_000)
        );
        assert_eq!(
            utc.read("2010-12-01 08:26:00"),
            Some(at("2010-12-01 08:26:00"))
        );
        let us = reading(TimestampFormat::MonthFirst, None, "UTC");
        assert_eq!(
            us.read("12/1/2010 8:26 PM"),
            Some(at("2010-12-01 20:26:00"))
        );
        assert_eq!(
            us.read("12/1/2010 12:05 am"),
            Some(at("2010-12-01 00:05:00"))
        );
        assert_eq!(us.read("12/1/2010 13:05 PM"), None);
        // London is on GMT in December and on BST in July.
        let london = reading(TimestampFormat::Iso, None, "Europe/London");
        assert_eq!(
            london.read("2011-07-01T08:00:00Z"),
            Some(at("2011-07-01 09:00:00"))
        );
        let from_paris = reading(TimestampFormat::DayFirst, Some("Europe/Paris"), "UTC");
        assert_eq!(
            from_paris.read("01.12.2010 09:26"),
            Some(at("2010-12-01 08:26:00"))
        );
    }

    #[test]
    fn a_pattern_overrides_the_order() {
        let r = TimeReading {
            pattern: Some("%d %b %Y %H:%M".into()),
            ..reading(TimestampFormat::Iso, None, "UTC")
        };
        assert_eq!(r.read("01 Dec 2010 08:26"), Some(at("2010-12-01 08:26:00")));
        assert_eq!(r.read("2010-12-01"), None);
        assert!(zone("Mars/Olympus").is_err());
    }
}
