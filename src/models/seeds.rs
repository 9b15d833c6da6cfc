//! Loading a seed as dbt-duckdb loads it: every column typed the way dbt's agate type
//! tester types it (whole numbers `INTEGER`, other numbers `DOUBLE`, `DATE`, `TIMESTAMP`,
//! `BOOLEAN`, else `VARCHAR`; `column_types` wins), the table created with those types,
//! then filled by DuckDB's `COPY … FROM` the file with the seed's delimiter, so a value
//! DuckDB cannot cast fails the seed exactly where it fails under dbt. A seed configured
//! `infer: duckdb` is typed by DuckDB's own CSV sniffer instead.

use std::path::{Path, PathBuf};

use super::config::NodeConfig;
use crate::warehouse::{quote_ident, quote_literal};

/// A seed file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read seed {}: {source}", .path.display())]
pub struct SeedError {
    path: PathBuf,
    source: csv::Error,
}

/// The SQL type dbt gives a seed column from its values (`None`: the null markers
/// `""` and `null`, in any case, which every type accepts).
pub fn agate_type<'a>(values: impl Iterator<Item = &'a str>) -> &'static str {
    let mut number = true;
    let mut decimals = false;
    let mut date = true;
    let mut datetime = true;
    let mut iso = true;
    let mut boolean = true;
    let mut any = false;
    for value in values {
        let v = value.trim();
        if v.is_empty() || v.eq_ignore_ascii_case("null") {
            continue;
        }
        any = true;
        if number {
            match agate_number_places(v) {
                Some(places) => decimals |= places > 0,
                None => number = false,
            }
        }
        date &= chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok() && strict_ymd(v);
        datetime &= chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S").is_ok();
        iso &= iso_datetime(v);
        boolean &= {
            let b = v.replace(',', "").to_lowercase();
            b == "true" || b == "false"
        };
    }
    // An all-null column passes the first test, dbt's Integer.
    if !any {
        return "integer";
    }
    if number {
        return if decimals { "float8" } else { "integer" };
    }
    if date {
        "date"
    } else if datetime || iso {
        "timestamp without time zone"
    } else if boolean {
        "boolean"
    } else {
        "text"
    }
}

/// Python's `strptime("%Y-%m-%d")` wants exactly four year digits.
fn strict_ymd(v: &str) -> bool {
    v.split('-').next().is_some_and(|y| y.len() == 4)
}

/// `isodate.parse_datetime`: an ISO date, `T`, a time, an optional zone.
fn iso_datetime(v: &str) -> bool {
    let Some((date, time)) = v.split_once('T') else {
        return false;
    };
    let date_ok = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
        || chrono::NaiveDate::parse_from_str(date, "%Y%m%d").is_ok();
    let time = time
        .trim_end_matches(['Z', 'z'])
        .split(['+', '-'])
        .next()
        .unwrap_or("");
    let time_ok = ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M", "%H%M%S"]
        .iter()
        .any(|f| chrono::NaiveTime::parse_from_str(time, f).is_ok());
    date_ok && time_ok
}

/// Currency symbols agate's Number strips from both ends of a value.
const CURRENCY: &[char] = &[
    '؋', '$', 'ƒ', '៛', '¥', '₡', '₱', '£', '€', '¢', '﷼', '₪', '₩', '₭', '₮', '₦', '฿', '₤', '₫',
];

/// Whether agate's Number reads `v` (percent signs, a leading minus and currency
/// symbols stripped, `,` group separators dropped, then Python's `Decimal`), and the
/// decimal places of its normalised value (0 for NaN and infinities).
fn agate_number_places(v: &str) -> Option<u32> {
    let d = v.trim_matches('%');
    let d = d.strip_prefix('-').unwrap_or(d);
    let d = d.trim_matches(CURRENCY).replace(',', "");
    python_decimal_places(d.trim())
}

/// Python's `Decimal(text)`: `[sign] digits [. digits] [e [sign] digits]` (underscores
/// between digits allowed), or `inf`/`infinity`/`nan`/`snan`; the places after the
/// point once trailing zeros are dropped.
fn python_decimal_places(text: &str) -> Option<u32> {
    let t = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = t.to_ascii_lowercase();
    // `nan` and `snan` may carry a diagnostic number (`nan123`).
    let nan_payload = lower
        .strip_prefix('s')
        .unwrap_or(&lower)
        .strip_prefix("nan");
    if lower == "inf"
        || lower == "infinity"
        || nan_payload.is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(0);
    }
    let (mantissa, exponent) = match lower.split_once('e') {
        Some((m, e)) => {
            if !digits_ok(e.strip_prefix(['+', '-']).unwrap_or(e)) {
                return None;
            }
            (m, e.replace('_', "").parse::<i64>().ok()?)
        }
        None => (lower.as_str(), 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !(whole.is_empty() || digits_ok(whole))
        || !(fraction.is_empty() || digits_ok(fraction))
    {
        return None;
    }
    let digits: String = format!("{whole}{fraction}").replace('_', "");
    if digits.bytes().all(|b| b == b'0') {
        return Some(0);
    }
    let trailing = digits.len() - digits.trim_end_matches('0').len();
    let scale = fraction.replace('_', "").len() as i64 - exponent - trailing as i64;
    Some(scale.max(0) as u32)
}

/// Digits, with single underscores between them (Python's numeric literal rule).
fn digits_ok(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('_')
        && !s.ends_with('_')
        && !s.contains("__")
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

/// The SQL that creates `relation` from the seed file at `path` and fills it.
pub fn load_sql(relation: &str, path: &Path, config: &NodeConfig) -> Result<String, SeedError> {
    let delimiter = config.delimiter.clone().unwrap_or_else(|| ",".into());
    let file = quote_literal(&path.to_string_lossy());
    if config.infer.as_deref() == Some("duckdb") {
        return Ok(format!(
            "CREATE OR REPLACE TABLE {relation} AS SELECT * FROM read_csv({file}, header = true, \
             delim = {}, auto_detect = true{})",
            quote_literal(&delimiter),
            duckdb_types(config)
        ));
    }
    let columns = column_types(path, &delimiter, config)?;
    let quote = config.quote_columns.unwrap_or(false);
    let defs: Vec<String> = columns
        .iter()
        .map(|(name, ty)| {
            let name = if quote {
                quote_ident(name)
            } else {
                name.clone()
            };
            format!("{name} {ty}")
        })
        .collect();
    Ok(format!(
        "CREATE OR REPLACE TABLE {relation} ({});\nCOPY {relation} FROM {file} (FORMAT CSV, HEADER TRUE, DELIMITER {})",
        defs.join(", "),
        quote_literal(&delimiter)
    ))
}

/// `column_types` as `read_csv`'s `types` argument (for `infer: duckdb`).
fn duckdb_types(config: &NodeConfig) -> String {
    if config.column_types.is_empty() {
        return String::new();
    }
    let types: Vec<String> = config
        .column_types
        .iter()
        .map(|(column, ty)| {
            format!(
                "{}: {}",
                quote_literal(column),
                quote_literal(ty.as_str().unwrap_or("VARCHAR"))
            )
        })
        .collect();
    format!(", types = {{{}}}", types.join(", "))
}

/// Each header column with its type: `column_types`, else as dbt's agate infers it.
fn column_types(
    path: &Path,
    delimiter: &str,
    config: &NodeConfig,
) -> Result<Vec<(String, String)>, SeedError> {
    let fail = |source| SeedError {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter.bytes().next().unwrap_or(b','))
        .flexible(true)
        .from_path(path)
        .map_err(fail)?;
    let header: Vec<String> = reader
        .headers()
        .map_err(fail)?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let records: Vec<csv::StringRecord> =
        reader.records().collect::<Result<_, _>>().map_err(fail)?;
    Ok(header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let ty = match config.column_types.get(name) {
                Some(ty) => ty.as_str().unwrap_or("VARCHAR").to_string(),
                None => agate_type(records.iter().map(|r| r.get(i).unwrap_or(""))).to_string(),
            };
            (name.clone(), ty)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(values: &[&str]) -> &'static str {
        agate_type(values.iter().copied())
    }

    #[test]
    fn columns_are_typed_as_dbts_agate_types_them() {
        assert_eq!(ty(&["1", "20", ""]), "integer");
        assert_eq!(ty(&["1.5", "2"]), "float8");
        assert_eq!(ty(&["2.0", "3.00"]), "integer");
        assert_eq!(ty(&["1,234.50", "$3.00"]), "float8");
        assert_eq!(ty(&["1,5", "2"]), "integer");
        assert_eq!(ty(&["+7", "-5", "1e3", "1_000"]), "integer");
        assert_eq!(ty(&["2.5E-1"]), "float8");
        assert_eq!(ty(&["007", "010"]), "integer");
        assert_eq!(ty(&["", "null", "NULL"]), "integer");
        assert_eq!(ty(&["2024-01-02", "2024-1-3"]), "date");
        assert_eq!(ty(&["2024-01-02 10:00:00"]), "timestamp without time zone");
        assert_eq!(
            ty(&["2024-01-02T10:00:00.250"]),
            "timestamp without time zone"
        );
        assert_eq!(ty(&["true", "False", "TRUE"]), "boolean");
        assert_eq!(ty(&["1", "x"]), "text");
        assert_eq!(ty(&["NaN", "1.5"]), "float8");
        assert_eq!(ty(&["yes", "no"]), "text");
    }
}
