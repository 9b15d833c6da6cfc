//! dbt's node selection: names, `+model`, `model+`, `n+model`, `model+n`, `tag:`,
//! `path:`, `config.materialized:`, `resource_type:`, union by space, intersection by
//! comma, `--exclude`. Tests follow the models they test (dbt's eager indirect
//! selection).

use std::collections::{BTreeSet, HashMap, VecDeque};

use super::error::ModelError;
use super::graph::Graph;
use super::node::{Node, ResourceType};

/// One selector atom with its graph operators.
#[derive(Debug, Clone, PartialEq)]
struct Atom {
    parents: Option<usize>,
    children: Option<usize>,
    method: String,
    value: String,
}

/// `usize::MAX` means all generations.
fn parse_atom(text: &str) -> Result<Atom, ModelError> {
    let mut rest = text;
    let mut parents = None;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if rest[digits.len()..].starts_with('+') {
        parents = Some(if digits.is_empty() {
            usize::MAX
        } else {
            digits.parse().unwrap_or(usize::MAX)
        });
        rest = &rest[digits.len() + 1..];
    }
    let mut children = None;
    if let Some(plus) = rest.rfind('+') {
        let tail = &rest[plus + 1..];
        if tail.chars().all(|c| c.is_ascii_digit()) {
            children = Some(if tail.is_empty() {
                usize::MAX
            } else {
                tail.parse().unwrap_or(usize::MAX)
            });
            rest = &rest[..plus];
        }
    }
    if rest.is_empty() {
        return Err(ModelError::Selector(format!("empty selector in `{text}`")));
    }
    let (method, value) = match rest.split_once(':') {
        Some((m, v)) => (m.to_string(), v.to_string()),
        None => (String::new(), rest.to_string()),
    };
    Ok(Atom {
        parents,
        children,
        method,
        value,
    })
}

fn matches(atom: &Atom, node: &Node) -> Result<bool, ModelError> {
    Ok(match atom.method.as_str() {
        "" | "fqn" => {
            node.name == atom.value
                || node.unique_id == atom.value
                || fqn_matches(&node.fqn, &atom.value)
        }
        "tag" => node.config.tags.iter().any(|t| t == &atom.value),
        "path" => {
            let path = node.path.to_string_lossy();
            let want = atom.value.trim_end_matches('/');
            path == want || path.starts_with(&format!("{want}/"))
        }
        "config.materialized" => node.config.materialized == atom.value,
        "resource_type" => node.resource_type.name() == atom.value,
        "test_name" => node
            .generic_test
            .as_ref()
            .is_some_and(|t| t.test_name == atom.value),
        other => {
            return Err(ModelError::Selector(format!(
                "unknown selector method `{other}:` (known: tag, path, config.materialized, resource_type, test_name, fqn)"
            )));
        }
    })
}

/// `marts` or `marts.core` selects the models under those folders; `*` is a wildcard.
fn fqn_matches(fqn: &[String], value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    let prefix = |body: &[String]| {
        parts.len() <= body.len() && parts.iter().zip(body).all(|(p, f)| *p == "*" || *p == f)
    };
    prefix(fqn) || prefix(&fqn[1..])
}

fn walk(start: &str, edges: &HashMap<&str, Vec<&str>>, depth: usize, out: &mut BTreeSet<String>) {
    let mut queue = VecDeque::from([(start, 0usize)]);
    while let Some((id, d)) = queue.pop_front() {
        if d >= depth {
            continue;
        }
        for next in edges.get(id).into_iter().flatten() {
            if out.insert(next.to_string()) {
                queue.push_back((next, d + 1));
            }
        }
    }
}

fn select_atom(graph: &Graph, atom: &Atom) -> Result<BTreeSet<String>, ModelError> {
    let mut selected = BTreeSet::new();
    for node in graph.project.nodes.values() {
        if matches(atom, node)? {
            selected.insert(node.unique_id.clone());
        }
    }
    let children = graph.children();
    let parents: HashMap<&str, Vec<&str>> = graph
        .project
        .nodes
        .values()
        .map(|n| {
            (
                n.unique_id.as_str(),
                n.depends_on.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    let roots: Vec<String> = selected.iter().cloned().collect();
    for id in &roots {
        if let Some(depth) = atom.parents {
            walk(id, &parents, depth, &mut selected);
        }
        if let Some(depth) = atom.children {
            walk(id, &children, depth, &mut selected);
        }
    }
    selected.retain(|id| graph.project.nodes.contains_key(id));
    Ok(selected)
}

/// A whole `--select` expression: space-separated unions of comma-separated
/// intersections.
fn select_expression(graph: &Graph, expression: &[String]) -> Result<BTreeSet<String>, ModelError> {
    let mut union = BTreeSet::new();
    for term in expression.iter().flat_map(|e| e.split_whitespace()) {
        let mut intersection: Option<BTreeSet<String>> = None;
        for part in term.split(',') {
            let set = select_atom(graph, &parse_atom(part)?)?;
            intersection = Some(match intersection {
                Some(acc) => acc.intersection(&set).cloned().collect(),
                None => set,
            });
        }
        union.extend(intersection.unwrap_or_default());
    }
    Ok(union)
}

/// The nodes of `types` chosen by `--select` (all when empty) minus `--exclude`.
pub fn select(
    graph: &Graph,
    select: &[String],
    exclude: &[String],
    types: &[ResourceType],
) -> Result<BTreeSet<String>, ModelError> {
    let mut selected = if select.is_empty() {
        graph.project.nodes.keys().cloned().collect()
    } else {
        let direct = select_expression(graph, select)?;
        with_tests(graph, direct)
    };
    if !exclude.is_empty() {
        for id in select_expression(graph, exclude)? {
            selected.remove(&id);
        }
    }
    selected.retain(|id| types.contains(&graph.project.nodes[id].resource_type));
    Ok(selected)
}

/// Adds the tests that test any selected node (dbt's eager indirect selection).
fn with_tests(graph: &Graph, mut selected: BTreeSet<String>) -> BTreeSet<String> {
    let tests: Vec<String> = graph
        .project
        .nodes
        .values()
        .filter(|n| n.resource_type == ResourceType::Test && !selected.contains(&n.unique_id))
        .filter(|n| n.depends_on.iter().any(|d| selected.contains(d)))
        .map(|n| n.unique_id.clone())
        .collect();
    selected.extend(tests);
    selected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoms_parse_graph_operators() {
        let a = parse_atom("2+orders+").unwrap();
        assert_eq!(
            (a.parents, a.children, a.value.as_str()),
            (Some(2), Some(usize::MAX), "orders")
        );
        let a = parse_atom("tag:nightly").unwrap();
        assert_eq!((a.method.as_str(), a.value.as_str()), ("tag", "nightly"));
        let a = parse_atom("config.materialized:view+1").unwrap();
        assert_eq!(
            (a.method.as_str(), a.children),
            ("config.materialized", Some(1))
        );
        assert!(parse_atom("+").is_err());
    }

    #[test]
    fn folder_names_select_by_fqn() {
        let fqn: Vec<String> = ["shop", "marts", "core", "fact"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(fqn_matches(&fqn, "marts"));
        assert!(fqn_matches(&fqn, "marts.core"));
        assert!(fqn_matches(&fqn, "shop.marts"));
        assert!(!fqn_matches(&fqn, "core"));
    }
}
