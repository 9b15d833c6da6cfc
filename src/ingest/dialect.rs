//! Recognising the public dialects of the online-retail CSV with no option given:
//! the encoding (UTF-8, else ISO-8859-1), the delimiter, the header's column order and
//! names, and the timestamp form (`2010-12-01 08:26:00` or `12/1/2010 8:26`).

use serde::Serialize;

use super::read_error::ReadError;

/// The text encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Encoding {
    #[serde(rename = "UTF-8")]
    Utf8,
    #[serde(rename = "ISO-8859-1")]
    Latin1,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Latin1 => "ISO-8859-1",
        }
    }
}

/// Decodes bytes as UTF-8 when they are valid UTF-8, else as ISO-8859-1 (every byte is
/// a character there, so `£` and `é` survive). A leading UTF-8 byte-order mark is dropped.
pub fn decode(bytes: Vec<u8>) -> (String, Encoding) {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..3);
            }
            (text, Encoding::Utf8)
        }
        Err(e) => (
            e.into_bytes().iter().map(|&b| b as char).collect(),
            Encoding::Latin1,
        ),
    }
}

/// Whether the bytes look binary (a NUL in the first 64 KiB): such a file is not CSV.
pub fn looks_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(64 * 1024)]).is_some()
}

/// The columns ecom reads, in `raw.order_lines` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    InvoiceNo,
    StockCode,
    Description,
    Quantity,
    InvoiceDate,
    UnitPrice,
    CustomerId,
    Country,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::InvoiceNo,
        Field::StockCode,
        Field::Description,
        Field::Quantity,
        Field::InvoiceDate,
        Field::UnitPrice,
        Field::CustomerId,
        Field::Country,
    ];

    /// The header name of the by-day files.
    pub fn header(self) -> &'static str {
        match self {
            Field::InvoiceNo => "InvoiceNo",
            Field::StockCode => "StockCode",
            Field::Description => "Description",
            Field::Quantity => "Quantity",
            Field::InvoiceDate => "InvoiceDate",
            Field::UnitPrice => "UnitPrice",
            Field::CustomerId => "CustomerID",
            Field::Country => "Country",
        }
    }

    /// Normalised header names accepted for this field (also the "Online Retail II" names).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::InvoiceNo => &["invoiceno", "invoice", "invoicenumber"],
            Field::StockCode => &["stockcode"],
            Field::Description => &["description"],
            Field::Quantity => &["quantity"],
            Field::InvoiceDate => &["invoicedate"],
            Field::UnitPrice => &["unitprice", "price"],
            Field::CustomerId => &["customerid"],
            Field::Country => &["country"],
        }
    }

    /// A file without this column is not this data; Description may be absent.
    fn required(self) -> bool {
        self != Field::Description
    }
}

/// A header name as compared: trimmed, unquoted, only its letters and digits, lower case.
pub(super) fn normalise(name: &str) -> String {
    name.trim()
        .trim_matches('"')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The most frequent candidate delimiter of the header line.
pub fn detect_delimiter(header: &str) -> u8 {
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| header.bytes().filter(|b| b == d).count())
        .unwrap_or(b',')
}

/// Where each field sits in a file's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub delimiter: u8,
    /// For each [`Field`] in `Field::ALL` order, its position, if present.
    pub positions: [Option<usize>; 8],
    /// How many fields every row must have.
    pub width: usize,
}

/// Reads the header line: the delimiter (the most frequent of `, ; tab |`) and the
/// position of every column by name, in any order and case.
pub fn layout(header: &str) -> Result<Layout, ReadError> {
    let delimiter = detect_delimiter(header);
    let names: Vec<String> = header.split(delimiter as char).map(normalise).collect();
    let mut positions = [None; 8];
    let mut missing = Vec::new();
    for (slot, field) in positions.iter_mut().zip(Field::ALL) {
        *slot = names
            .iter()
            .position(|n| field.aliases().contains(&n.as_str()));
        if slot.is_none() && field.required() {
            missing.push(field.header());
        }
    }
    if !missing.is_empty() {
        return Err(ReadError::NotOnlineRetail {
            missing,
            found: header.chars().take(120).collect(),
        });
    }
    Ok(Layout {
        delimiter,
        positions,
        width: names.len(),
    })
}

/// The order of day and month in slash dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TimestampFormat {
    /// `2010-12-01 08:26:00`
    #[serde(rename = "iso")]
    Iso,
    /// `12/1/2010 8:26`
    #[serde(rename = "month/day/year")]
    MonthFirst,
    /// `1/12/2010 8:26`
    #[serde(rename = "day/month/year")]
    DayFirst,
}

impl TimestampFormat {
    pub fn name(self) -> &'static str {
        match self {
            Self::Iso => "iso",
            Self::MonthFirst => "month/day/year",
            Self::DayFirst => "day/month/year",
        }
    }

    /// Picks the form from the file's values (all of them, or a large sample), never
    /// per row: ISO when they start with a four-digit year; for slash (or dot, or dash)
    /// dates, day first
    /// when some first number is above 12, month first when some second number is, and
    /// month first (as the UCI data writes them) when no value tells.
    pub fn detect<S: AsRef<str>>(samples: impl Iterator<Item = S>) -> Self {
        let mut slash = false;
        for value in samples {
            let value = value.as_ref().trim();
            let bytes = value.as_bytes();
            if bytes.len() >= 5
                && bytes[..4].iter().all(u8::is_ascii_digit)
                && matches!(bytes[4], b'-' | b'/' | b'.')
            {
                return Self::Iso;
            }
            // Only a value shaped like a date counts: `D/M/YYYY …` or `M/D/YYYY …`, with
            // slashes, dots or dashes.
            let date = value.split_whitespace().next().unwrap_or("");
            let numbers: Vec<Option<u32>> = date
                .split(['/', '.', '-'])
                .map(|d| d.parse().ok().filter(|_| d.len() <= 4))
                .collect();
            let [Some(first), Some(second), Some(_)] = numbers[..] else {
                continue;
            };
            slash = true;
            if first > 12 {
                return Self::DayFirst;
            }
            if second > 12 {
                return Self::MonthFirst;
            }
        }
        if slash { Self::MonthFirst } else { Self::Iso }
    }

    /// Microseconds since 1970-01-01 00:00:00 (no zone: the shop's local clock).
    pub fn parse(self, text: &str) -> Option<i64> {
        let mut numbers = [0u32; 6];
        let mut count = 0;
        for part in text
            .trim()
            .split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
        {
            if count == 6 || part.len() > 4 {
                return None;
            }
            numbers[count] = part.parse().ok()?;
            count += 1;
        }
        // A date and time (seconds optional), or a date alone (midnight).
        if count != 3 && count < 5 {
            return None;
        }
        let [a, b, c, hour, minute, second] = numbers;
        let (year, month, day) = match self {
            Self::Iso => (a, b, c),
            Self::MonthFirst => (c, a, b),
            Self::DayFirst => (c, b, a),
        };
        let year = if year < 100 { year + 2000 } else { year };
        let date = chrono::NaiveDate::from_ymd_opt(year as i32, month, day)?;
        let time = chrono::NaiveTime::from_hms_opt(hour, minute, second)?;
        Some(date.and_time(time).and_utc().timestamp_micros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_order_is_decided_by_any_value_that_tells() {
        let days = ["1/12/2010 8:26", "9/12/2010 9:00", "13/12/2010 10:00"];
        assert_eq!(
            TimestampFormat::detect(days.into_iter()),
            TimestampFormat::DayFirst
        );
        let months = ["12/1/2010 8:26", "12/9/2010 9:00", "12/13/2010 10:00"];
        assert_eq!(
            TimestampFormat::detect(months.into_iter()),
            TimestampFormat::MonthFirst
        );
        let neither = ["1/2/2011 8:26", "3/4/2011 9:00"];
        assert_eq!(
            TimestampFormat::detect(neither.into_iter()),
            TimestampFormat::MonthFirst
        );
    }

    #[test]
    fn latin1_is_recognised_and_pound_survives() {
        let (text, enc) = decode(b"caf\xe9 \xa3".to_vec());
        assert_eq!(enc, Encoding::Latin1);
        assert_eq!(text, "café £");
        let (text, enc) = decode("\u{feff}café £".as_bytes().to_vec());
        assert_eq!(enc, Encoding::Utf8);
        assert_eq!(text, "café £");
    }

    #[test]
    fn header_in_any_order_and_case() {
        let l = layout(
            "country;CUSTOMERID;unit_price;InvoiceDate;quantity;Description;StockCode;InvoiceNo",
        )
        .unwrap();
        assert_eq!(l.delimiter, b';');
        assert_eq!(l.positions[0], Some(7));
        assert_eq!(l.positions[7], Some(0));
        let err = layout("a,b,c").unwrap_err().to_string();
        assert!(err.contains("InvoiceNo"), "{err}");
    }

    #[test]
    fn both_timestamp_forms_parse_to_the_same_instant() {
        let iso = TimestampFormat::Iso.parse("2010-12-01 08:26:00").unwrap();
        let us = TimestampFormat::MonthFirst.parse("12/1/2010 8:26").unwrap();
        assert_eq!(iso, us);
        assert_eq!(
            TimestampFormat::detect(["12/1/2010 8:26"].into_iter()),
            TimestampFormat::MonthFirst
        );
        assert_eq!(
            TimestampFormat::detect(["13/1/2010 8:26"].into_iter()),
            TimestampFormat::DayFirst
        );
        assert_eq!(
            TimestampFormat::detect(["2010-12-01 08:26:00"].into_iter()),
            TimestampFormat::Iso
        );
        assert!(TimestampFormat::Iso.parse("2010-13-01 08:26").is_none());
        assert!(TimestampFormat::Iso.parse("yesterday").is_none());
    }
}
