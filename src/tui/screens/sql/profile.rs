//! Drawing the column profile overlay: the counts, the range, the mean and quantiles
//! of numbers and dates, and the top values with their count, share and a bar each.

use ratatui::Frame;
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::format::thousands;
use crate::tui::grid::profile::ProfilePane;
use crate::tui::theme;
use crate::tui::widgets::popup::{clip, popup};
use crate::warehouse::profile::ColumnProfile;

/// Width of a top value's text.
const VALUE_WIDTH: usize = 28;

pub(super) fn draw_profile(frame: &mut Frame, pane: &ProfilePane) {
    let Some(profile) = &pane.profile else {
        let title = format!(" Profile of {} ", pane.column);
        let inner = popup(frame, 60, 3, true, title);
        let text = "computing over the whole result… (Esc cancels)";
        frame.render_widget(Paragraph::new(text).fg(theme::ACCENT), inner);
        return;
    };
    let title = format!(
        " Profile of {} ({}) · j/k choose, Enter filters, Esc closes ",
        profile.column, profile.data_type
    );
    let mut lines = head_lines(profile);
    let height = (lines.len() + profile.top.len()) as u16 + 2;
    let inner = popup(frame, 96, height, true, title);
    let room = (inner.height as usize).saturating_sub(lines.len()).max(1);
    let skip = (pane.selected + 1).saturating_sub(room);
    let bar_room = (inner.width as usize).saturating_sub(VALUE_WIDTH + 20);
    let most = profile.top.first().map_or(1, |t| t.count.max(1));
    for (i, top) in profile.top.iter().enumerate().skip(skip).take(room) {
        let value = top.value.as_deref().unwrap_or("NULL");
        let bar = "█".repeat(((top.count as f64 / most as f64) * bar_room as f64).ceil() as usize);
        let text = format!(
            "{:<VALUE_WIDTH$} {:>10} {:>6}  ",
            clip(value, VALUE_WIDTH),
            thousands(top.count),
            percent(top.count, profile.rows)
        );
        let style = if i == pane.selected {
            theme::selected()
        } else {
            Style::new()
        };
        lines.push(Line::from(vec![
            Span::styled(text, style),
            Span::styled(bar, Style::new().fg(theme::BAR)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The figures of a profile (the mean and quantiles of numbers and dates) and the
/// header of its top values.
fn head_lines(p: &ColumnProfile) -> Vec<Line<'static>> {
    let name = |text: &str| Span::styled(format!("{text} "), Style::new().fg(theme::HEADING));
    let value = |text: String| Span::raw(format!("{text}   "));
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "NULL".into());
    let mut summary = Vec::new();
    if let Some(mean) = &p.mean {
        summary.extend([name("mean"), value(mean.clone())]);
    }
    for (label, v) in &p.quantiles {
        summary.extend([name(label), value(text(v))]);
    }
    let mut lines = vec![
        Line::from(vec![
            name("rows"),
            value(thousands(p.rows)),
            name("nulls"),
            value(format!(
                "{} ({})",
                thousands(p.nulls),
                percent(p.nulls, p.rows)
            )),
            name("distinct"),
            value(thousands(p.distinct)),
        ]),
        Line::from(vec![
            name("min"),
            value(text(&p.min)),
            name("max"),
            value(text(&p.max)),
        ]),
    ];
    if !summary.is_empty() {
        lines.push(Line::from(summary));
    }
    lines.push(Line::from(""));
    lines.push(
        Line::from(format!(
            "{:<VALUE_WIDTH$} {:>10} {:>6}  top {} values",
            "value",
            "rows",
            "%",
            p.top.len()
        ))
        .style(theme::header()),
    );
    lines
}

fn percent(part: u64, whole: u64) -> String {
    format!("{:.1}%", 100.0 * part as f64 / whole.max(1) as f64)
}
