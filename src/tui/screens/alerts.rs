//! Screen 8, alerts: every rule of the alerts file with its state (firing, pending,
//! silenced, failing), when it was last evaluated, what could not be delivered, and the
//! history of its instances. The state is the warehouse's (`crate::alerts`), so what
//! `ecom alerts check`, `serve`, `tail` or the pipeline evaluated shows here too.

use std::path::{Path, PathBuf};

use chrono::{Duration, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, Wrap};

use crate::alerts::{HistoryEntry, RuleOverview};
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::failure::{Failure, Reported};
use crate::tui::jobs::Jobs;
use crate::tui::status::Status;
use crate::tui::theme;
use crate::tui::widgets::pane::{pane_block, table_header};

/// History entries kept for the screen (all rules, newest first).
pub const HISTORY_ROWS: usize = 200;

/// The rules and their history, as the worker read them.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertsView {
    pub rules: Vec<RuleOverview>,
    pub history: Vec<HistoryEntry>,
}

impl AlertsView {
    /// The rules of the alerts file `file` with their state (the worker's part);
    /// `None` when there is no file.
    pub fn load(conn: &duckdb::Connection, file: &Path) -> Reported<Option<Self>> {
        if !file.exists() {
            return Ok(None);
        }
        let rules = crate::alerts::AlertsFile::load(file).map_err(Failure::of)?;
        Ok(Some(Self {
            rules: crate::alerts::overview(conn, &rules, Utc::now()).map_err(Failure::of)?,
            history: crate::alerts::history(conn, None, HISTORY_ROWS).map_err(Failure::of)?,
        }))
    }
}

/// What the screen shows: the file's rules, or why there are none.
#[derive(Debug, Clone)]
pub struct AlertsScreen {
    /// The alerts file (`--alerts`, else `alerts.toml` in the config folder).
    pub file: PathBuf,
    pub view: Option<Reported<Option<AlertsView>>>,
    pub selected: usize,
}

/// How long `s` and `S` silence the selected rule.
const SHORT_SILENCE: Duration = Duration::hours(1);
const LONG_SILENCE: Duration = Duration::days(1);

impl AlertsScreen {
    pub fn new(file: PathBuf) -> Self {
        Self {
            file,
            view: None,
            selected: 0,
        }
    }

    /// Asks the worker for the rules' state.
    pub fn request(&self) -> Effect {
        Effect::LoadAlerts(self.file.clone())
    }

    fn rules(&self) -> &[RuleOverview] {
        match &self.view {
            Some(Ok(Some(view))) => &view.rules,
            _ => &[],
        }
    }

    /// The selected rule.
    pub fn selected_rule(&self) -> Option<&RuleOverview> {
        self.rules().get(self.selected)
    }

    /// The SQL a SQL tab runs to list the selected rule's firing rows now.
    pub fn drill_down_sql(&self) -> Option<String> {
        let rule = self.selected_rule()?;
        Some(format!(
            "-- the rows of alert rule {} (each row is one firing instance)\n{}",
            rule.name,
            rule.sql.trim()
        ))
    }

    pub fn update(&mut self, action: Action, jobs: &mut Jobs, status: &mut Status) -> Vec<Effect> {
        match action {
            Action::AlertsLoaded(view) => {
                self.view = Some(*view);
                self.selected = self.selected.min(self.rules().len().saturating_sub(1));
            }
            Action::Move(delta) => {
                let last = self.rules().len().saturating_sub(1) as i64;
                self.selected =
                    (self.selected as i64).saturating_add(delta).clamp(0, last) as usize;
            }
            Action::CheckAlerts => {
                let job = jobs.add("alerts check".into(), status);
                return vec![Effect::StartAlertsCheck {
                    job,
                    file: self.file.clone(),
                }];
            }
            Action::SilenceAlert(long) => {
                let Some(rule) = self.selected_rule() else {
                    status.error("no rule selected");
                    return vec![];
                };
                let span = if long { LONG_SILENCE } else { SHORT_SILENCE };
                let until = Utc::now() + span;
                status.info(format!(
                    "{} silenced until {}",
                    rule.name,
                    until.format("%Y-%m-%d %H:%M UTC")
                ));
                return vec![Effect::SilenceAlert {
                    file: self.file.clone(),
                    rule: rule.name.clone(),
                    until: Some(until),
                }];
            }
            Action::UnsilenceAlert => {
                if let Some(rule) = self.selected_rule() {
                    status.info(format!("{} is no longer silenced", rule.name));
                    return vec![Effect::SilenceAlert {
                        file: self.file.clone(),
                        rule: rule.name.clone(),
                        until: None,
                    }];
                }
            }
            Action::Tick => return vec![self.request()],
            _ => {}
        }
        vec![]
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        draw(frame, self, area);
    }
}

/// A rule's state in a word or two, and its colour.
fn state_of(rule: &RuleOverview) -> (String, Style) {
    if rule.last_error.is_some() {
        return ("error".into(), Style::new().fg(theme::BAD).bold());
    }
    let (state, style) = match (rule.firing, rule.pending) {
        (0, 0) => ("ok".to_string(), Style::new().fg(theme::GOOD)),
        (0, p) => (format!("pending {p}"), Style::new().fg(theme::WARNING)),
        (f, _) => (format!("firing {f}"), Style::new().fg(theme::BAD).bold()),
    };
    match rule.silenced_until {
        Some(_) => (format!("{state} · silenced"), style.dim()),
        None => (state, style),
    }
}

/// `2026-12-05T15:21:00Z` (the alerts API's UTC times) as `2026-12-05 15:21:00`.
fn clock(time: &str) -> String {
    time.replacen('T', " ", 1).trim_end_matches('Z').to_string()
}

fn draw(frame: &mut Frame, screen: &AlertsScreen, area: Rect) {
    let title = format!("Alerts · {}", screen.file.display());
    let view = match &screen.view {
        None => {
            return note(
                frame,
                area,
                &title,
                Line::from("loading the alert rules…").dim(),
            );
        }
        Some(Err(e)) => {
            let text = vec![
                Line::from("The alerts file cannot be used:".bold()),
                Line::from(""),
                Line::from(e.as_str().to_string()).fg(theme::BAD),
                Line::from(""),
                Line::from(
                    "Fix the file: this screen reads it again every few seconds (docs/ALERTS.md).",
                )
                .dim(),
            ];
            return note(frame, area, &title, text);
        }
        Some(Ok(None)) => {
            let text = vec![
                Line::from(format!("No alerts file at {}.", screen.file.display())),
                Line::from(""),
                Line::from("Write one (or start ecom with --alerts FILE), for example:").dim(),
                Line::from(""),
                Line::from("[[receivers]]"),
                Line::from("name = \"ops\""),
                Line::from("log = true"),
                Line::from(""),
                Line::from("[[rules]]"),
                Line::from("name = \"slow-day\""),
                Line::from("sql = \"select invoice_ts::date as day, sum(revenue) as revenue from marts.fact_sales group by 1 having revenue < 5000\""),
                Line::from("receivers = [\"ops\"]"),
                Line::from(""),
                Line::from("docs/ALERTS.md has the receivers (webhook, command, topic, log) and the shorthands.").dim(),
            ];
            return note(frame, area, &title, text);
        }
        Some(Ok(Some(view))) => view,
    };
    let rules_height = (view.rules.len() as u16 + 3).clamp(5, area.height.saturating_sub(8).max(5));
    let [top, bottom] =
        Layout::vertical([Constraint::Length(rules_height), Constraint::Min(4)]).areas(area);
    draw_rules(frame, view, screen.selected, top, &title);
    let [detail, history] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(bottom);
    let rule = view.rules.get(screen.selected);
    draw_detail(frame, rule, detail);
    draw_history(frame, view, rule, history);
}

/// Text in a pane, wrapped: the screen's messages in place of its tables.
fn note<'a>(frame: &mut Frame, area: Rect, title: &str, text: impl Into<ratatui::text::Text<'a>>) {
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(pane_block(title, false)),
        area,
    );
}

fn draw_rules(frame: &mut Frame, view: &AlertsView, selected: usize, area: Rect, title: &str) {
    let firing: usize = view.rules.iter().map(|r| r.firing).sum();
    let title = format!("{title} · {} rules, {firing} firing", view.rules.len());
    if view.rules.is_empty() {
        frame.render_widget(
            Paragraph::new("The file has no rules yet.").block(pane_block(&title, true)),
            area,
        );
        return;
    }
    let rows = view.rules.iter().enumerate().map(|(i, rule)| {
        let (state, style) = state_of(rule);
        let delivery = match (rule.undelivered, &rule.last_failure) {
            (0, None) => String::new(),
            (0, Some(_)) => "failed".into(),
            (n, _) => format!("{n} undelivered"),
        };
        let row = Row::new([
            Span::raw(rule.name.clone()),
            Span::raw(rule.severity.clone()),
            Span::styled(state, style),
            Span::raw(
                rule.last_evaluated
                    .as_deref()
                    .map_or_else(|| "never".into(), clock),
            ),
            Span::raw(rule.receivers.join(", ")),
            Span::styled(delivery, Style::new().fg(theme::BAD)),
        ]);
        if i == selected {
            row.style(theme::selected())
        } else {
            row
        }
    });
    let table = Table::new(
        rows,
        [
            Constraint::Percentage(22),
            Constraint::Length(9),
            Constraint::Length(20),
            Constraint::Length(20),
            Constraint::Percentage(20),
            Constraint::Length(16),
        ],
    )
    .header(table_header(&[
        "rule",
        "severity",
        "state",
        "last evaluated (UTC)",
        "receivers",
        "delivery",
    ]))
    .block(pane_block(&title, true));
    frame.render_widget(table, area);
}

fn draw_detail(frame: &mut Frame, rule: Option<&RuleOverview>, area: Rect) {
    let Some(rule) = rule else {
        frame.render_widget(Paragraph::new("").block(pane_block("Rule", false)), area);
        return;
    };
    let mut lines = vec![
        Line::from(vec!["kind ".dim(), Span::raw(rule.kind.clone())]),
        Line::from(vec![
            "for ".dim(),
            Span::raw(
                humantime::format_duration(std::time::Duration::from_secs(rule.for_seconds))
                    .to_string(),
            ),
        ]),
    ];
    if let Some(until) = &rule.silenced_until {
        lines.push(Line::from(vec![
            "silenced until ".dim(),
            Span::raw(clock(until)),
        ]));
    }
    if let Some(ms) = rule.last_duration_ms {
        lines.push(Line::from(vec![
            "last evaluation took ".dim(),
            Span::raw(format!("{ms} ms")),
        ]));
    }
    if let Some(error) = &rule.last_error {
        lines.push(Line::from(vec![
            "error ".fg(theme::BAD),
            Span::raw(error.clone()),
        ]));
    }
    if let Some(failure) = &rule.last_failure {
        lines.push(Line::from(vec![
            "delivery ".fg(theme::BAD),
            Span::raw(failure.clone()),
        ]));
    }
    lines.push(Line::from(""));
    lines.extend(
        rule.sql
            .lines()
            .map(|l| Line::from(l.to_string()).fg(theme::MUTED)),
    );
    let title = format!("Rule {} · Enter opens its rows", rule.name);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(pane_block(&title, false)),
        area,
    );
}

fn draw_history(frame: &mut Frame, view: &AlertsView, rule: Option<&RuleOverview>, area: Rect) {
    let entries: Vec<&HistoryEntry> = view
        .history
        .iter()
        .filter(|h| rule.is_none_or(|r| r.name == h.rule))
        .take(area.height.saturating_sub(3) as usize)
        .collect();
    let title = format!(
        "History · {}",
        rule.map_or("every rule", |r| r.name.as_str())
    );
    if entries.is_empty() {
        return note(frame, area, &title, Line::from("No transitions yet.").dim());
    }
    let rows = entries.iter().map(|h| {
        let labels = h
            .labels
            .0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        let to = match h.to.as_str() {
            "firing" => h.to.clone().fg(theme::BAD),
            "pending" => h.to.clone().fg(theme::WARNING),
            _ => h.to.clone().fg(theme::GOOD),
        };
        Row::new([
            Span::raw(clock(&h.at)),
            Span::raw(h.from.clone()),
            to,
            Span::raw(labels),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(19),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Min(10),
        ],
    )
    .header(table_header(&["at (UTC)", "from", "to", "labels"]))
    .block(pane_block(&title, false));
    frame.render_widget(table, area);
}
