//! Drawing the topic browser: the topics with their groups' lag, a topic's messages,
//! one message decoded, and the two lines under them (how the read stands, the keys or
//! the prompt).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, Wrap};
use serde_json::Value;

use super::{KEPT, MessageList, ReadState, TopicBrowser};
use crate::format::thousands;
use crate::stream::browse::{BrowsedMessage, TopicSummary};
use crate::tui::theme;
use crate::tui::widgets::pane::{pane_block, table_header};
use crate::tui::widgets::selectable::{render_selectable, table_offset};

impl TopicBrowser {
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let [body, footer] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(2)]).areas(area);
        match &self.list {
            Some(list) => match list.detail {
                Some(scroll) => draw_detail(frame, list, scroll, body),
                None => draw_messages(frame, list, body),
            },
            None => self.draw_topics(frame, body),
        }
        self.draw_footer(frame, footer);
    }

    fn draw_topics(&self, frame: &mut Frame, area: Rect) {
        let title = format!("Kafka topics on {}", self.brokers);
        let topics = match &self.topics {
            None => {
                let text = Paragraph::new("listing the topics…").dim();
                frame.render_widget(text.block(pane_block(&title, true)), area);
                return;
            }
            Some(Err(why)) => {
                let text = Paragraph::new(why.as_str())
                    .fg(theme::BAD)
                    .wrap(Wrap { trim: true });
                frame.render_widget(text.block(pane_block(&title, true)), area);
                return;
            }
            Some(Ok(topics)) => topics,
        };
        let [list, groups] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
        if topics.is_empty() {
            let text = Paragraph::new("the brokers hold no topics").dim();
            frame.render_widget(text.block(pane_block(&title, true)), area);
            return;
        }
        let name_width = topics
            .iter()
            .map(|t| t.topic.chars().count())
            .max()
            .unwrap_or(5)
            .clamp(5, 48) as u16;
        let rows = topics.iter().map(|t| {
            let ends: Vec<String> = t
                .partitions
                .iter()
                .map(|p| format!("{}:{}", p.partition, p.end))
                .collect();
            let lags: Vec<String> = t
                .groups
                .iter()
                .map(|g| format!("{} {}", g.group, thousands(g.lag.max(0) as u64)))
                .collect();
            Row::new([
                t.topic.clone(),
                t.partitions.len().to_string(),
                thousands(t.messages.max(0) as u64),
                ends.join(" "),
                if lags.is_empty() {
                    "-".to_string()
                } else {
                    lags.join(" · ")
                },
            ])
        });
        let widths = [
            Constraint::Length(name_width),
            Constraint::Length(5),
            Constraint::Length(9),
            Constraint::Fill(1),
            Constraint::Fill(2),
        ];
        let table = Table::new(rows, widths)
            .header(table_header(&[
                "topic",
                "parts",
                "messages",
                "end offsets",
                "groups (lag)",
            ]))
            .block(pane_block(&title, true));
        render_selectable(frame, table, list, Some(self.selected));
        if let Some(topic) = topics.get(self.selected) {
            draw_groups(frame, topic, groups);
        }
    }

    /// How the read stands (or what the last command said), then the keys or the prompt.
    fn draw_footer(&self, frame: &mut Frame, area: Rect) {
        let state = match (&self.note, &self.list) {
            // A refusal may take both lines: it matters more than the keys.
            (Some(Err(why)), _) if self.prompt.is_none() => {
                let text = Paragraph::new(why.as_str())
                    .fg(theme::BAD)
                    .wrap(Wrap { trim: true });
                frame.render_widget(text, area);
                return;
            }
            (Some(Err(why)), _) => {
                Line::styled(why.as_str().to_string(), Style::new().fg(theme::BAD))
            }
            (Some(Ok(said)), _) => Line::raw(said.clone()),
            (None, Some(list)) => state_line(list),
            (None, None) => Line::raw(match &self.topics {
                Some(Ok(topics)) => format!(
                    "{} topic(s); the groups' lag is their committed offsets behind the ends",
                    topics.len()
                ),
                _ => String::new(),
            }),
        };
        let second = match &self.prompt {
            Some(prompt) => {
                let [label, input] =
                    Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
                frame.render_widget(Paragraph::new(prompt.kind.label()).fg(theme::MUTED), label);
                let line = Line::from(vec![
                    Span::styled("> ", Style::new().fg(theme::ACCENT)),
                    Span::raw(prompt.text.clone()),
                ]);
                frame.render_widget(Paragraph::new(line), input);
                let x = input.x + 2 + prompt.text.chars().count() as u16;
                frame.set_cursor_position(Position::new(x.min(input.right()), input.y));
                return;
            }
            None => keys_line(self),
        };
        frame.render_widget(Paragraph::new(vec![state, second]), area);
    }
}

/// The keys that apply where the browser is.
fn keys_line(browser: &TopicBrowser) -> Line<'static> {
    let keys = match &browser.list {
        None => {
            "Enter: messages (newest) · s: from a start · /: filter · r: list again · Esc: back to the tail"
        }
        Some(list) if list.detail.is_some() => "↑↓: scroll · Esc: back to the messages",
        Some(list) if list.state == ReadState::PageFull => {
            "n: next page · Enter: the message · /: filter · s: start · x: export · Esc: topics"
        }
        Some(_) => {
            "Enter: the message · /: filter · s: start · r: read again · x: export · Esc: topics"
        }
    };
    Line::styled(keys, Style::new().fg(theme::MUTED))
}

fn state_line(list: &MessageList) -> Line<'static> {
    let text = match &list.state {
        ReadState::Opening => "finding where to start…".to_string(),
        ReadState::Reading => "reading…".to_string(),
        ReadState::PageFull => format!(
            "{} message(s) so far; more follow: n reads the next page",
            thousands(list.matched())
        ),
        ReadState::Following => "following: new messages appear as they arrive".to_string(),
        ReadState::Done(summary) => format!(
            "read to the end: {} of {} message(s) passed the filter",
            thousands(summary.matched),
            thousands(summary.read)
        ),
        ReadState::Failed(why) => {
            return Line::styled(why.clone(), Style::new().fg(theme::BAD));
        }
    };
    Line::raw(text)
}

/// Every group's position on `topic`, partition by partition.
fn draw_groups(frame: &mut Frame, topic: &TopicSummary, area: Rect) {
    let title = format!("Consumer groups on {}", topic.topic);
    if topic.groups.is_empty() {
        let text = Paragraph::new("no group has committed an offset here").dim();
        frame.render_widget(text.block(pane_block(&title, false)), area);
        return;
    }
    let rows = topic.groups.iter().flat_map(|g| {
        g.partitions.iter().map(move |p| {
            Row::new([
                g.group.clone(),
                g.state.clone(),
                p.partition.to_string(),
                p.committed.map_or("-".into(), |c| c.to_string()),
                p.end.to_string(),
                thousands(p.lag.max(0) as u64),
            ])
        })
    });
    let widths = [
        Constraint::Fill(2),
        Constraint::Length(11),
        Constraint::Length(9),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(9),
    ];
    let table = Table::new(rows, widths)
        .header(table_header(&[
            "group",
            "state",
            "partition",
            "committed",
            "end",
            "lag",
        ]))
        .block(pane_block(&title, false));
    frame.render_widget(table, area);
}

fn messages_title(list: &MessageList) -> String {
    let mut title = format!("{} · from {}", list.topic, list.start);
    if let Some(filter) = &list.filter {
        title += &format!(" · filter {filter}");
    }
    title += &format!(" · {} message(s)", thousands(list.matched()));
    if list.dropped > 0 {
        title += &format!(" · the last {} kept", thousands(KEPT as u64));
    }
    title
}

fn draw_messages(frame: &mut Frame, list: &MessageList, area: Rect) {
    let title = messages_title(list);
    if list.kept.is_empty() {
        let (text, style) = match &list.state {
            ReadState::Failed(why) => (why.clone(), Style::new().fg(theme::BAD)),
            ReadState::Done(_) => ("no message to show".to_string(), Style::new().dim()),
            ReadState::Following => ("no new message yet".to_string(), Style::new().dim()),
            _ => ("reading…".to_string(), Style::new().dim()),
        };
        let text = Paragraph::new(text).style(style).wrap(Wrap { trim: true });
        frame.render_widget(text.block(pane_block(&title, true)), area);
        return;
    }
    // Only the rows in view are made: the list may hold ten thousand.
    let first = table_offset(area, Some(list.selected));
    let visible = area.height.saturating_sub(3).max(1) as usize;
    let rows = list.kept.iter().skip(first).take(visible).map(|m| {
        Row::new([
            format!("{}:{}", m.partition, m.offset),
            m.timestamp
                .map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
            m.key.clone().unwrap_or_else(|| "-".into()),
            one_line(m),
        ])
    });
    let widths = [
        Constraint::Length(11),
        Constraint::Length(19),
        Constraint::Length(8),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths)
        .header(table_header(&["part:offset", "timestamp", "key", "value"]))
        .block(pane_block(&title, true));
    render_selectable(frame, table, area, Some(list.selected - first));
}

/// A message's value on one line: compact JSON, or the text with its breaks as spaces.
fn one_line(message: &BrowsedMessage) -> String {
    match &message.value {
        Value::String(text) => text.replace(['\n', '\r'], " "),
        other => other.to_string(),
    }
}

fn draw_detail(frame: &mut Frame, list: &MessageList, scroll: u16, area: Rect) {
    let Some(message) = list.selected_message() else {
        return;
    };
    let title = format!(
        "{} · partition {} · offset {}",
        message.topic, message.partition, message.offset
    );
    let text = Paragraph::new(message.pretty())
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    frame.render_widget(text.block(pane_block(&title, true)), area);
}
