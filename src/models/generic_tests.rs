//! The SQL of dbt's built-in generic tests. Each query returns the failing rows; a test
//! fails (or warns) when it returns any.

use serde_json::Value;

use super::node::GenericTest;

fn quote_value(value: &Value, quote: bool) -> String {
    match value {
        Value::String(s) if quote => crate::warehouse::quote_literal(s),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The failing-rows query of a built-in test, or `None` for a custom generic test.
/// `model` is the tested relation; `to` the relation of a relationships test.
pub fn builtin_sql(test: &GenericTest, model: &str, to: Option<&str>) -> Option<String> {
    let column = test.column.as_deref().unwrap_or("*");
    Some(match test.test_name.as_str() {
        "unique" => format!(
            "select {column} as unique_field, count(*) as n_records\nfrom {model}\nwhere {column} is not null\ngroup by {column}\nhaving count(*) > 1"
        ),
        "not_null" => format!("select {column}\nfrom {model}\nwhere {column} is null"),
        "accepted_values" => {
            let quote = test
                .kwargs
                .get("quote")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            let values: Vec<String> = test
                .kwargs
                .get("values")
                .and_then(Value::as_array)
                .map(|v| v.iter().map(|x| quote_value(x, quote)).collect())
                .unwrap_or_default();
            format!(
                "with all_values as (\n    select {column} as value_field, count(*) as n_records\n    from {model}\n    group by {column}\n)\nselect *\nfrom all_values\nwhere value_field not in ({})",
                values.join(", ")
            )
        }
        "relationships" => {
            let field = test
                .kwargs
                .get("field")
                .and_then(Value::as_str)
                .unwrap_or("id");
            let to = to?;
            format!(
                "with child as (\n    select {column} as from_field\n    from {model}\n    where {column} is not null\n),\nparent as (\n    select {field} as to_field\n    from {to}\n)\nselect from_field\nfrom child\nleft join parent on child.from_field = parent.to_field\nwhere parent.to_field is null"
            )
        }
        _ => return None,
    })
}

/// Wraps a test's failing-rows query so it returns the number of failures.
pub fn count_failures(sql: &str) -> String {
    format!("select count(*) as failures from (\n{sql}\n) as dbt_internal_test")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepted_values_quotes_strings_unless_told() {
        let mut test = GenericTest {
            namespace: None,
            test_name: "accepted_values".into(),
            attached_to: "model.p.m".into(),
            column: Some("status".into()),
            kwargs: json!({"values": ["a", "b'c"]}).as_object().unwrap().clone(),
        };
        let sql = builtin_sql(&test, "m", None).unwrap();
        assert!(sql.contains("not in ('a', 'b''c')"), "{sql}");
        test.kwargs.insert("quote".into(), json!(false));
        test.kwargs.insert("values".into(), json!([1, 2]));
        assert!(
            builtin_sql(&test, "m", None)
                .unwrap()
                .contains("not in (1, 2)")
        );
    }
}
