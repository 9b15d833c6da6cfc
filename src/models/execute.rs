//! Running a parsed project: seeds, models and tests in dependency order on worker
//! threads (one DuckDB connection each), every node in its own transaction so a failed
//! build leaves the previous relation in place. Downstream of a failure is skipped, as
//! in dbt; `build` also waits for the tests of a node's parents.

use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use duckdb::Connection;
use minijinja::value::{Kwargs, Value};
use serde::Serialize;

use super::generic_tests::{builtin_sql, count_failures};
use super::graph::{Graph, referenced_name};
use super::jinja::{Relation, cte_name, render_context};
use super::select::select;
use super::{ModelError, Node, ResourceType};
use crate::jobs::{CancelToken, Progress, ProgressSink, Unit};
use crate::warehouse::quote_ident;

/// The dbt commands the runner implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunCommand {
    Run,
    Test,
    Build,
    Seed,
    Snapshot,
    Compile,
}

impl RunCommand {
    fn resource_types(self) -> &'static [ResourceType] {
        match self {
            Self::Run | Self::Compile => &[ResourceType::Model],
            Self::Test => &[ResourceType::Test],
            Self::Seed => &[ResourceType::Seed],
            Self::Snapshot => &[ResourceType::Snapshot],
            Self::Build => &[
                ResourceType::Seed,
                ResourceType::Model,
                ResourceType::Snapshot,
                ResourceType::Test,
            ],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Run => "run",
            Self::Test => "test",
            Self::Build => "build",
            Self::Seed => "seed",
            Self::Snapshot => "snapshot",
            Self::Compile => "compile",
        }
    }
}

/// What to run and how.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub command: RunCommand,
    pub select: Vec<String>,
    pub exclude: Vec<String>,
    pub threads: usize,
    pub full_refresh: bool,
}

/// dbt's node statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeStatus {
    Success,
    Error,
    Skipped,
    Pass,
    Fail,
    Warn,
}

impl NodeStatus {
    /// Whether nodes downstream must be skipped.
    fn blocks(self) -> bool {
        matches!(self, Self::Error | Self::Fail | Self::Skipped)
    }
}

/// The outcome of one node.
#[derive(Debug, Clone, Serialize)]
pub struct NodeResult {
    pub unique_id: String,
    pub name: String,
    pub resource_type: ResourceType,
    pub status: NodeStatus,
    pub message: String,
    pub failures: Option<u64>,
    pub rows_affected: Option<u64>,
    pub execution_time: f64,
    pub started_at: String,
    pub completed_at: String,
    pub thread_id: String,
    pub compiled_code: Option<String>,
    pub relation_name: Option<String>,
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub command: RunCommand,
    pub results: Vec<NodeResult>,
    pub elapsed_time: f64,
}

impl RunSummary {
    pub fn count(&self, status: NodeStatus) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }

    /// Errors or failing tests: exit code 1 for errors, 3 when only tests failed.
    pub fn has_errors(&self) -> bool {
        self.count(NodeStatus::Error) > 0
    }

    pub fn has_test_failures(&self) -> bool {
        self.count(NodeStatus::Fail) > 0
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The work shared by the worker threads.
struct Schedule {
    /// Ready nodes, by position in the topological order (smallest first).
    ready: BinaryHeap<std::cmp::Reverse<(usize, String)>>,
    waiting_on: HashMap<String, usize>,
    dependents: HashMap<String, Vec<String>>,
    blocked_by: HashMap<String, String>,
    results: Vec<NodeResult>,
    remaining: usize,
    running: usize,
    done: usize,
}

/// Runs `invocation` on the warehouse behind `conn`.
pub fn run(
    graph: &Graph,
    conn: &Connection,
    invocation: &Invocation,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Result<RunSummary, ModelError> {
    let started = Instant::now();
    let selected = select(
        graph,
        &invocation.select,
        &invocation.exclude,
        invocation.command.resource_types(),
    )?;
    let position: HashMap<&str, usize> = graph
        .order
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let deps = dependencies(graph, &selected, invocation.command);
    let executing = invocation.command != RunCommand::Compile;
    let mut hook_results = Vec::new();
    if executing {
        prepare_schemas(graph, conn, &selected)?;
        for (i, hook) in graph.project.on_run_start.iter().enumerate() {
            hook_results.push(run_hook(graph, conn, hook, "on-run-start", i)?);
        }
    }
    let mut schedule = Schedule {
        ready: BinaryHeap::new(),
        waiting_on: HashMap::new(),
        dependents: HashMap::new(),
        blocked_by: HashMap::new(),
        results: Vec::new(),
        remaining: selected.len(),
        running: 0,
        done: 0,
    };
    for id in &selected {
        let parents = &deps[id];
        schedule.waiting_on.insert(id.clone(), parents.len());
        for parent in parents {
            schedule
                .dependents
                .entry(parent.clone())
                .or_default()
                .push(id.clone());
        }
        if parents.is_empty() {
            schedule
                .ready
                .push(std::cmp::Reverse((position[id.as_str()], id.clone())));
        }
    }
    let total = selected.len() as u64;
    let shared = (Mutex::new(schedule), Condvar::new());
    let threads = invocation.threads.max(1).min(selected.len().max(1));
    std::thread::scope(|scope| -> Result<(), ModelError> {
        let mut handles = Vec::new();
        for t in 0..threads {
            let worker_conn = conn
                .try_clone()
                .map_err(crate::warehouse::WarehouseError::from)?;
            let shared = &shared;
            let position = &position;
            handles.push(scope.spawn(move || {
                worker(
                    graph,
                    worker_conn,
                    invocation,
                    shared,
                    position,
                    progress,
                    cancel,
                    total,
                    t + 1,
                )
            }));
        }
        for handle in handles {
            handle.join().expect("model worker panicked");
        }
        Ok(())
    })?;
    let (schedule, _) = shared;
    let mut results = schedule
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .results;
    results.sort_by_key(|r| {
        position
            .get(r.unique_id.as_str())
            .copied()
            .unwrap_or(usize::MAX)
    });
    hook_results.append(&mut results);
    let mut results = hook_results;
    if executing {
        for (i, hook) in graph.project.on_run_end.iter().enumerate() {
            results.push(run_hook(graph, conn, hook, "on-run-end", i)?);
        }
    }
    Ok(RunSummary {
        command: invocation.command,
        results,
        elapsed_time: started.elapsed().as_secs_f64(),
    })
}

/// For every selected node, the selected nodes it waits for. Under `build`, a node also
/// waits for the generic tests attached to its parents (dbt skips what sits downstream
/// of a failing test), except warnings and tests that read the node's own descendants.
fn dependencies(
    graph: &Graph,
    selected: &BTreeSet<String>,
    command: RunCommand,
) -> HashMap<String, Vec<String>> {
    let nodes = &graph.project.nodes;
    let mut tests_of: HashMap<&str, Vec<&Node>> = HashMap::new();
    if command == RunCommand::Build {
        for node in nodes
            .values()
            .filter(|n| selected.contains(&n.unique_id) && n.config.severity != "warn")
        {
            if let Some(test) = &node.generic_test {
                tests_of
                    .entry(test.attached_to.as_str())
                    .or_default()
                    .push(node);
            }
        }
    }
    let children = graph.children();
    selected
        .iter()
        .map(|id| {
            let node = &nodes[id];
            let mut parents: Vec<String> = node
                .depends_on
                .iter()
                .filter(|p| selected.contains(*p))
                .cloned()
                .collect();
            let parent_tests: Vec<&Node> = node
                .depends_on
                .iter()
                .filter_map(|p| tests_of.get(p.as_str()))
                .flatten()
                .copied()
                .collect();
            if node.resource_type != ResourceType::Test && !parent_tests.is_empty() {
                let below = descendants(id, &children);
                for test in parent_tests {
                    let reads_below = test
                        .depends_on
                        .iter()
                        .any(|d| d == id || below.contains(d.as_str()));
                    if !reads_below && !parents.contains(&test.unique_id) {
                        parents.push(test.unique_id.clone());
                    }
                }
            }
            (id.clone(), parents)
        })
        .collect()
}

fn descendants<'a>(id: &str, children: &HashMap<&'a str, Vec<&'a str>>) -> BTreeSet<&'a str> {
    let mut found = BTreeSet::new();
    let mut stack: Vec<&str> = children.get(id).cloned().unwrap_or_default();
    while let Some(next) = stack.pop() {
        if found.insert(next) {
            stack.extend(children.get(next).into_iter().flatten());
        }
    }
    found
}

fn prepare_schemas(
    graph: &Graph,
    conn: &Connection,
    selected: &BTreeSet<String>,
) -> Result<(), ModelError> {
    let schemas: BTreeSet<&str> = selected
        .iter()
        .map(|id| &graph.project.nodes[id])
        .filter(|n| n.resource_type != ResourceType::Test)
        .map(|n| n.schema.as_str())
        .collect();
    for schema in schemas {
        conn.execute_batch(&format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            quote_ident(schema)
        ))
        .map_err(crate::warehouse::WarehouseError::from)?;
    }
    Ok(())
}

/// Runs one `on-run-start`/`on-run-end` hook; dbt reports it as an operation node.
fn run_hook(
    graph: &Graph,
    conn: &Connection,
    hook: &str,
    kind: &str,
    index: usize,
) -> Result<NodeResult, ModelError> {
    let path = Path::new("dbt_project.yml");
    let started_at = now();
    let clock = Instant::now();
    let ctx = render_context(
        Arc::clone(&graph.resolver),
        true,
        false,
        conn.try_clone().ok(),
    );
    let sql = graph.renderer.render(path, hook, ctx, None)?;
    if !sql.trim().is_empty() {
        conn.execute_batch(&sql).map_err(|e| {
            ModelError::project(
                path,
                format!(
                    "{kind} hook {index} failed: {}\n{}",
                    first_line(&e.to_string()),
                    sql.trim()
                ),
            )
        })?;
    }
    let project = &graph.project.name;
    Ok(NodeResult {
        unique_id: format!("operation.{project}.{project}-{kind}-{index}"),
        name: format!("{project}-{kind}-{index}"),
        resource_type: ResourceType::Model,
        status: NodeStatus::Success,
        message: "OK".into(),
        failures: None,
        rows_affected: None,
        execution_time: clock.elapsed().as_secs_f64(),
        started_at,
        completed_at: now(),
        thread_id: "main".into(),
        compiled_code: Some(sql),
        relation_name: None,
    })
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).to_string()
}

#[allow(clippy::too_many_arguments)]
fn worker(
    graph: &Graph,
    conn: Connection,
    invocation: &Invocation,
    shared: &(Mutex<Schedule>, Condvar),
    position: &HashMap<&str, usize>,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
    total: u64,
    thread: usize,
) {
    let (lock, ready) = shared;
    loop {
        let (id, blocked) = {
            let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if s.remaining == 0 {
                    ready.notify_all();
                    return;
                }
                if let Some(std::cmp::Reverse((_, id))) = s.ready.pop() {
                    s.remaining -= 1;
                    s.running += 1;
                    let blocked = s.blocked_by.get(&id).cloned();
                    break (id, blocked);
                }
                if s.running == 0 {
                    let stuck: Vec<String> = s
                        .waiting_on
                        .iter()
                        .filter(|(_, n)| **n > 0)
                        .map(|(id, n)| format!("{id} ({n})"))
                        .collect();
                    panic!("the model schedule is stuck; waiting: {}", stuck.join(", "));
                }
                s = ready.wait(s).unwrap_or_else(|e| e.into_inner());
            }
        };
        let node = &graph.project.nodes[&id];
        let thread_id = format!("Thread-{thread}");
        let result = match blocked {
            Some(cause) => skipped(
                node,
                &format!("skipped: depends on {cause}, which did not succeed"),
                &thread_id,
            ),
            None if cancel.is_cancelled() => {
                skipped(node, "skipped: the run was cancelled", &thread_id)
            }
            None => execute_node(graph, &conn, node, invocation, &thread_id),
        };
        let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
        s.done += 1;
        s.running -= 1;
        progress.report(
            Progress::new("models", s.done as u64, Some(total), Unit::Steps)
                .with_message(describe_result(node, &result, s.done, total)),
        );
        let blocks = result.status.blocks();
        for child in s.dependents.get(&id).cloned().unwrap_or_default() {
            if blocks && !s.blocked_by.contains_key(&child) {
                s.blocked_by.insert(child.clone(), node.name.clone());
            }
            let waiting = s
                .waiting_on
                .get_mut(&child)
                .expect("dependent is scheduled");
            *waiting -= 1;
            if *waiting == 0 {
                let order = position[child.as_str()];
                s.ready.push(std::cmp::Reverse((order, child)));
            }
        }
        s.results.push(result);
        ready.notify_all();
    }
}

/// `3 of 16 OK created table marts.fact_sales (536,641 rows in 0.52 s)`, dbt's log line.
pub fn describe_result(node: &Node, r: &NodeResult, done: usize, total: u64) -> String {
    let what = match node.resource_type {
        ResourceType::Test => format!("test {}", node.name),
        ResourceType::Seed => format!("seed {}.{}", node.schema, node.alias()),
        ResourceType::Snapshot => format!("snapshot {}.{}", node.schema, node.alias()),
        ResourceType::Model => format!(
            "{} model {}.{}",
            node.config.materialized,
            node.schema,
            node.alias()
        ),
    };
    let status = match r.status {
        NodeStatus::Success => "OK",
        NodeStatus::Pass => "PASS",
        NodeStatus::Error => "ERROR",
        NodeStatus::Fail => "FAIL",
        NodeStatus::Warn => "WARN",
        NodeStatus::Skipped => "SKIP",
    };
    let detail = match (r.status, r.failures, r.rows_affected) {
        (NodeStatus::Fail | NodeStatus::Warn, Some(n), _) => format!(" ({n} failing rows)"),
        (_, _, Some(rows)) => format!(" ({} rows)", crate::format::thousands(rows)),
        _ => String::new(),
    };
    let mut line = format!(
        "{done} of {total} {status} {what}{detail} in {:.2}s",
        r.execution_time
    );
    // A failing unit test shows its differing rows, as dbt shows its diff.
    let unit_failure = r.status == NodeStatus::Fail && node.unit_test.is_some();
    if matches!(r.status, NodeStatus::Error | NodeStatus::Skipped) || unit_failure {
        line += &format!("\n    {}", r.message.replace('\n', "\n    "));
    }
    line
}

fn skipped(node: &Node, message: &str, thread_id: &str) -> NodeResult {
    let now = now();
    NodeResult {
        unique_id: node.unique_id.clone(),
        name: node.name.clone(),
        resource_type: node.resource_type,
        status: NodeStatus::Skipped,
        message: message.to_string(),
        failures: None,
        rows_affected: None,
        execution_time: 0.0,
        started_at: now.clone(),
        completed_at: now,
        thread_id: thread_id.to_string(),
        compiled_code: None,
        relation_name: None,
    }
}

/// What executing a node produced.
struct Outcome {
    status: NodeStatus,
    message: String,
    failures: Option<u64>,
    rows: Option<u64>,
}

fn execute_node(
    graph: &Graph,
    conn: &Connection,
    node: &Node,
    invocation: &Invocation,
    thread_id: &str,
) -> NodeResult {
    let started_at = now();
    let clock = Instant::now();
    let mut compiled = None;
    // A panic fails this node with a sentence, never the worker and the build.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || -> Result<Outcome, String> {
            // Looked up once: it decides `is_incremental()` and how the model is replaced.
            let existing = match node.resource_type {
                ResourceType::Model => relation_kind(conn, node),
                _ => None,
            };
            let sql = compile(
                graph,
                conn,
                node,
                invocation.full_refresh,
                existing.as_deref(),
            )
            .map_err(|e| e.to_string())?;
            compiled = sql.clone();
            if let Some(sql) = &sql {
                write_compiled(graph, node, sql);
            }
            if invocation.command == RunCommand::Compile {
                return Ok(Outcome {
                    status: NodeStatus::Success,
                    message: "compiled".into(),
                    failures: None,
                    rows: None,
                });
            }
            match node.resource_type {
                ResourceType::Seed => load_seed(graph, conn, node),
                ResourceType::Model => materialize(
                    graph,
                    conn,
                    node,
                    sql.as_deref().unwrap_or_default(),
                    invocation.full_refresh,
                    existing.as_deref(),
                ),
                ResourceType::Snapshot => {
                    let snapshot = super::snapshots::Snapshot::from_config(&node.config)?;
                    super::snapshots::run(
                        conn,
                        &snapshot,
                        &node.schema,
                        node.alias(),
                        sql.as_deref().unwrap_or_default(),
                    )?;
                    Ok(Outcome {
                        status: NodeStatus::Success,
                        message: "OK".into(),
                        failures: None,
                        rows: None,
                    })
                }
                ResourceType::Test => run_test(conn, node, sql.as_deref().unwrap_or_default()),
            }
        },
    ))
    .unwrap_or_else(|payload| {
        let _ = conn.execute_batch("ROLLBACK");
        Err(format!(
            "ecom failed on this node with an internal error ({})",
            crate::jobs::panic_text(payload.as_ref())
        ))
    });
    let (status, message, failures, rows) = match outcome {
        Ok(o) => (o.status, o.message, o.failures, o.rows),
        Err(message) => (NodeStatus::Error, message, None, None),
    };
    NodeResult {
        unique_id: node.unique_id.clone(),
        name: node.name.clone(),
        resource_type: node.resource_type,
        status,
        message,
        failures,
        rows_affected: rows,
        execution_time: clock.elapsed().as_secs_f64(),
        started_at,
        completed_at: now(),
        thread_id: thread_id.to_string(),
        compiled_code: compiled,
        relation_name: (node.resource_type != ResourceType::Test).then(|| node.relation()),
    }
}

/// `BASE TABLE` or `VIEW` when the node's relation exists (DuckDB's catalog functions are
/// much cheaper than `information_schema`).
fn relation_kind(conn: &Connection, node: &Node) -> Option<String> {
    conn.query_row(
        "SELECT 'BASE TABLE' FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = ?1 AND table_name = ?2
         UNION ALL
         SELECT 'VIEW' FROM duckdb_views() WHERE database_name = current_database() AND schema_name = ?1 AND view_name = ?2",
        [node.schema.as_str(), node.alias()],
        |r| r.get::<_, String>(0),
    )
    .ok()
}

/// The SQL of a model or test after Jinja, with ephemeral models inlined as CTEs.
/// Seeds have none. `existing` is the model's relation kind, if it exists.
fn compile(
    graph: &Graph,
    conn: &Connection,
    node: &Node,
    full_refresh: bool,
    existing: Option<&str>,
) -> Result<Option<String>, ModelError> {
    match node.resource_type {
        ResourceType::Seed => Ok(None),
        ResourceType::Test if node.generic_test.is_some() => {
            compile_generic_test(graph, conn, node).map(Some)
        }
        ResourceType::Test if node.unit_test.is_some() => {
            compile_unit_test(graph, conn, node).map(Some)
        }
        _ => {
            let incremental = node.config.materialized == "incremental"
                && !node.config.rebuilds(full_refresh)
                && existing == Some("BASE TABLE");
            render_sql(graph, conn, node, &node.raw_sql, incremental).map(Some)
        }
    }
}

fn this(node: &Node) -> Relation {
    Relation {
        schema: node.schema.clone(),
        identifier: node.alias().to_string(),
    }
}

fn render_sql(
    graph: &Graph,
    conn: &Connection,
    node: &Node,
    source: &str,
    incremental: bool,
) -> Result<String, ModelError> {
    let ctx = render_context(
        Arc::clone(&graph.resolver),
        true,
        incremental,
        conn.try_clone().ok(),
    );
    let sql = graph
        .renderer
        .render(&node.path, source, Arc::clone(&ctx), Some(this(node)))?;
    let ephemerals = ctx
        .captured
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .ephemerals
        .clone();
    let mut ctes = Vec::new();
    for id in ephemerals {
        let ephemeral = &graph.project.nodes[&id];
        let body = render_sql(graph, conn, ephemeral, &ephemeral.raw_sql, false)?;
        ctes.push(format!(
            "{} as (\n{}\n)",
            cte_name(&ephemeral.name),
            body.trim().trim_end_matches(';')
        ));
    }
    Ok(inject_ctes(&sql, &ctes))
}

/// Puts CTEs in front of a query, merging with its own `WITH` if it has one.
pub fn inject_ctes(sql: &str, ctes: &[String]) -> String {
    if ctes.is_empty() {
        return sql.to_string();
    }
    let joined = ctes.join(",\n");
    let trimmed = sql.trim_start();
    if crate::warehouse::query::leading_keyword(trimmed) == "WITH"
        && !trimmed.starts_with(['(', '-', '/'])
    {
        let rest = &trimmed[4..];
        let recursive = rest
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("RECURSIVE");
        if !recursive {
            return format!("with {joined},\n{}", rest.trim_start());
        }
    }
    format!("with {joined}\n{sql}")
}

fn compile_generic_test(
    graph: &Graph,
    conn: &Connection,
    node: &Node,
) -> Result<String, ModelError> {
    let test = node.generic_test.as_ref().expect("generic test");
    let (schema, identifier) = tested_relation(graph, &test.attached_to).ok_or_else(|| {
        ModelError::project(
            &node.path,
            format!(
                "{} tests {}, which does not exist",
                node.name, test.attached_to
            ),
        )
    })?;
    let mut model_sql = format!("{}.{}", quote_ident(&schema), quote_ident(&identifier));
    if let Some(filter) = &node.config.where_clause {
        model_sql = format!("(select * from {model_sql} where {filter}) dbt_subquery");
    }
    let to = test
        .kwargs
        .get("to")
        .and_then(|v| v.as_str())
        .and_then(referenced_name)
        .and_then(|name| graph.project.find_relation_node(&name))
        .map(Node::relation);
    if test.namespace.is_none()
        && let Some(sql) = builtin_sql(test, &model_sql, to.as_deref())
    {
        return Ok(sql);
    }
    let Some((package, macro_name)) = graph.renderer.registry().test_macro(
        test.namespace.as_deref(),
        &format!("test_{}", test.test_name),
    ) else {
        let qualified = match &test.namespace {
            Some(namespace) => format!("{namespace}.{}", test.test_name),
            None => test.test_name.clone(),
        };
        return Err(ModelError::project(
            &node.path,
            format!(
                "unknown generic test `{qualified}` (no `{{% test {} %}}` in the project's or its packages' macros; `ecom models deps` installs packages)",
                test.test_name
            ),
        ));
    };
    // dbt's `get_where_subquery`: with a `where` config the test reads the filtered
    // subquery, rendered as it is (a Relation without a schema renders bare).
    let model = if node.config.where_clause.is_some() {
        Relation {
            schema: String::new(),
            identifier: model_sql.clone(),
        }
    } else {
        Relation { schema, identifier }
    };
    let mut kwargs: Vec<(String, Value)> = vec![("model".into(), Value::from_object(model))];
    if let Some(column) = &test.column {
        kwargs.push(("column_name".into(), Value::from(column.clone())));
    }
    for (key, value) in &test.kwargs {
        kwargs.push((
            key.clone(),
            Value::from(minijinja::value::Serde(value.clone())),
        ));
    }
    let ctx = render_context(
        Arc::clone(&graph.resolver),
        true,
        false,
        conn.try_clone().ok(),
    );
    let args = [Value::from(kwargs.into_iter().collect::<Kwargs>())];
    graph
        .renderer
        .call(&package, &macro_name, &args, ctx, &node.path)
}

/// A unit test as one query that returns a row when the model's output on the given
/// rows differs from the expected rows (see `unit_tests`).
fn compile_unit_test(graph: &Graph, conn: &Connection, node: &Node) -> Result<String, ModelError> {
    use super::unit_tests::{
        Fixture, comparison_sql, expected_columns, fixture_sql, input_name, query_columns,
        relation_columns, source_parts,
    };
    let spec = node.unit_test.as_ref().expect("unit test");
    let fail = |message: String| {
        ModelError::project(&node.path, format!("unit test {}: {message}", node.name))
    };
    let model = graph
        .project
        .find_relation_node(&spec.model)
        .ok_or_else(|| fail(format!("no model `{}`", spec.model)))?;
    let mut resolver = (*graph.resolver).clone();
    let mut ctes = Vec::new();
    for given in &spec.given {
        let (name, schema, identifier) = if given.input == "this" {
            (
                model.name.clone(),
                model.schema.clone(),
                model.alias().to_string(),
            )
        } else {
            let name = input_name(&given.input)
                .ok_or_else(|| fail(format!("cannot read the input `{}`", given.input)))?;
            let relation = match source_parts(&given.input) {
                Some(key) => resolver.sources.get(&key),
                None => resolver.relations.get(&name),
            };
            let relation = relation.ok_or_else(|| {
                fail(format!(
                    "the input `{}` is not a model, seed or source",
                    given.input
                ))
            })?;
            // A source's CTE is named after the table it reads, as dbt names it.
            let cte = if given.input.starts_with("source(") {
                relation.identifier.clone()
            } else {
                name.clone()
            };
            (cte, relation.schema.clone(), relation.identifier.clone())
        };
        let columns =
            relation_columns(conn, &schema, &identifier).map_err(|e| fail(e.to_string()))?;
        if columns.is_empty() && !matches!(given.rows, Fixture::Sql(_)) {
            return Err(fail(format!(
                "Not able to get columns for unit test '{name}' from relation {schema}.{identifier} because the relation doesn't exist"
            )));
        }
        let body = fixture_sql(&given.rows, &columns, None, &name).map_err(&fail)?;
        ctes.push(format!("{} as (\n{body}\n)", cte_name(&name)));
    }
    // Every ref and source of the model reads its given rows.
    for (name, info) in resolver.relations.iter_mut() {
        info.identifier = name.clone();
        info.ephemeral = true;
    }
    for info in resolver.sources.values_mut() {
        info.ephemeral = true;
    }
    resolver.vars.extend(spec.vars.clone());
    resolver.env.extend(spec.env_vars.clone());
    let ctx = render_context(
        Arc::new(resolver),
        true,
        spec.incremental,
        conn.try_clone().ok(),
    );
    // `input: this` gives the model's own rows; `{{ this }}` then reads them.
    let this_cte = spec
        .given
        .iter()
        .any(|g| g.input == "this")
        .then(|| Value::from(cte_name(&model.name)));
    let rendered = graph.renderer.render_with(
        &model.path,
        &model.raw_sql,
        ctx,
        Some(this(model)),
        &this_cte.map(|v| vec![("this", v)]).unwrap_or_default(),
    )?;
    let sql = inject_ctes(rendered.trim().trim_end_matches(';'), &ctes);
    let output = query_columns(conn, &sql).map_err(|e| fail(e.to_string()))?;
    let only = expected_columns(&spec.expect).map_err(&fail)?;
    let expected =
        fixture_sql(&spec.expect, &output, only.as_deref(), &model.name).map_err(&fail)?;
    let columns: Vec<String> = match &only {
        Some(names) => names.iter().map(|n| quote_ident(n)).collect(),
        None => output.iter().map(|(n, _)| quote_ident(n)).collect(),
    };
    let actual = format!(
        "select {} from (\n{sql}\n) as unit_test_actual",
        columns.join(", ")
    );
    Ok(comparison_sql(&actual, &expected))
}

/// `(schema, identifier)` of the model, seed or source a test is attached to.
fn tested_relation(graph: &Graph, id: &str) -> Option<(String, String)> {
    if let Some(node) = graph.project.nodes.get(id) {
        return Some((node.schema.clone(), node.alias().to_string()));
    }
    graph
        .resolver
        .sources
        .values()
        .find(|s| s.unique_id == id)
        .map(|s| (s.schema.clone(), s.identifier.clone()))
}

fn write_compiled(graph: &Graph, node: &Node, sql: &str) {
    let path = graph
        .project
        .target_dir
        .join("compiled")
        .join(&graph.project.name)
        .join(&node.path);
    let path = if node.generic_test.is_some() {
        path.with_file_name(format!("{}.sql", node.name))
    } else {
        path
    };
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let _ = std::fs::write(path, sql);
}

fn db_error(context: &str, sql: &str, error: duckdb::Error) -> String {
    format!(
        "{context}: {}\ncompiled SQL:\n{}",
        error.to_string().trim(),
        sql.trim()
    )
}

/// Builds a model in one transaction: hooks, then the relation. The rows reported are
/// the ones DuckDB says the `CREATE TABLE … AS` or the incremental `INSERT` wrote.
fn materialize(
    graph: &Graph,
    conn: &Connection,
    node: &Node,
    sql: &str,
    full_refresh: bool,
    existing: Option<&str>,
) -> Result<Outcome, String> {
    let relation = node.relation();
    let body = sql.trim().trim_end_matches(';');
    let mut statements: Vec<String> = Vec::new();
    let pre_hooks: Vec<String> = node
        .config
        .pre_hook
        .iter()
        .map(|hook| render_sql(graph, conn, node, hook, false).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    match node.config.materialized.as_str() {
        "view" => {
            if existing == Some("BASE TABLE") {
                statements.push(format!("DROP TABLE {relation}"));
            }
            statements.push(format!("CREATE OR REPLACE VIEW {relation} AS (\n{body}\n)"));
        }
        "table" => {
            if existing == Some("VIEW") {
                statements.push(format!("DROP VIEW {relation}"));
            }
            statements.push(format!(
                "CREATE OR REPLACE TABLE {relation} AS (\n{body}\n)"
            ));
        }
        "incremental" => {
            let append = existing == Some("BASE TABLE") && !node.config.rebuilds(full_refresh);
            if existing == Some("VIEW") {
                statements.push(format!("DROP VIEW {relation}"));
            }
            if append {
                let temp = quote_ident(&format!("{}__dbt_tmp", node.alias()));
                statements.push(format!(
                    "CREATE OR REPLACE TEMP TABLE {temp} AS (\n{body}\n)"
                ));
                if node.config.deletes_replaced_rows() {
                    let keys = node
                        .config
                        .unique_key
                        .iter()
                        .map(|k| quote_ident(k))
                        .collect::<Vec<_>>()
                        .join(", ");
                    statements.push(format!(
                        "DELETE FROM {relation} WHERE ({keys}) IN (SELECT {keys} FROM {temp})"
                    ));
                }
                statements.push(format!(
                    "INSERT INTO {relation} BY NAME SELECT * FROM {temp}"
                ));
            } else {
                statements.push(format!(
                    "CREATE OR REPLACE TABLE {relation} AS (\n{body}\n)"
                ));
            }
        }
        "ephemeral" => {
            return Ok(Outcome {
                status: NodeStatus::Success,
                message: "ephemeral: inlined where used".into(),
                failures: None,
                rows: None,
            });
        }
        other => {
            return Err(format!(
                "unknown materialization `{other}` (ecom knows view, table, incremental, ephemeral)"
            ));
        }
    }
    let post_hooks: Vec<String> = node
        .config
        .post_hook
        .iter()
        .map(|hook| render_sql(graph, conn, node, hook, false).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let rows = crate::warehouse::commit::in_transaction(conn, |conn| -> anyhow::Result<_> {
        let mut rows = None;
        for hook in &pre_hooks {
            conn.execute_batch(hook)
                .map_err(|e| anyhow::anyhow!(db_error("pre-hook failed", hook, e)))?;
        }
        for statement in &statements {
            let written = conn.execute(statement, []).map_err(|e| {
                anyhow::anyhow!(db_error(&format!("{} failed", node.name), statement, e))
            })?;
            if statement.starts_with("CREATE OR REPLACE TABLE") || statement.starts_with("INSERT") {
                rows = Some(written as u64);
            }
        }
        for hook in &post_hooks {
            conn.execute_batch(hook)
                .map_err(|e| anyhow::anyhow!(db_error("post-hook failed", hook, e)))?;
        }
        Ok(rows)
    })
    .map_err(|e| e.to_string())?;
    Ok(Outcome {
        status: NodeStatus::Success,
        message: "OK".into(),
        failures: None,
        rows,
    })
}

fn count(conn: &Connection, sql: &str) -> Result<u64, String> {
    conn.query_row(sql, [], |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
        .map_err(|e| e.to_string())
}

fn load_seed(graph: &Graph, conn: &Connection, node: &Node) -> Result<Outcome, String> {
    let path = graph.project.root.join(&node.path);
    let relation = node.relation();
    // Absolute: `ecom serve` lets its database reach the project's folder only, and
    // DuckDB checks the path it is given against that folder.
    let path = std::path::absolute(&path).unwrap_or_else(|_| path.to_path_buf());
    let sql = super::seeds::load_sql(&relation, &path, &node.config)
        .map_err(|e| format!("seed {} failed: {e}", node.name))?;
    crate::warehouse::commit::commit_batch(conn, &sql)
        .map_err(|e| db_error(&format!("seed {} failed", node.name), &sql, e))?;
    let rows = count(conn, &format!("SELECT count(*) FROM {relation}"))?;
    Ok(Outcome {
        status: NodeStatus::Success,
        message: "INSERT".into(),
        failures: None,
        rows: Some(rows),
    })
}

fn run_test(conn: &Connection, node: &Node, sql: &str) -> Result<Outcome, String> {
    if node.unit_test.is_some() {
        // dbt counts a failing unit test as one failure and shows the difference.
        let differences = super::unit_tests::differences(conn, sql.trim())
            .map_err(|e| format!("unit test {} could not run: {e}", node.name))?;
        return Ok(match differences {
            None => Outcome {
                status: NodeStatus::Pass,
                message: "PASS".into(),
                failures: Some(0),
                rows: None,
            },
            Some(message) => Outcome {
                status: NodeStatus::Fail,
                message,
                failures: Some(1),
                rows: None,
            },
        });
    }
    let query = count_failures(sql.trim().trim_end_matches(';'));
    let failures = count(conn, &query).map_err(|e| {
        format!(
            "test {} could not run: {e}\ncompiled SQL:\n{}",
            node.name,
            sql.trim()
        )
    })?;
    let status = match (failures, node.config.severity.as_str()) {
        (0, _) => NodeStatus::Pass,
        (_, "warn") => NodeStatus::Warn,
        _ => NodeStatus::Fail,
    };
    let message = if failures == 0 {
        "PASS".to_string()
    } else {
        format!(
            "Got {failures} result{}, configured to {} if != 0",
            if failures == 1 { "" } else { "s" },
            if status == NodeStatus::Warn {
                "warn"
            } else {
                "fail"
            }
        )
    };
    Ok(Outcome {
        status,
        message,
        failures: Some(failures),
        rows: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctes_merge_with_an_existing_with() {
        let ctes = vec!["__dbt__cte__a as (\nselect 1\n)".to_string()];
        assert_eq!(
            inject_ctes("select * from __dbt__cte__a", &ctes),
            "with __dbt__cte__a as (\nselect 1\n)\nselect * from __dbt__cte__a"
        );
        assert_eq!(
            inject_ctes("WITH b AS (select 2) select * from b, __dbt__cte__a", &ctes),
            "with __dbt__cte__a as (\nselect 1\n),\nb AS (select 2) select * from b, __dbt__cte__a"
        );
    }
}
