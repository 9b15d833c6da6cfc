//! A source table's freshness rule as its property file gives it: the column that
//! says when it was loaded and the `warn_after` / `error_after` thresholds.

use serde::Serialize;
use serde_json::{Map, Value};

/// A source table's freshness rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Freshness {
    pub loaded_at_field: String,
    pub warn_after: Option<Threshold>,
    pub error_after: Option<Threshold>,
    pub filter: Option<String>,
}

/// `{count: 1, period: hour}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    pub count: i64,
    pub period: String,
}

impl Threshold {
    fn read(value: Option<&Value>) -> Option<Self> {
        let value = value?;
        Some(Self {
            count: value.get("count")?.as_i64()?,
            period: value.get("period")?.as_str()?.to_string(),
        })
    }

    pub fn seconds(&self) -> f64 {
        let unit = match self.period.as_str() {
            "minute" => 60.0,
            "hour" => 3600.0,
            "day" => 86_400.0,
            _ => f64::INFINITY,
        };
        self.count as f64 * unit
    }
}

/// The rule of a table: the source's `freshness` and `loaded_at_field` with the
/// table's keys over them; none when either is missing or the table says `null`.
pub fn rule(source: &Value, table: &Value) -> Option<Freshness> {
    if table.get("freshness").is_some_and(Value::is_null) {
        return None;
    }
    let mut merged: Map<String, Value> = source
        .get("freshness")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(own) = table.get("freshness").and_then(Value::as_object) {
        merged.extend(own.clone());
    }
    let field = table
        .get("loaded_at_field")
        .or(source.get("loaded_at_field"))
        .and_then(Value::as_str)?;
    let warn_after = Threshold::read(merged.get("warn_after"));
    let error_after = Threshold::read(merged.get("error_after"));
    if warn_after.is_none() && error_after.is_none() {
        return None;
    }
    Some(Freshness {
        loaded_at_field: field.to_string(),
        warn_after,
        error_after,
        filter: merged
            .get("filter")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_table_overrides_its_source_and_null_turns_the_check_off() {
        let source = json!({"loaded_at_field": "at", "freshness": {"warn_after": {"count": 1, "period": "hour"}, "error_after": {"count": 1, "period": "day"}}});
        let table = json!({"freshness": {"warn_after": {"count": 12, "period": "hour"}, "filter": "id = 1"}});
        let rule = rule(&source, &table).unwrap();
        assert_eq!(rule.warn_after.unwrap().seconds(), 12.0 * 3600.0);
        assert_eq!(rule.error_after.unwrap().seconds(), 86_400.0);
        assert_eq!(rule.filter.as_deref(), Some("id = 1"));
        assert!(super::rule(&source, &json!({"freshness": null})).is_none());
        assert!(super::rule(&json!({}), &json!({})).is_none());
    }
}
