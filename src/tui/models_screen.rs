//! Screen 3, models: the bundled project's DAG in build order, each node with its
//! materialization, schema and last run, and under it the selected node's tests with
//! their failures and the SQL its last run executed; builds start from here as
//! background jobs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::widgets::{Paragraph, Row, Table, TableState};

use super::state::{App, ModelRow};
use super::ui::pane_block;
use crate::format::thousands;

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
        Row::new([
            m.name.clone(),
            m.resource_type.clone(),
            m.materialized.clone(),
            m.schema.clone(),
            m.depends_on.to_string(),
            status,
            m.last_rows.map(thousands).unwrap_or_default(),
        ])
        .style(Style::new().fg(color))
    });
    let table = Table::new(
        table_rows,
        [
            Constraint::Min(24),
            Constraint::Length(6),
            Constraint::Length(12),
            Constraint::Length(9),
            Constraint::Length(7),
            Constraint::Length(10),
            Constraint::Length(10),
        ],
    )
    .header(
        Row::new([
            "node",
            "type",
            "materialized",
            "schema",
            "parents",
            "last run",
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

/// The selected node's tests with their last results, and the SQL its last run executed.
fn draw_detail(frame: &mut Frame, node: &ModelRow, area: Rect) {
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
