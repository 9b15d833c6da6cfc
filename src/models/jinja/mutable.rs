//! Lists and dicts that macros can change in place, as Jinja on Python lets them:
//! `{% set fields = [] %}{% for c in cols %}{% do fields.append(c) %}{% endfor %}` is
//! how dbt packages build lists, and the append inside the loop must reach the list
//! outside it. minijinja's values are immutable, so a `{% set x = [...] %}` or
//! `{% set x = {...} %}` is rewritten to make a [`List`] or [`Dict`] here, which
//! behave as sequences and maps everywhere else (loops, filters, `in`, indexing).

use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, Value, from_args};
use minijinja::{Environment, Error, ErrorKind, State};

const LIST: &str = "__ecom_list";
const DICT: &str = "__ecom_dict";

/// Registers the constructors the rewrite calls.
pub fn install(env: &mut Environment<'static>) {
    env.add_function(LIST, |items: Option<Value>| -> Result<Value, Error> {
        let items = match items {
            Some(items) => items.try_iter()?.collect(),
            None => Vec::new(),
        };
        Ok(Value::from_object(List(Mutex::new(items))))
    });
    env.add_function(DICT, |map: Option<Value>| -> Result<Value, Error> {
        let mut entries = Vec::new();
        if let Some(map) = map {
            for key in map.try_iter()? {
                let value = map.get_item(&key)?;
                entries.push((key, value));
            }
        }
        Ok(Value::from_object(Dict(Mutex::new(entries))))
    });
}

/// Rewrites `{% set name = [ ... ] %}` and `{% set name = { ... } %}` so the value is
/// a [`List`] or a [`Dict`].
pub fn rewrite(source: &str) -> String {
    super::tags::rewrite_tags(source, rewrite_tag)
}

fn rewrite_tag(tag: &str) -> Option<String> {
    let open = if tag.starts_with("{%-") { "{%-" } else { "{%" };
    let close = if tag.ends_with("-%}") { "-%}" } else { "%}" };
    let inner = tag[open.len()..tag.len() - close.len()].trim();
    let assignment = inner.strip_prefix("set ")?;
    let (target, value) = assignment.split_once('=')?;
    let (target, value) = (target.trim(), value.trim());
    if !target.chars().all(|c| c.is_alphanumeric() || c == '_') || target.is_empty() {
        return None;
    }
    let constructor = match (value.chars().next()?, value.chars().last()?) {
        ('[', ']') => LIST,
        ('{', '}') => DICT,
        _ => return None,
    };
    // `['a', 'b'][0]` starts and ends with brackets but is not a list literal.
    if !one_literal(value) {
        return None;
    }
    Some(format!(
        "{open} set {target} = {constructor}({value}) {close}"
    ))
}

/// Whether the bracket that opens `value` closes at its very end (quotes skipped).
fn one_literal(value: &str) -> bool {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        if let Some(q) = quote {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, c) if c == q => quote = None,
                _ => {}
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '[' | '{' | '(' => depth += 1,
            ']' | '}' | ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + c.len_utf8() == value.len();
                }
            }
            _ => {}
        }
    }
    false
}

/// A list with `append`, `extend`, `insert`, `pop`, `remove`.
#[derive(Debug)]
pub struct List(Mutex<Vec<Value>>);

impl List {
    fn items(&self) -> std::sync::MutexGuard<'_, Vec<Value>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Object for List {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let items = self.items();
        let index = i64::try_from(key.clone()).ok()?;
        let index = if index < 0 {
            items.len() as i64 + index
        } else {
            index
        };
        items.get(usize::try_from(index).ok()?).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.items().clone())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        // Arguments are read before the lock: `xs.extend(xs)` reads the list itself.
        let more: Option<Vec<Value>> = match method {
            "extend" => {
                let (more,): (Value,) = from_args(args)?;
                Some(more.try_iter()?.collect())
            }
            _ => None,
        };
        let mut items = self.items();
        match method {
            "append" => {
                let (value,): (Value,) = from_args(args)?;
                items.push(value);
            }
            "extend" => items.extend(more.unwrap_or_default()),
            "insert" => {
                let (at, value): (usize, Value) = from_args(args)?;
                let at = at.min(items.len());
                items.insert(at, value);
            }
            "pop" => {
                let (at,): (Option<i64>,) = from_args(args)?;
                let len = items.len() as i64;
                let at = at
                    .map(|i| if i < 0 { len + i } else { i })
                    .unwrap_or(len - 1);
                if at < 0 || at >= len {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "pop index out of range",
                    ));
                }
                return Ok(items.remove(at as usize));
            }
            "remove" => {
                let (value,): (Value,) = from_args(args)?;
                let at = items.iter().position(|v| *v == value).ok_or_else(|| {
                    Error::new(ErrorKind::InvalidOperation, "list.remove(x): x not in list")
                })?;
                items.remove(at);
            }
            _ => return Err(Error::from(ErrorKind::UnknownMethod)),
        }
        Ok(Value::from(()))
    }
}

/// A dict (insertion-ordered) with `update`, `pop`, `setdefault`, `get`, `items`,
/// `keys`, `values`.
#[derive(Debug)]
pub struct Dict(Mutex<Vec<(Value, Value)>>);

impl Dict {
    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<(Value, Value)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(entries: &mut Vec<(Value, Value)>, key: Value, value: Value) {
        match entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => entries.push((key, value)),
        }
    }
}

impl Object for Dict {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.entries()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.entries().iter().map(|(k, _)| k.clone()).collect())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        if method == "update" {
            // Read before the lock: `d.update(d)` reads the dict itself.
            let (other, kwargs): (Option<Value>, Kwargs) = from_args(args)?;
            let mut pairs = Vec::new();
            if let Some(other) = other {
                for key in other.try_iter()? {
                    let value = other.get_item(&key)?;
                    pairs.push((key, value));
                }
            }
            for key in kwargs.args() {
                pairs.push((Value::from(key), kwargs.get::<Value>(key)?));
            }
            let mut entries = self.entries();
            for (key, value) in pairs {
                Self::set(&mut entries, key, value);
            }
            return Ok(Value::from(()));
        }
        let mut entries = self.entries();
        match method {
            "get" => {
                let (key, default): (Value, Option<Value>) = from_args(args)?;
                Ok(entries
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.clone())
                    .or(default)
                    .unwrap_or(Value::from(())))
            }
            "pop" => {
                let (key, default): (Value, Option<Value>) = from_args(args)?;
                match entries.iter().position(|(k, _)| *k == key) {
                    Some(at) => Ok(entries.remove(at).1),
                    None => default.ok_or_else(|| {
                        Error::new(ErrorKind::InvalidOperation, format!("KeyError: {key}"))
                    }),
                }
            }
            "setdefault" => {
                let (key, default): (Value, Option<Value>) = from_args(args)?;
                if let Some((_, v)) = entries.iter().find(|(k, _)| *k == key) {
                    return Ok(v.clone());
                }
                let value = default.unwrap_or(Value::from(()));
                entries.push((key, value.clone()));
                Ok(value)
            }
            "items" => Ok(Value::from(
                entries
                    .iter()
                    .map(|(k, v)| Value::from(vec![k.clone(), v.clone()]))
                    .collect::<Vec<_>>(),
            )),
            "keys" => Ok(Value::from(
                entries.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
            )),
            "values" => Ok(Value::from(
                entries.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
            )),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str) -> String {
        let mut env = Environment::new();
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        install(&mut env);
        env.render_str(&rewrite(source), ()).unwrap()
    }

    #[test]
    fn appends_inside_a_loop_reach_the_list_outside() {
        assert_eq!(
            render(
                "{%- set xs = [] -%}{%- for i in range(3) %}{% do xs.append(i * 2) %}{% endfor -%}{{ xs | join(',') }} {{ xs | length }} {{ xs[-1] }}"
            ),
            "0,2,4 3 4"
        );
    }

    #[test]
    fn dicts_update_and_read_like_python() {
        assert_eq!(
            render(
                "{% set d = {'a': 1} %}{% do d.update({'b': 2}) %}{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{{ d.get('c', 9) }}{{ d['a'] }}{{ 'b' in d }}"
            ),
            "a=1;b=2;91True"
        );
    }

    #[test]
    fn other_assignments_are_left_alone() {
        assert_eq!(
            rewrite("{% set a = b %}{%- set c = [1] -%}"),
            "{% set a = b %}{%- set c = __ecom_list([1]) -%}"
        );
    }
}
