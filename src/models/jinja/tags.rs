//! Pre-processing of template sources before minijinja reads them: the walk over
//! `{% … %}` tags that the passes share, dbt's `{% test %}` blocks made macros, and
//! the names of the macros a file defines, and a file's `{% snapshot %}` blocks.

/// Copies `source`, giving each `{% … %}` tag to `rewrite`, which returns its
/// replacement or `None` to keep it (the pre-processing passes share this walk).
pub fn rewrite_tags(source: &str, rewrite: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("%}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let tag = &rest[start..start + end + 2];
        out.push_str(&rewrite(tag).unwrap_or_else(|| tag.to_string()));
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// Rewrites dbt's `{% test name(...) %}` blocks into macros named `test_name`, which is
/// what dbt does with them, so minijinja can call them.
pub fn preprocess_macros(source: &str) -> String {
    rewrite_tags(source, |tag| {
        let inner = tag[2..tag.len() - 2].trim_matches('-').trim();
        if let Some(signature) = inner.strip_prefix("test ") {
            let dash_open = if tag.starts_with("{%-") { "{%-" } else { "{%" };
            let dash_close = if tag.ends_with("-%}") { "-%}" } else { "%}" };
            Some(format!(
                "{dash_open} macro test_{} {dash_close}",
                signature.trim()
            ))
        } else if inner == "endtest" {
            Some(tag.replace("endtest", "endmacro"))
        } else {
            None
        }
    })
}

/// Names of the macros a file defines.
pub fn macro_names(source: &str) -> Vec<String> {
    source
        .split("{%")
        .skip(1)
        .filter_map(|tag| {
            let inner = tag.trim_start_matches('-').trim_start();
            let rest = inner.strip_prefix("macro ")?;
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// The `{% snapshot name %}…{% endsnapshot %}` blocks of a file: name and body.
pub fn snapshot_blocks(source: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        let Some(end) = rest[start..].find("%}") else {
            break;
        };
        let tag = rest[start + 2..start + end].trim_matches('-').trim();
        rest = &rest[start + end + 2..];
        let Some(name) = tag.strip_prefix("snapshot ") else {
            continue;
        };
        let mut body_end = rest.len();
        let mut after = "";
        let mut search = rest;
        let mut offset = 0;
        while let Some(open) = search.find("{%") {
            let Some(close) = search[open..].find("%}") else {
                break;
            };
            let inner = search[open + 2..open + close].trim_matches('-').trim();
            if inner == "endsnapshot" {
                body_end = offset + open;
                after = &search[open + close + 2..];
                break;
            }
            offset += open + close + 2;
            search = &search[open + close + 2..];
        }
        blocks.push((name.trim().to_string(), rest[..body_end].to_string()));
        rest = after;
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_blocks_become_macros() {
        let src = "{% test is_even(model, column_name) %}select 1{% endtest %}";
        let out = preprocess_macros(src);
        assert_eq!(
            out,
            "{% macro test_is_even(model, column_name) %}select 1{% endmacro %}"
        );
        assert_eq!(macro_names(&out), vec!["test_is_even"]);
        assert_eq!(
            macro_names("{%- macro a(x) -%}{% endmacro %}{% macro b() %}"),
            vec!["a", "b"]
        );
    }
}
