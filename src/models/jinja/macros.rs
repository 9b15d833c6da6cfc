//! Macros in their packages, found the way dbt finds them.
//!
//! Each package's macro files (the root project's, each installed package's, and
//! ecom's own `dbt` package of DuckDB implementations of dbt's global macros) are one
//! template. Inside it every `{% macro name %}` is renamed to a hidden name, so that a
//! call by the bare name always comes back through [`call`] here rather than straight
//! to the definition next door: that is what lets `return()` end the right macro, and
//! what resolves the name dbt's way:
//!
//! - a bare name: the root project (so it overrides dbt's global macros by name),
//!   then the `dbt` package, then the package whose macro is running;
//! - `package.name`: that package only (`dbt_utils.star`, `dbt.date_trunc`);
//! - `adapter.dispatch(name, namespace)`: `duckdb__name`, then `default__name`, in
//!   each package of the namespace's search order (the root project's `dispatch:`
//!   config; else the root project then the package for an installed package; else,
//!   as for `dbt` or no namespace, the bare-name order).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use minijinja::value::{Object, Rest, Value, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind, State};

use super::render_state::{CONTEXT_KEY, Frame, RenderContext, context};

/// The package that holds ecom's versions of dbt's global macros.
pub const BUILTIN: &str = "dbt";
/// What a macro definition is renamed to inside its package's template.
const HIDDEN: &str = "__ecom_macro__";
/// The adapter prefixes `adapter.dispatch` tries, in order (dbt-duckdb's chain).
const PREFIXES: [&str; 2] = ["duckdb", "default"];
/// ecom's DuckDB implementations of dbt's global-project macros.
const BUILTIN_SOURCES: [(&str, &str); 2] = [
    (
        "cross_db.sql",
        include_str!("../../../assets/dbt_macros/cross_db.sql"),
    ),
    (
        "helpers.sql",
        include_str!("../../../assets/dbt_macros/helpers.sql"),
    ),
];

/// A macro file of some package, its (pre-processed) source and the macros it defines.
#[derive(Debug, Clone)]
pub struct MacroFile {
    /// The package (dbt project name) the file belongs to.
    pub package: String,
    pub path: PathBuf,
    pub source: String,
    pub names: Vec<String>,
}

/// The template of a package's macros.
pub fn template_name(package: &str) -> String {
    format!("__macros__/{package}")
}

/// ecom's `dbt` package, as macro files.
pub fn builtin_files() -> Vec<MacroFile> {
    BUILTIN_SOURCES
        .iter()
        .map(|(file, source)| {
            let source = super::tags::preprocess_macros(source);
            MacroFile {
                package: BUILTIN.to_string(),
                path: PathBuf::from("ecom/dbt_macros").join(file),
                names: super::tags::macro_names(&source),
                source,
            }
        })
        .collect()
}

/// Renames every `{% macro name(` of a template to the hidden name.
pub fn hide_definitions(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 64);
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        out.push_str(&rest[..start + 2]);
        rest = &rest[start + 2..];
        if let Some(name) = rest
            .trim_start_matches('-')
            .trim_start()
            .strip_prefix("macro ")
        {
            let at = rest.len() - name.trim_start().len();
            out.push_str(&rest[..at]);
            out.push_str(HIDDEN);
            rest = &rest[at..];
        }
    }
    out.push_str(rest);
    out
}

/// Where a name leads.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// A macro of a package.
    Macro { package: String, name: String },
    /// A global macro of the `dbt` package that only dispatches (`dbt.date_trunc` →
    /// `duckdb__date_trunc` or `default__date_trunc`).
    Dispatch { name: String },
}

/// Every package's macros, and the root project's `dispatch:` config.
#[derive(Debug, Default)]
pub struct Registry {
    root: String,
    packages: BTreeMap<String, BTreeSet<String>>,
    search_orders: HashMap<String, Vec<String>>,
}

impl Registry {
    pub fn new(
        root: &str,
        files: &[MacroFile],
        search_orders: HashMap<String, Vec<String>>,
    ) -> Self {
        let mut packages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        packages.entry(root.to_string()).or_default();
        packages.entry(BUILTIN.to_string()).or_default();
        for file in files {
            packages
                .entry(file.package.clone())
                .or_default()
                .extend(file.names.iter().cloned());
        }
        Self {
            root: root.to_string(),
            packages,
            search_orders,
        }
    }

    pub fn packages(&self) -> impl Iterator<Item = &str> {
        self.packages.keys().map(String::as_str)
    }

    /// Every name a bare call may use.
    pub fn all_names(&self) -> BTreeSet<&str> {
        let mut names: BTreeSet<&str> = self
            .packages
            .values()
            .flatten()
            .map(String::as_str)
            .collect();
        names.extend(self.dispatch_only().map(|(_, n)| n));
        names
    }

    /// `dbt` names defined only as `duckdb__x` / `default__x`.
    fn dispatch_only(&self) -> impl Iterator<Item = (&str, &str)> {
        self.packages[BUILTIN].iter().filter_map(|name| {
            let base = PREFIXES
                .iter()
                .find_map(|p| name.strip_prefix(&format!("{p}__")[..]))?;
            (!self.packages[BUILTIN].contains(base)).then_some((BUILTIN, base))
        })
    }

    fn defines(&self, package: &str, name: &str) -> bool {
        self.packages.get(package).is_some_and(|n| n.contains(name))
    }

    /// `name` in `package` only (a namespaced call).
    fn in_package(&self, package: &str, name: &str) -> Option<Target> {
        if self.defines(package, name) {
            return Some(Target::Macro {
                package: package.to_string(),
                name: name.to_string(),
            });
        }
        (package == BUILTIN && self.dispatch_only().any(|(_, n)| n == name)).then(|| {
            Target::Dispatch {
                name: name.to_string(),
            }
        })
    }

    /// A bare `name` called while a macro of `current` runs: the root project first
    /// (it overrides dbt's global macros by name), then dbt's, then the running
    /// package's own (dbt itself does not look there; packages call their own macros
    /// by namespace, and a bare call that dbt would refuse works here).
    fn bare(&self, current: &str, name: &str) -> Option<Target> {
        [self.root.as_str(), BUILTIN, current]
            .into_iter()
            .find_map(|package| self.in_package(package, name))
    }

    /// A generic test's macro (`test_<name>`): in its namespace when it has one, else
    /// the root project, dbt's, then any package's.
    pub fn test_macro(&self, namespace: Option<&str>, name: &str) -> Option<(String, String)> {
        let found = match namespace {
            Some(package) => self.in_package(package, name),
            None => self.bare(&self.root, name).or_else(|| {
                self.packages
                    .keys()
                    .find_map(|package| self.in_package(package, name))
            }),
        };
        match found {
            Some(Target::Macro { package, name }) => Some((package, name)),
            _ => None,
        }
    }

    /// Whether the root project defines `name` (an override of dbt's naming macros).
    pub fn root_defines(&self, name: &str) -> bool {
        self.defines(&self.root, name)
    }

    /// `adapter.dispatch(name, namespace)` from a macro of `current`.
    fn dispatch(
        &self,
        current: &str,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<Target, NotDispatched> {
        // dbt's `_get_search_packages`: the `dispatch:` config's order; for an
        // installed package, the root project and then the package; otherwise (no
        // namespace, or `dbt`) the bare-name order, so a project's `duckdb__x`
        // overrides dbt's own.
        let installed =
            |ns: &str| ns != self.root && ns != BUILTIN && self.packages.contains_key(ns);
        let order: Vec<Option<&str>> = match namespace {
            Some(ns) => match self.search_orders.get(ns) {
                Some(order) => order.iter().map(|p| Some(p.as_str())).collect(),
                None if installed(ns) => vec![Some(self.root.as_str()), Some(ns)],
                None => vec![None],
            },
            None => vec![None],
        };
        for package in &order {
            for prefix in PREFIXES {
                let candidate = format!("{prefix}__{name}");
                let found = match package {
                    None => self.bare(current, &candidate),
                    Some(package) => self.in_package(package, &candidate),
                };
                if let Some(target) = found {
                    return Ok(target);
                }
            }
        }
        Err(NotDispatched {
            name: name.to_string(),
            namespace: namespace.map(str::to_string),
            searched: order
                .iter()
                .map(|p| p.unwrap_or(current).to_string())
                .collect(),
        })
    }
}

/// `adapter.dispatch` found no implementation in the packages it searched.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error(
    "adapter.dispatch('{name}'{}) found no duckdb__{name} or default__{name} in {}",
    .namespace.as_ref().map(|n| format!(", '{n}'")).unwrap_or_default(),
    .searched.join(", ")
)]
pub struct NotDispatched {
    name: String,
    namespace: Option<String>,
    searched: Vec<String>,
}

/// How deep macro calls may nest.
const MAX_DEPTH: usize = 100;

/// What `return()` raises to end the macro in progress; [`invoke`] turns it into the
/// macro's value.
const RETURNED: &str = "__ecom_return__";

/// dbt's `return(value)`: ends the macro in progress, which evaluates to `value`.
/// Outside any macro (a model's own body) it gives the value back.
pub fn return_fn(state: &State, value: Value) -> Result<Value, Error> {
    let ctx = context(state)?;
    let mut frames = ctx.frames.lock().unwrap_or_else(|e| e.into_inner());
    match frames.last_mut() {
        Some(frame) => {
            frame.returned = Some(value);
            Err(Error::new(ErrorKind::InvalidOperation, RETURNED))
        }
        None => Ok(value),
    }
}

/// Registers a function per bare name and an object per package namespace.
pub fn install(env: &mut Environment<'static>, registry: &Arc<Registry>) {
    for name in registry.all_names() {
        let registry = Arc::clone(registry);
        let owned = name.to_string();
        env.add_function(
            name.to_string(),
            move |state: &mut State, args: Rest<ValueOrKwargs>| {
                let ctx = context(state)?;
                let current = ctx.current_package();
                let target = registry.bare(&current, &owned).ok_or_else(|| {
                    let holders: Vec<&str> = registry
                        .packages
                        .iter()
                        .filter(|(_, names)| names.contains(&owned))
                        .map(|(p, _)| p.as_str())
                        .collect();
                    Error::new(
                        ErrorKind::UnknownFunction,
                        format!(
                            "`{owned}` is a macro of {}: call it as {}.{owned}",
                            holders.join(", "),
                            holders.first().copied().unwrap_or("its package")
                        ),
                    )
                })?;
                let args = with_caller_rendered(state, args.into_values())?;
                call(state, &registry, &target, &args)
            },
        );
    }
    for package in registry.packages() {
        env.add_global(
            package.to_string(),
            Value::from_object(Namespace {
                package: package.to_string(),
                registry: Arc::clone(registry),
            }),
        );
    }
}

/// `dbt_utils`, `dbt`, the project's own name…: macros by attribute.
#[derive(Debug)]
struct Namespace {
    package: String,
    registry: Arc<Registry>,
}

impl Object for Namespace {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let target = self.registry.in_package(&self.package, key.as_str()?)?;
        Some(callable(&self.registry, target))
    }
}

/// A value that calls `target` when called.
fn callable(registry: &Arc<Registry>, target: Target) -> Value {
    let registry = Arc::clone(registry);
    Value::from_function(move |state: &mut State, args: Rest<ValueOrKwargs>| {
        let args = with_caller_rendered(state, args.into_values())?;
        call(state, &registry, &target, &args)
    })
}

/// `{% call my_macro() %}body{% endcall %}`: the body is rendered here, in the
/// caller's state, and handed over as a `caller()` that returns it (the macro runs in
/// a state of its own, where the body's state no longer exists).
fn with_caller_rendered(state: &mut State, mut args: Vec<Value>) -> Result<Vec<Value>, Error> {
    let Some(last) = args.last().filter(|v| v.is_kwargs()) else {
        return Ok(args);
    };
    let kwargs = minijinja::value::Kwargs::try_from(last.clone())?;
    if !kwargs.has("caller") {
        return Ok(args);
    }
    let caller: Value = kwargs.get("caller")?;
    let body = caller.call(state, &[])?;
    let mut pairs: Vec<(String, Value)> = Vec::new();
    for key in kwargs.args() {
        let value: Value = kwargs.get(key)?;
        if key != "caller" {
            pairs.push((key.to_string(), value));
        }
    }
    pairs.push(("caller".into(), Value::from_function(move || body.clone())));
    *args.last_mut().expect("checked above") =
        Value::from(pairs.into_iter().collect::<minijinja::value::Kwargs>());
    Ok(args)
}

/// `adapter.dispatch(name, macro_namespace=None)`: the implementation to call.
pub fn dispatch(
    state: &State,
    registry: &Arc<Registry>,
    name: &str,
    namespace: Option<&str>,
) -> Result<Value, Error> {
    let ctx = context(state)?;
    let target = registry
        .dispatch(&ctx.current_package(), name, namespace)
        .map_err(|e| Error::new(ErrorKind::UnknownFunction, e.to_string()))?;
    Ok(callable(registry, target))
}

/// Calls `target` with the caller's context.
fn call(
    state: &State,
    registry: &Arc<Registry>,
    target: &Target,
    args: &[Value],
) -> Result<Value, Error> {
    let render = context(state)?;
    match target {
        Target::Dispatch { name } => {
            let implementation = registry
                .dispatch(&render.current_package(), name, Some(BUILTIN))
                .map_err(|e| Error::new(ErrorKind::UnknownFunction, e.to_string()))?;
            call(state, registry, &implementation, args)
        }
        Target::Macro { package, name } => {
            let mut ctx: HashMap<String, Value> = HashMap::new();
            for key in [CONTEXT_KEY, "this", "execute", "target", "model", "node"] {
                if let Some(value) = state.lookup(key) {
                    ctx.insert(key.to_string(), value);
                }
            }
            invoke(state.env(), Value::from(ctx), &render, package, name, args)
        }
    }
}

/// Calls the macro `name` of `package` with `ctx`, as one frame: a `return(value)`
/// inside makes the call evaluate to `value`. Every macro call, from a template or
/// from Rust, comes through here.
pub fn invoke(
    env: &Environment<'_>,
    ctx: Value,
    render: &RenderContext,
    package: &str,
    name: &str,
    args: &[Value],
) -> Result<Value, Error> {
    {
        let mut frames = render.frames.lock().unwrap_or_else(|e| e.into_inner());
        // Each call renders in a state of its own, so minijinja's own depth limit
        // restarts: a macro that calls itself without end is stopped here, with an
        // error, before it exhausts the stack.
        if frames.len() >= MAX_DEPTH {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "macro calls nested more than {MAX_DEPTH} deep at {package}.{name}: a macro that calls itself without end?"
                ),
            ));
        }
        frames.push(Frame {
            package: package.to_string(),
            returned: None,
        });
    }
    let output = env
        .get_template(&template_name(package))
        .and_then(|template| {
            let mut captured = template.render_captured(ctx)?;
            let hidden = format!("{HIDDEN}{name}");
            let text = captured.with_state_mut(|s| s.call_macro(&hidden, args))?;
            Ok(Value::from_safe_string(text))
        });
    let frame = render
        .frames
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop();
    match (output, frame.and_then(|f| f.returned)) {
        (_, Some(value)) => Ok(value),
        (output, None) => output,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(package: &str, names: &[&str]) -> MacroFile {
        MacroFile {
            package: package.into(),
            path: PathBuf::from("m.sql"),
            source: String::new(),
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    fn registry(search_orders: HashMap<String, Vec<String>>) -> Registry {
        Registry::new(
            "shop",
            &[
                file("shop", &["cents", "default__cents", "duckdb__star"]),
                file("dbt_utils", &["star", "default__star", "helper"]),
                file(BUILTIN, &["default__date_trunc", "statement_sql"]),
            ],
            search_orders,
        )
    }

    #[test]
    fn bare_names_look_in_the_running_package_then_root_then_dbt() {
        let r = registry(HashMap::new());
        let target = |package: &str, name: &str| Target::Macro {
            package: package.into(),
            name: name.into(),
        };
        assert_eq!(
            r.bare("dbt_utils", "helper"),
            Some(target("dbt_utils", "helper"))
        );
        assert_eq!(
            r.bare("shop", "helper"),
            None,
            "package macros need their namespace"
        );
        assert_eq!(r.bare("dbt_utils", "cents"), Some(target("shop", "cents")));
        assert_eq!(
            r.bare("shop", "date_trunc"),
            Some(Target::Dispatch {
                name: "date_trunc".into()
            })
        );
        assert_eq!(
            r.in_package("dbt", "default__date_trunc"),
            Some(target("dbt", "default__date_trunc"))
        );
    }

    #[test]
    fn dispatch_follows_the_search_order_and_prefers_duckdb() {
        let plain = registry(HashMap::new());
        // The root project comes first for an installed package, config or not.
        assert_eq!(
            plain.dispatch("shop", "star", Some("dbt_utils")),
            Ok(Target::Macro {
                package: "shop".into(),
                name: "duckdb__star".into()
            })
        );
        let package_only = registry(HashMap::from([(
            "dbt_utils".to_string(),
            vec!["dbt_utils".to_string()],
        )]));
        assert_eq!(
            package_only.dispatch("shop", "star", Some("dbt_utils")),
            Ok(Target::Macro {
                package: "dbt_utils".into(),
                name: "default__star".into()
            })
        );
        assert_eq!(
            plain.dispatch("shop", "cents", None),
            Ok(Target::Macro {
                package: "shop".into(),
                name: "default__cents".into()
            })
        );
        let error = plain
            .dispatch("shop", "nothing", Some("dbt_utils"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("duckdb__nothing or default__nothing in shop, dbt_utils"),
            "{error}"
        );
    }

    #[test]
    fn definitions_are_hidden_but_calls_are_not() {
        let source =
            "{% macro a(x) %}{{ b(x) }}{% endmacro %}{%- macro  b(y) -%}{{ y }}{%- endmacro -%}";
        assert_eq!(
            hide_definitions(source),
            "{% macro __ecom_macro__a(x) %}{{ b(x) }}{% endmacro %}{%- macro  __ecom_macro__b(y) -%}{{ y }}{%- endmacro -%}"
        );
    }
}
