//! `--filter`: which browsed messages to keep, in a jq-like line a user types without
//! reading a manual: `.country == "France"`, `.quantity >= 10`, `.a.b != null`,
//! `key == "17850"`, `key ~ "178"`, `~ "WHITE HEART"` or just `WHITE HEART`.
//!
//! A field that is missing compares as `null` (so `!=` keeps the message, as jq does);
//! `>`, `<`, `>=` and `<=` hold only between two numbers or two strings.

use std::cmp::Ordering;

use serde_json::Value;

use super::error::{BrowseError, Result};
use super::message::BrowsedMessage;

/// A path into a JSON document: `.a.b` (the leading dot is optional; a number
/// segment indexes an array).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath(Vec<String>);

impl JsonPath {
    /// `None` for an empty segment (`.a..b`) or an empty path.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let body = text.strip_prefix('.').unwrap_or(text);
        if body.is_empty() {
            return None;
        }
        let segments: Vec<String> = body.split('.').map(str::to_string).collect();
        segments
            .iter()
            .all(|s| !s.is_empty())
            .then_some(Self(segments))
    }

    /// The value at this path, if every step exists.
    pub fn lookup<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        self.0.iter().try_fold(value, |v, step| match v {
            Value::Object(map) => map.get(step),
            Value::Array(items) => items.get(step.parse::<usize>().ok()?),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    /// `~`: the text contains the literal.
    Contains,
}

impl Op {
    /// Longest first, so `>=` is not read as `>`.
    const SPELLINGS: [(&'static str, Op); 7] = [
        ("==", Op::Eq),
        ("!=", Op::Ne),
        (">=", Op::Ge),
        ("<=", Op::Le),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("~", Op::Contains),
    ];

    /// Splits `text` (which starts at the operator, after blanks) into the operator
    /// and the rest.
    fn split(text: &str) -> Option<(Op, &str)> {
        Self::SPELLINGS
            .iter()
            .find_map(|(s, op)| text.strip_prefix(s).map(|rest| (*op, rest)))
    }

    fn holds(self, ordering: Option<Ordering>) -> bool {
        matches!(
            (self, ordering),
            (Op::Gt, Some(Ordering::Greater))
                | (Op::Lt, Some(Ordering::Less))
                | (Op::Ge, Some(Ordering::Greater | Ordering::Equal))
                | (Op::Le, Some(Ordering::Less | Ordering::Equal))
        )
    }
}

/// A parsed `--filter`.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `.path OP literal` on the message's JSON value.
    Field {
        path: JsonPath,
        op: Op,
        literal: Value,
    },
    /// `key == "…"`, `key != "…"` or `key ~ "…"`.
    Key { op: Op, text: String },
    /// `~ "…"` or bare text: a substring of the payload.
    Text(String),
}

impl Filter {
    pub fn parse(text: &str) -> Result<Self> {
        let fail = |reason: &str| BrowseError::Filter {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(fail("it is empty"));
        }
        if let Some(rest) = trimmed.strip_prefix('~') {
            return Ok(Filter::Text(unquote(rest)));
        }
        if trimmed.starts_with('.') {
            let end = trimmed
                .find(|c: char| c.is_whitespace() || "=!<>~".contains(c))
                .ok_or_else(|| fail("a comparison is missing after the path"))?;
            let path = JsonPath::parse(&trimmed[..end]).ok_or_else(|| fail("the path is empty"))?;
            let (op, rest) = Op::split(trimmed[end..].trim_start())
                .ok_or_else(|| fail("the operator must be ==, !=, >, <, >=, <= or ~"))?;
            let rest = rest.trim();
            if rest.is_empty() {
                return Err(fail("the value to compare with is missing"));
            }
            let literal =
                serde_json::from_str(rest).unwrap_or_else(|_| Value::String(unquote(rest)));
            return Ok(Filter::Field { path, op, literal });
        }
        if let Some(rest) = trimmed.strip_prefix("key")
            && let Some((op, value)) = Op::split(rest.trim_start())
        {
            if !matches!(op, Op::Eq | Op::Ne | Op::Contains) {
                return Err(fail("a key compares with ==, != or ~"));
            }
            return Ok(Filter::Key {
                op,
                text: unquote(value),
            });
        }
        Ok(Filter::Text(unquote(trimmed)))
    }

    pub fn matches(&self, message: &BrowsedMessage) -> bool {
        match self {
            Filter::Field { path, op, literal } => compare(
                path.lookup(&message.value).unwrap_or(&Value::Null),
                *op,
                literal,
            ),
            Filter::Key { op, text } => {
                let key = message.key.as_deref();
                match op {
                    Op::Eq => key == Some(text.as_str()),
                    Op::Ne => key != Some(text.as_str()),
                    _ => key.is_some_and(|k| k.contains(text.as_str())),
                }
            }
            Filter::Text(text) => message.payload.contains(text.as_str()),
        }
    }
}

/// `"a b"` → `a b` (JSON string escapes apply); anything else trimmed as it is.
fn unquote(text: &str) -> String {
    let text = text.trim();
    match serde_json::from_str::<Value>(text) {
        Ok(Value::String(s)) if text.starts_with('"') => s,
        _ => text.to_string(),
    }
}

fn compare(field: &Value, op: Op, literal: &Value) -> bool {
    match op {
        Op::Eq => same(field, literal),
        Op::Ne => !same(field, literal),
        Op::Contains => text_of(field).contains(text_of(literal).as_ref()),
        _ => op.holds(order(field, literal)),
    }
}

/// JSON equality, with `1 == 1.0`.
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// A string as it is, anything else as its JSON text.
fn text_of(value: &Value) -> std::borrow::Cow<'_, str> {
    match value {
        Value::String(s) => s.as_str().into(),
        other => other.to_string().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn message(key: Option<&str>, payload: &str) -> BrowsedMessage {
        BrowsedMessage::decode(
            "t",
            0,
            0,
            None,
            key.map(str::as_bytes),
            Vec::new(),
            Some(payload.as_bytes()),
        )
    }

    fn keeps(filter: &str, key: Option<&str>, payload: &str) -> bool {
        Filter::parse(filter)
            .unwrap()
            .matches(&message(key, payload))
    }

    #[test]
    fn comparisons_on_json_fields_follow_jq() {
        let event = r#"{"country":"France","quantity":12,"unit_price":2.5,"customer":{"id":17850},"tags":["a","b"]}"#;
        assert!(keeps(r#".country == "France""#, None, event));
        assert!(!keeps(r#".country != "France""#, None, event));
        assert!(keeps(r#".country=="France""#, None, event));
        assert!(keeps(".quantity >= 12", None, event));
        assert!(!keeps(".quantity > 12", None, event));
        assert!(keeps(".quantity == 12.0", None, event));
        assert!(keeps(".unit_price < 3", None, event));
        assert!(keeps(".customer.id == 17850", None, event));
        assert!(keeps(r#".tags.1 == "b""#, None, event));
        assert!(keeps(r#".country > "Belgium""#, None, event));
        assert!(keeps(r#".country ~ "ran""#, None, event));
        // A missing field is null: unequal to everything else, never ordered.
        assert!(keeps(r#".region != "EU""#, None, event));
        assert!(keeps(".region == null", None, event));
        assert!(!keeps(".region < 5", None, event));
        // A number is not ordered against a string.
        assert!(!keeps(r#".quantity > "1""#, None, event));
        assert!(!keeps(r#".country == "France""#, None, "not json"));
    }

    #[test]
    fn key_and_text_filters() {
        assert!(keeps(r#"key == "17850""#, Some("17850"), "{}"));
        assert!(!keeps(r#"key == "17850""#, None, "{}"));
        assert!(keeps(r#"key != "17850""#, None, "{}"));
        assert!(keeps(r#"key ~ "785""#, Some("17850"), "{}"));
        assert!(keeps("WHITE HEART", None, r#"{"d":"WHITE HEART T-LIGHT"}"#));
        assert!(keeps(
            r#"~ "HEART T""#,
            None,
            r#"{"d":"WHITE HEART T-LIGHT"}"#
        ));
        assert!(!keeps("heart", None, r#"{"d":"WHITE HEART"}"#));
        // A word that merely starts with "key" is text.
        assert_eq!(
            Filter::parse("keyboard").unwrap(),
            Filter::Text("keyboard".into())
        );
    }

    #[test]
    fn mistakes_are_named() {
        for (text, reason) in [
            ("", "empty"),
            (".country", "comparison is missing"),
            (".country ==", "value to compare"),
            (". == 1", "path is empty"),
            (".a..b == 1", "path is empty"),
            ("key > \"1\"", "==, != or ~"),
            (".a = 1", "operator must be"),
        ] {
            let error = Filter::parse(text).unwrap_err().to_string();
            assert!(error.contains(reason), "{text:?}: {error}");
        }
    }

    #[test]
    fn literal_values_parse_as_json() {
        assert_eq!(
            Filter::parse(".a.b <= 2.5").unwrap(),
            Filter::Field {
                path: JsonPath::parse("a.b").unwrap(),
                op: Op::Le,
                literal: json!(2.5)
            }
        );
    }

    proptest! {
        #[test]
        fn any_filter_text_parses_or_fails_without_panicking(text in "\\PC{0,40}", payload in "\\PC{0,40}") {
            if let Ok(filter) = Filter::parse(&text) {
                let _ = filter.matches(&message(Some("k"), &payload));
            }
        }
    }
}
