//! The model DAG laid out as a tree for the Models screen: each node sits under its
//! deepest parent (the one furthest from the sources), so the indentation reads as the
//! DAG's layers; a node's other parents are counted beside it and named in the detail.

/// A node's place in the tree: which input it is, the box-drawing prefix before its
/// name and its layer (0 for nodes without parents in the project).
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub node: usize,
    pub prefix: String,
    pub layer: usize,
}

/// Lays out `parents` (each node's parents as indexes, in build order: a parent always
/// comes before its children) as a tree, in depth-first order. Among parents of the
/// same depth, a `preferred` one (a model rather than a seed) is the one to hang under.
pub fn layout(parents: &[Vec<usize>], preferred: &[bool]) -> Vec<Place> {
    let mut layer = vec![0usize; parents.len()];
    for (n, ps) in parents.iter().enumerate() {
        layer[n] = ps.iter().map(|p| layer[*p] + 1).max().unwrap_or(0);
    }
    // The tree parent: the deepest, then a preferred one, then the later in build order.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); parents.len()];
    let mut roots = Vec::new();
    for (n, ps) in parents.iter().enumerate() {
        match ps
            .iter()
            .copied()
            .max_by_key(|p| (layer[*p], preferred[*p], *p))
        {
            Some(p) => children[p].push(n),
            None => roots.push(n),
        }
    }
    let mut places = Vec::with_capacity(parents.len());
    for root in roots {
        visit(root, "", None, &children, &layer, &mut places);
    }
    places
}

/// Adds `node` and its subtree; `indent` is what the ancestors draw, `last` whether the
/// node is its parent's last child (`None` for a root).
fn visit(
    node: usize,
    indent: &str,
    last: Option<bool>,
    children: &[Vec<usize>],
    layer: &[usize],
    places: &mut Vec<Place>,
) {
    let (branch, below) = match last {
        None => ("", ""),
        Some(false) => ("├─ ", "│  "),
        Some(true) => ("└─ ", "   "),
    };
    places.push(Place {
        node,
        prefix: format!("{indent}{branch}"),
        layer: layer[node],
    });
    let indent = format!("{indent}{below}");
    let count = children[node].len();
    for (i, child) in children[node].iter().enumerate() {
        visit(
            *child,
            &indent,
            Some(i + 1 == count),
            children,
            layer,
            places,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_sit_under_their_deepest_parent() {
        // 0 stg, 1 dim_customer(0), 2 dim_product(0), 3 fact(0, 1, 2), 4 mart(3), 5 seed
        let parents = vec![vec![], vec![0], vec![0], vec![0, 1, 2], vec![3], vec![]];
        let places = layout(&parents, &[true; 6]);
        let drawn: Vec<(usize, &str, usize)> = places
            .iter()
            .map(|p| (p.node, p.prefix.as_str(), p.layer))
            .collect();
        assert_eq!(
            drawn,
            vec![
                (0, "", 0),
                (1, "├─ ", 1),
                (2, "└─ ", 1),
                (3, "   └─ ", 2),
                (4, "      └─ ", 3),
                (5, "", 0),
            ]
        );
    }

    #[test]
    fn a_model_parent_wins_over_a_seed_of_the_same_depth() {
        // 0 a model, 1 a seed, 2 reads both.
        let places = layout(&[vec![], vec![], vec![0, 1]], &[true, false, true]);
        let order: Vec<usize> = places.iter().map(|p| p.node).collect();
        assert_eq!(order, vec![0, 2, 1], "2 hangs under the model");
    }
}
