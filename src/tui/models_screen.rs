//! Screen 3, models: the bundled project's DAG as a tree (each node under its deepest
//! parent, see `model_tree`), each node with its materialization and last run (status,
//! time, duration, rows), and under it the selected node's parents and children, its
//! tests with their failures and the SQL its last run executed; builds start from here
//! as background jobs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use std::collections::HashMap;
use std::path::Path;

use super::state::{App, ModelRow, TestRow};
use super::ui::pane_block;
use crate::format::thousands;
use crate::models::{Node, ResourceType};

/// The project's nodes (tests apart) laid out as the DAG's tree, each with its tests
/// and its last run.
pub fn load(project: &Path) -> anyhow::Result<Vec<ModelRow>> {
    let project = crate::models::Project::load(project, &Default::default())?;
    let graph = crate::models::graph::parse(project)?;
    let last = crate::models::artifacts::last_results(&graph);
    let in_order = || graph.order.iter().map(|id| &graph.project.nodes[id]);
    let is_test = |n: &&Node| n.resource_type == ResourceType::Test;
    let nodes: Vec<&Node> = in_order().filter(|n| !is_test(n)).collect();
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.unique_id.as_str(), i))
        .collect();
    let parents: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            n.depends_on
                .iter()
                .filter_map(|p| index.get(p.as_str()).copied())
                .collect()
        })
        .collect();
    let name_of = |id: &str| match graph.project.nodes.get(id) {
        Some(node) => node.name.clone(),
        // source.PROJECT.SOURCE.TABLE
        None => id.splitn(3, '.').nth(2).unwrap_or(id).to_string(),
    };
    let mut children: Vec<Vec<String>> = vec![Vec::new(); nodes.len()];
    for (child, ps) in parents.iter().enumerate() {
        for p in ps {
            children[*p].push(nodes[child].name.clone());
        }
    }
    let models: Vec<bool> = nodes
        .iter()
        .map(|n| n.resource_type != ResourceType::Seed)
        .collect();
    Ok(super::model_tree::layout(&parents, &models)
        .into_iter()
        .map(|place| {
            let n = nodes[place.node];
            let result = last.get(&n.unique_id);
            let tests = in_order()
                .filter(is_test)
                .filter(|t| t.depends_on.contains(&n.unique_id))
                .map(|t| {
                    let result = last.get(&t.unique_id);
                    TestRow {
                        name: t.name.clone(),
                        status: result.map(|r| r.status.clone()),
                        failures: result.and_then(|r| r.failures),
                        message: result.and_then(|r| r.message.clone()),
                    }
                })
                .collect();
            ModelRow {
                name: n.name.clone(),
                resource_type: n.resource_type.name().to_string(),
                materialized: n.config.materialized.clone(),
                schema: n.schema.clone(),
                tree: place.prefix,
                parents: n.depends_on.iter().map(|p| name_of(p)).collect(),
                children: std::mem::take(&mut children[place.node]),
                last_status: result.map(|r| r.status.clone()),
                last_rows: result.and_then(|r| r.rows),
                last_run_at: result.and_then(|r| r.completed_at.clone()),
                last_seconds: result.and_then(|r| r.execution_time),
                compiled: result.and_then(|r| r.compiled_code.clone()),
                tests,
            }
        })
        .collect())
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let title = "Models (b build all · Enter node · + with parents · c with children)";
    let rows = match &app.models {
        None => {
            frame.render_widget(
                Paragraph::new("loading the project…")
                    .dim()
                    .block(pane_block(title, true)),
                area,
            );
            return;
        }
        Some(Err(e)) => {
            frame.render_widget(
                Paragraph::new(e.as_str()).block(pane_block(title, true)),
                area,
            );
            return;
        }
        Some(Ok(rows)) => rows,
    };
    let table_rows = rows.iter().map(|m| {
        let status = m.last_status.clone().unwrap_or_else(|| "never run".into());
        let color = match status.as_str() {
            "success" | "pass" => Color::Green,
            "error" | "fail" => Color::Red,
            "skipped" | "warn" => Color::Yellow,
            _ => Color::DarkGray,
        };
        // Parents beyond the one the node hangs under, counted (the detail names them).
        let more = m
            .parents
            .len()
            .saturating_sub(usize::from(!m.tree.is_empty()));
        let node = Line::from(vec![
            Span::raw(m.tree.clone()).dark_gray(),
            Span::raw(m.name.clone()),
            Span::raw(if more > 0 {
                format!(" +{more}")
            } else {
                String::new()
            })
            .dark_gray(),
        ]);
        Row::new([
            Cell::from(node),
            Cell::from(m.materialized.clone()),
            Cell::from(status),
            Cell::from(m.last_run_at.as_deref().map(ran_at).unwrap_or_default()),
            Cell::from(m.last_seconds.map(took).unwrap_or_default()),
            Cell::from(m.last_rows.map(thousands).unwrap_or_default()),
        ])
        .style(Style::new().fg(color))
    });
    let table = Table::new(
        table_rows,
        [
            Constraint::Min(24),
            Constraint::Length(12),
            Constraint::Length(9),
            Constraint::Length(11),
            Constraint::Length(7),
            Constraint::Length(9),
        ],
    )
    .header(
        Row::new([
            "node (tree of the DAG)",
            "materialized",
            "last run",
            "ran at",
            "took",
            "rows",
        ])
        .style(Style::new().bold().fg(Color::Yellow)),
    )
    .row_highlight_style(Style::new().bg(Color::Blue).fg(Color::White))
    .block(pane_block(title, true));
    let [list, detail] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let mut state = TableState::default().with_selected(Some(app.model_selected));
    frame.render_stateful_widget(table, list, &mut state);
    if let Some(node) = rows.get(app.model_selected) {
        draw_detail(frame, node, detail);
    }
}

/// `MM-DD HH:MM` of an RFC 3339 time, in the offset the record carries (UTC for ecom's).
fn ran_at(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn took(seconds: f64) -> String {
    if seconds < 10.0 {
        format!("{seconds:.2}s")
    } else {
        format!("{seconds:.0}s")
    }
}

/// The selected node's lineage, its tests with their last results, and the SQL its
/// last run executed.
fn draw_detail(frame: &mut Frame, node: &ModelRow, area: Rect) {
    let [lineage, area] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let names = |list: &[String], empty: &str| {
        if list.is_empty() {
            empty.to_string()
        } else {
            list.join(", ")
        }
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw(format!(" {} ", node.name)).bold(),
            Span::raw(format!(
                "({} {}.{})",
                node.resource_type, node.schema, node.name
            ))
            .dark_gray(),
            Span::raw(format!("  ← {}", names(&node.parents, "no model or seed"))),
            Span::raw(format!("  → {}", names(&node.children, "nothing"))),
        ])),
        lineage,
    );
    let [tests, sql] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let failing = node
        .tests
        .iter()
        .filter(|t| t.failures.unwrap_or(0) > 0)
        .count();
    let title = format!(
        "Tests of {}: {} ({failing} failing)",
        node.name,
        node.tests.len()
    );
    let rows = node.tests.iter().map(|t| {
        let status = t.status.clone().unwrap_or_else(|| "never run".into());
        let color = match status.as_str() {
            "pass" => Color::Green,
            "fail" | "error" => Color::Red,
            "warn" => Color::Yellow,
            _ => Color::DarkGray,
        };
        let failures = match (t.failures, &t.message) {
            (Some(n), _) if n > 0 => format!("{} rows", thousands(n)),
            (_, Some(message)) if status == "error" => message.clone(),
            _ => String::new(),
        };
        Row::new([t.name.clone(), status, failures]).style(Style::new().fg(color))
    });
    let table = Table::new(
        rows,
        [
            Constraint::Fill(3),
            Constraint::Length(9),
            Constraint::Fill(2),
        ],
    )
    .header(super::ui::table_header(&["test", "last run", "failures"]))
    .block(pane_block(&title, false));
    frame.render_widget(table, tests);
    let code = node
        .compiled
        .as_deref()
        .unwrap_or("not run yet: b builds everything, Enter this node");
    let lines: Vec<_> = code.lines().map(super::highlight::highlight).collect();
    let title = format!("Compiled SQL of {} (last run)", node.name);
    let text = Paragraph::new(lines).block(pane_block(&title, false));
    frame.render_widget(text, sql);
}
