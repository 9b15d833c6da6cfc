//! `ecom models run|test|build|seed|snapshot|ls|compile|deps|init`

use std::path::PathBuf;

use anyhow::Context;

use super::args::{ModelArgs, ModelsAction, SourceAction};
use super::progress::CliProgress;
use super::{Outcome, Settings};
use crate::models::project::LoadOptions;
use crate::models::run::{Invocation, NodeStatus, RunCommand, RunSummary};
use crate::models::{Project, artifacts, bundled, graph, run};

pub fn run_action(action: ModelsAction, settings: &Settings) -> anyhow::Result<Outcome> {
    let (command, args) = match action {
        ModelsAction::Init { dir } => {
            let written = bundled::write_to(&dir, false)?;
            println!(
                "wrote {} files of the bundled project to {}",
                written.len(),
                dir.display()
            );
            println!("run it with: ecom models build --project {}", dir.display());
            return Ok(Outcome::SUCCESS);
        }
        ModelsAction::Deps { project } => return deps(&project, settings),
        ModelsAction::Source {
            action: SourceAction::Freshness(args),
        } => return freshness(&args, settings),
        ModelsAction::Ls(args) => return list(&args, settings),
        ModelsAction::Run(a) => (RunCommand::Run, a),
        ModelsAction::Test(a) => (RunCommand::Test, a),
        ModelsAction::Build(a) => (RunCommand::Build, a),
        ModelsAction::Seed(a) => (RunCommand::Seed, a),
        ModelsAction::Snapshot(a) => (RunCommand::Snapshot, a),
        ModelsAction::Compile(a) => (RunCommand::Compile, a),
    };
    let warehouse = settings.open_warehouse()?;
    let graph = load(&args, settings)?;
    let invocation = Invocation {
        command,
        select: args.select.clone(),
        exclude: args.exclude.clone(),
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        full_refresh: args.full_refresh,
    };
    let progress = CliProgress::new(settings.quiet);
    let Ran {
        graph,
        summary,
        interrupted,
    } = run_in_background(graph, warehouse.connect()?, invocation, &progress)?;
    progress.finish();
    artifacts::write(&graph, Some(&summary))?;
    if settings.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&artifacts::run_results(&summary))?
        );
    } else if !settings.quiet {
        eprintln!("{}", done_line(&summary));
    }
    Ok(
        match crate::models::outcome::outcome(&summary, interrupted) {
            Outcome::Failed { sentence } => {
                // Tests of models never built all fail alike: say what comes first.
                let unbuilt = matches!(command, RunCommand::Test)
                    && summary.results.iter().any(|r| {
                        r.status == NodeStatus::Error && r.message.contains("does not exist")
                    });
                let hint = if unbuilt {
                    " (the models these tests read are not built yet: run `ecom models build` first)"
                } else {
                    ""
                };
                anyhow::bail!(
                    "{sentence}{hint}: see the messages above and {}",
                    graph.project.target_dir.join("run_results.json").display()
                );
            }
            Outcome::Cancelled { summary } => anyhow::bail!("{summary}"),
            checked => checked,
        },
    )
}

/// A model run's graph and summary, handed back by its job.
struct Ran {
    graph: graph::Graph,
    summary: RunSummary,
    /// Whether Ctrl+C asked it to stop.
    interrupted: bool,
}

impl crate::jobs::Judged for Ran {
    fn outcome(&self) -> Outcome {
        crate::models::outcome::outcome(&self.summary, self.interrupted)
    }
}

/// Runs the models as a job of a [`crate::jobs::Registry`] (as the workbench and the
/// pipeline do) and renders its progress, which arrives over a channel, on this thread.
fn run_in_background(
    graph: graph::Graph,
    conn: duckdb::Connection,
    invocation: Invocation,
    progress: &CliProgress,
) -> anyhow::Result<Ran> {
    use crate::jobs::{JobKind, JobUpdate, ProgressSink, Registry};
    let (tx, rx) = std::sync::mpsc::channel();
    let name = format!("models {}", invocation.command.name());
    let registry = Registry::new();
    let started = registry.start_watched(
        JobKind::Models,
        &name,
        move |sink, cancel| {
            let summary = run(&graph, &conn, &invocation, sink, cancel)?;
            Ok(Ran {
                graph,
                summary,
                interrupted: cancel.is_cancelled(),
            })
        },
        move |update| {
            let _ = tx.send(update);
        },
    );
    // Ctrl+C cancels the job: remaining nodes are skipped, finished ones stay.
    let interrupt = super::interrupt::cancel_on_ctrl_c();
    for update in rx {
        if interrupt.is_cancelled() {
            registry.cancel(started.id);
        }
        match update {
            JobUpdate::Progress { progress: p, .. } => progress.report(p),
            JobUpdate::Finished { .. } => break,
        }
    }
    started
        .wait()
        .map_err(|outcome| anyhow::anyhow!("{}", outcome.text()))
}

/// `Done. PASS=… WARN=… ERROR=… SKIP=… TOTAL=…`, dbt's closing line.
fn done_line(summary: &RunSummary) -> String {
    let pass = summary.count(NodeStatus::Success) + summary.count(NodeStatus::Pass);
    format!(
        "Done in {:.2}s. PASS={pass} WARN={} ERROR={} FAIL={} SKIP={} TOTAL={}",
        summary.elapsed_time,
        summary.count(NodeStatus::Warn),
        summary.count(NodeStatus::Error),
        summary.count(NodeStatus::Fail),
        summary.count(NodeStatus::Skipped),
        summary.results.len()
    )
}

fn project_dir(args: &ModelArgs, settings: &Settings) -> anyhow::Result<PathBuf> {
    match &args.project {
        Some(dir) => Ok(dir.clone()),
        None => bundled::unpacked(&settings.db_path).context("cannot unpack the bundled project"),
    }
}

fn load(args: &ModelArgs, settings: &Settings) -> anyhow::Result<graph::Graph> {
    let vars = match &args.vars {
        Some(text) => {
            let value: serde_json::Value = serde_norway::from_str(text)
                .with_context(|| format!("--vars is not YAML or JSON: {text}"))?;
            value
                .as_object()
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("--vars must be a mapping such as '{{batch: 2}}'"))?
        }
        None => Default::default(),
    };
    let options = LoadOptions {
        target_schema: args.target_schema.clone(),
        vars,
    };
    let project = Project::load(&project_dir(args, settings)?, &options)?;
    Ok(graph::parse(project)?)
}

/// `ecom models source freshness`: one line per checked source table, as dbt prints
/// them, and `target/sources.json`.
fn freshness(args: &ModelArgs, settings: &Settings) -> anyhow::Result<Outcome> {
    use crate::models::freshness;
    let warehouse = settings.open_warehouse()?;
    let graph = load(args, settings)?;
    let project = &graph.project;
    let started = std::time::Instant::now();
    let mut tables: Vec<_> = project
        .sources
        .iter()
        .filter(|t| t.freshness.is_some())
        .collect();
    tables.sort_by(|a, b| (&a.source, &a.name).cmp(&(&b.source, &b.name)));
    let mut results = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        let Some(checked) = freshness::check(warehouse.conn(), &project.name, table) else {
            continue;
        };
        if !settings.quiet && !settings.json {
            let label = match checked.status {
                "pass" => "PASS",
                "warn" => "WARN",
                "error" => "ERROR STALE",
                _ => "ERROR",
            };
            let detail = checked
                .message
                .as_ref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            eprintln!(
                "{} of {} {label} freshness of {}.{}{detail}",
                i + 1,
                tables.len(),
                table.source,
                table.name
            );
        }
        results.push(checked);
    }
    let document = freshness::sources_json(&results, started.elapsed().as_secs_f64());
    std::fs::create_dir_all(&project.target_dir)?;
    let path = project.target_dir.join("sources.json");
    std::fs::write(&path, serde_json::to_string_pretty(&document)?)?;
    if settings.json {
        println!("{}", serde_json::to_string_pretty(&document)?);
    }
    let failed = results
        .iter()
        .filter(|r| r.status.contains("error"))
        .count();
    if failed > 0 {
        anyhow::bail!(
            "{failed} source table(s) past error_after or unreadable: see {}",
            path.display()
        );
    }
    Ok(Outcome::SUCCESS)
}

/// `ecom models deps --project DIR`.
fn deps(project: &std::path::Path, settings: &Settings) -> anyhow::Result<Outcome> {
    use crate::models::packages;
    let file = project.join("dbt_project.yml");
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("{}: no dbt project here", file.display()))?;
    let doc: serde_json::Value =
        serde_norway::from_str(&text).with_context(|| format!("{}", file.display()))?;
    let installed = packages::install(project, &packages::install_dir(project, &doc))?;
    if settings.json {
        println!("{}", serde_json::to_string_pretty(&installed)?);
    } else if installed.is_empty() {
        eprintln!(
            "no packages.yml or dependencies.yml in {}: nothing to install",
            project.display()
        );
    } else {
        for package in &installed {
            let revision = package
                .revision
                .as_ref()
                .map(|r| format!(" at {r}"))
                .unwrap_or_default();
            eprintln!(
                "installed {} from {}{revision}",
                package.name, package.source
            );
        }
    }
    Ok(Outcome::SUCCESS)
}

fn list(args: &ModelArgs, settings: &Settings) -> anyhow::Result<Outcome> {
    use crate::models::ResourceType;
    let graph = load(args, settings)?;
    const SEMANTIC: [&str; 3] = ["semantic_model", "metric", "saved_query"];
    let mut types = Vec::new();
    let mut semantic_kinds: Vec<&str> = Vec::new();
    // dbt lists data tests under `test` and unit tests under `unit_test`.
    let (mut data_tests, mut unit_tests) =
        (args.resource_type.is_empty(), args.resource_type.is_empty());
    for name in &args.resource_type {
        match name.as_str() {
            "model" => types.push(ResourceType::Model),
            "seed" => types.push(ResourceType::Seed),
            "snapshot" => types.push(ResourceType::Snapshot),
            "test" => data_tests = true,
            "unit_test" => unit_tests = true,
            kind if SEMANTIC.contains(&kind) => semantic_kinds.push(kind),
            other => anyhow::bail!(
                "--resource-type {other}: use model, seed, snapshot, test, unit_test, semantic_model, metric or saved_query"
            ),
        }
    }
    if data_tests || unit_tests {
        types.push(ResourceType::Test);
    }
    if args.resource_type.is_empty() {
        types = vec![
            ResourceType::Seed,
            ResourceType::Model,
            ResourceType::Snapshot,
            ResourceType::Test,
        ];
        // Listed by default only when nothing narrows the selection to nodes.
        if args.select.is_empty() && args.exclude.is_empty() {
            semantic_kinds = SEMANTIC.to_vec();
        }
    }
    let mut semantic: Vec<_> = graph
        .project
        .semantic
        .iter()
        .filter(|e| semantic_kinds.contains(&e.resource_type))
        .collect();
    semantic.sort_by(|a, b| a.unique_id.cmp(&b.unique_id));
    let selected = crate::models::select::select(&graph, &args.select, &args.exclude, &types)?;
    let nodes: Vec<_> = graph
        .order
        .iter()
        .filter(|id| selected.contains(*id))
        .map(|id| &graph.project.nodes[id])
        .filter(|n| {
            n.resource_type != ResourceType::Test
                || if n.unit_test.is_some() {
                    unit_tests
                } else {
                    data_tests
                }
        })
        .collect();
    if settings.json {
        let items: Vec<_> = nodes
            .iter()
            .map(|n| serde_json::json!({"unique_id": n.unique_id, "name": n.name, "resource_type": n.resource_type, "materialized": n.config.materialized, "schema": n.schema, "tags": n.config.tags, "depends_on": n.depends_on, "path": n.path}))
            .chain(semantic.iter().map(|e| serde_json::to_value(e).unwrap_or_default()))
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(Outcome::SUCCESS);
    }
    for node in nodes {
        match args.output.as_str() {
            "name" => println!("{}", node.name),
            "path" => println!("{}", node.path.display()),
            // dbt's selector form for unit tests: `unit_test:project.name`.
            "fqn" if node.unit_test.is_some() => {
                println!("unit_test:{}.{}", graph.project.name, node.name)
            }
            "fqn" => println!("{}", node.fqn.join(".")),
            other => anyhow::bail!("--output {other}: use fqn, name or path"),
        }
    }
    for entry in semantic {
        match args.output.as_str() {
            "name" => println!("{}", entry.name),
            "path" => println!("{}", entry.path.display()),
            // dbt's selector form for these: `metric:project.name`.
            _ => println!(
                "{}:{}.{}",
                entry.resource_type, graph.project.name, entry.name
            ),
        }
    }
    Ok(Outcome::SUCCESS)
}
