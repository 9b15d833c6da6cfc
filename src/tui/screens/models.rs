//! Screen 3, models: the bundled project's DAG as a tree (each node under its deepest
//! parent, see `models::overview`), each node with its materialization and last run (status,
//! time, duration, rows), and under it the selected node's parents and children, its
//! tests with their failures and the SQL its last run executed; builds start from here
//! as background jobs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use crate::format::thousands;
use crate::models::overview::ModelRow;
use crate::tui::action::{Action, BuildScope};
use crate::tui::effect::Effect;
use crate::tui::failure::Reported;
use crate::tui::jobs::Jobs;
use crate::tui::status::Status;
use crate::tui::theme;
use crate::tui::widgets::highlight::highlight;
use crate::tui::widgets::pane::{pane_block, table_header};

/// The project's nodes, once loaded, and the selected one.
#[derive(Debug, Clone, Default)]
pub struct ModelsScreen {
    pub rows: Option<Reported<Vec<ModelRow>>>,
    pub selected: usize,
}

impl ModelsScreen {
    pub fn update(&mut self, action: Action, jobs: &mut Jobs, status: &mut Status) -> Vec<Effect> {
        match action {
            Action::ModelsLoaded(result) => {
                self.rows = Some(result);
                self.selected = self.selected.min(self.rows().len().saturating_sub(1));
            }
            Action::BuildModels(scope) => return self.start_models(scope, jobs, status),
            Action::Move(delta) => {
                self.selected = (self.selected as i64)
                    .saturating_add(delta)
                    .clamp(0, self.rows().len().saturating_sub(1) as i64)
                    as usize;
            }
            _ => {}
        }
        vec![]
    }

    /// The rows, once loaded.
    fn rows(&self) -> &[ModelRow] {
        self.rows
            .as_ref()
            .and_then(|m| m.as_ref().ok())
            .map_or(&[], Vec::as_slice)
    }

    /// Starts a model build of the selected node (or everything) as a job.
    fn start_models(
        &mut self,
        scope: BuildScope,
        jobs: &mut Jobs,
        status: &mut Status,
    ) -> Vec<Effect> {
        let node = self.rows().get(self.selected).map(|m| m.name.clone());
        let select = match (scope, node) {
            (BuildScope::All, _) => Vec::new(),
            (BuildScope::Node, Some(n)) => vec![n],
            (BuildScope::WithParents, Some(n)) => vec![format!("+{n}")],
            (BuildScope::WithChildren, Some(n)) => vec![format!("{n}+")],
            (_, None) => return vec![],
        };
        let name = if select.is_empty() {
            "models build".to_string()
        } else {
            format!("models build {}", select.join(" "))
        };
        let job = jobs.add(name, status);
        vec![Effect::StartModels { job, select }]
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        draw(frame, self, area);
    }
}

fn draw(frame: &mut Frame, screen: &ModelsScreen, area: Rect) {
    let title = "Models (b build all · Enter node · + with parents · c with children)";
    let rows = match &screen.rows {
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
            "success" | "pass" => theme::GOOD,
            "error" | "fail" => theme::BAD,
            "skipped" | "warn" => theme::WARNING,
            _ => theme::MUTED,
        };
        // Parents beyond the one the node hangs under, counted (the detail names them).
        let more = m
            .parents
            .len()
            .saturating_sub(usize::from(!m.tree.is_empty()));
        let node = Line::from(vec![
            Span::raw(m.tree.clone()).fg(theme::MUTED),
            Span::raw(m.name.clone()),
            Span::raw(if more > 0 {
                format!(" +{more}")
            } else {
                String::new()
            })
            .fg(theme::MUTED),
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
    .header(table_header(&[
        "node (tree of the DAG)",
        "materialized",
        "last run",
        "ran at",
        "took",
        "rows",
    ]))
    .row_highlight_style(theme::selected())
    .block(pane_block(title, true));
    let [list, detail] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let mut state = TableState::default().with_selected(Some(screen.selected));
    frame.render_stateful_widget(table, list, &mut state);
    if let Some(node) = rows.get(screen.selected) {
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
            .fg(theme::MUTED),
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
            "pass" => theme::GOOD,
            "fail" | "error" => theme::BAD,
            "warn" => theme::WARNING,
            _ => theme::MUTED,
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
    .header(table_header(&["test", "last run", "failures"]))
    .block(pane_block(&title, false));
    frame.render_widget(table, tests);
    let code = node
        .compiled
        .as_deref()
        .unwrap_or("not run yet: b builds everything, Enter this node");
    let lines: Vec<_> = code.lines().map(highlight).collect();
    let title = format!("Compiled SQL of {} (last run)", node.name);
    let text = Paragraph::new(lines).block(pane_block(&title, false));
    frame.render_widget(text, sql);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> ModelRow {
        ModelRow {
            name: name.into(),
            resource_type: "model".into(),
            materialized: "table".into(),
            schema: "marts".into(),
            tree: String::new(),
            parents: Vec::new(),
            children: Vec::new(),
            last_status: None,
            last_rows: None,
            last_run_at: None,
            last_seconds: None,
            compiled: None,
            tests: Vec::new(),
        }
    }

    #[test]
    fn builds_cover_the_selected_node_as_asked() {
        let (mut screen, mut jobs, mut status) =
            (ModelsScreen::default(), Jobs::default(), Status::default());
        let mut update =
            |screen: &mut ModelsScreen, action| screen.update(action, &mut jobs, &mut status);
        assert!(
            update(&mut screen, Action::BuildModels(BuildScope::Node)).is_empty(),
            "nothing loaded"
        );
        update(
            &mut screen,
            Action::ModelsLoaded(Ok(vec![row("stg"), row("fact")])),
        );
        update(&mut screen, Action::Move(5));
        assert_eq!(screen.selected, 1, "stays on the last row");
        let select = |effects: Vec<Effect>| match &effects[..] {
            [Effect::StartModels { select, .. }] => select.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            select(update(&mut screen, Action::BuildModels(BuildScope::Node))),
            ["fact"]
        );
        assert_eq!(
            select(update(
                &mut screen,
                Action::BuildModels(BuildScope::WithParents)
            )),
            ["+fact"]
        );
        assert_eq!(
            select(update(
                &mut screen,
                Action::BuildModels(BuildScope::WithChildren)
            )),
            ["fact+"]
        );
        assert!(select(update(&mut screen, Action::BuildModels(BuildScope::All))).is_empty());
        update(&mut screen, Action::ModelsLoaded(Ok(vec![row("stg")])));
        assert_eq!(screen.selected, 0, "a reload keeps the selection on a row");
        update(&mut screen, Action::Move(-3));
        assert_eq!(screen.selected, 0);
        let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "models build",
                "models build fact+",
                "models build +fact",
                "models build fact"
            ]
        );
    }
}
