//! Screen 7, data quality: quarantined rows by file and reason, files rejected whole,
//! and the tail's dead letters by topic and reason. Nothing is lost at ingest or in the
//! stream; this is where the rejects are seen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Stylize;
use ratatui::widgets::{Paragraph, Row, Table};

use crate::format::thousands;
use crate::tui::action::Action;
use crate::tui::failure::Reported;
use crate::tui::widgets::pane::{pane_block, table_header};
use crate::warehouse::catalog::QualitySummary;

/// The rejects, once loaded.
#[derive(Debug, Clone, Default)]
pub struct QualityScreen {
    pub summary: Option<Reported<QualitySummary>>,
}

impl QualityScreen {
    pub fn update(&mut self, action: Action) {
        if let Action::QualityLoaded(result) = action {
            self.summary = Some(result);
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        draw(frame, self, area);
    }
}

fn draw(frame: &mut Frame, quality: &QualityScreen, area: Rect) {
    let summary = match &quality.summary {
        None => {
            frame.render_widget(
                Paragraph::new("loading…")
                    .dim()
                    .block(pane_block("Data quality", false)),
                area,
            );
            return;
        }
        Some(Err(e)) => {
            frame.render_widget(
                Paragraph::new(e.as_str()).block(pane_block("Data quality", false)),
                area,
            );
            return;
        }
        Some(Ok(summary)) => summary,
    };
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(65), Constraint::Percentage(35)]).areas(area);
    let total: u64 = summary.quarantined.iter().map(|q| q.2).sum();
    let title = format!("Quarantined rows: {} (raw.quarantine)", thousands(total));
    if summary.quarantined.is_empty() {
        frame.render_widget(
            Paragraph::new("No quarantined rows: every line parsed.")
                .block(pane_block(&title, false)),
            top,
        );
    } else {
        let rows = summary
            .quarantined
            .iter()
            .map(|(file, reason, n)| Row::new([file.clone(), reason.clone(), thousands(*n)]));
        let table = Table::new(
            rows,
            [
                Constraint::Percentage(40),
                Constraint::Percentage(50),
                Constraint::Length(10),
            ],
        )
        .header(table_header(&["file", "reason", "rows"]))
        .block(pane_block(&title, false));
        frame.render_widget(table, top);
    }
    let [rejected_area, dead_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    draw_dead_letters(frame, summary, dead_area);
    let bottom = rejected_area;
    let title = format!(
        "Rejected files: {} (meta.rejected_files)",
        summary.rejected.len()
    );
    if summary.rejected.is_empty() {
        frame.render_widget(
            Paragraph::new("No file was rejected.").block(pane_block(&title, false)),
            bottom,
        );
    } else {
        let rows = summary
            .rejected
            .iter()
            .map(|(file, reason)| Row::new([file.clone(), reason.clone()]));
        let table = Table::new(
            rows,
            [Constraint::Percentage(40), Constraint::Percentage(60)],
        )
        .header(table_header(&["file", "reason"]))
        .block(pane_block(&title, false));
        frame.render_widget(table, bottom);
    }
}

/// The tail's dead letters by topic and kind of reason.
fn draw_dead_letters(frame: &mut Frame, summary: &QualitySummary, area: Rect) {
    let total: u64 = summary.dead_letters.iter().map(|d| d.2).sum();
    let title = format!("Dead letters: {} (stream.dead_letters)", thousands(total));
    if summary.dead_letters.is_empty() {
        frame.render_widget(
            Paragraph::new("No dead letter: every message was a valid event.")
                .block(pane_block(&title, false)),
            area,
        );
        return;
    }
    let rows = summary
        .dead_letters
        .iter()
        .map(|(topic, reason, n)| Row::new([topic.clone(), reason.clone(), thousands(*n)]));
    let table = Table::new(
        rows,
        [
            Constraint::Percentage(35),
            Constraint::Percentage(50),
            Constraint::Length(9),
        ],
    )
    .header(table_header(&["topic", "reason", "messages"]))
    .block(pane_block(&title, false));
    frame.render_widget(table, area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_is_kept_as_it_arrives() {
        let mut screen = QualityScreen::default();
        screen.update(Action::Tick);
        assert_eq!(screen.summary, None);
        screen.update(Action::QualityLoaded(Err("no warehouse".into())));
        assert_eq!(screen.summary, Some(Err("no warehouse".into())));
    }
}
