//! Screen 3, models: the bundled project's DAG in build order, each node with its
//! materialization, schema and last run; builds start from here as background jobs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::widgets::{Paragraph, Row, Table, TableState};

use super::state::App;
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
    let mut state = TableState::default().with_selected(Some(app.model_selected));
    frame.render_stateful_widget(table, area, &mut state);
}
