//! The help overlay's text, generated from the bindings in force: one section per place
//! a key works (everywhere, each screen, each pane of the SQL screen), so every screen's
//! keys can be read from any screen. The overlay scrolls, so its height is decided here
//! for both the drawing and the app's scroll limits.

use super::binding::{Binding, Scope};
use super::keys::key_labels;
use crate::format::wrap_words;
use crate::tui::focus::Pane;
use crate::tui::screen::Screen;

/// One part of the help: a heading and its keys with what they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpSection {
    pub title: String,
    /// (keys, what they do and the command's name for `[tui.keys]`).
    pub lines: Vec<(String, String)>,
}

/// Where a binding's keys work, in the order the help shows them.
fn place(scope: Scope) -> (usize, String) {
    let screen = |s: Screen| {
        let position = Screen::TABS.iter().position(|(t, _, _)| *t == s);
        let (_, key, name) = Screen::TABS[position.unwrap_or(0)];
        (position.unwrap_or(0), format!("{key} {name} screen"))
    };
    let sql = screen(Screen::Sql).0;
    // The SQL screen's parts follow its screen-wide keys, in the order of their panes.
    let sql_part = |offset: usize, name: &str| (sql * 10 + offset, format!("2 SQL: {name}"));
    match scope {
        Scope::Always | Scope::Normal => (0, "Everywhere".to_string()),
        Scope::Screen(s) => {
            let (position, title) = screen(s);
            (position * 10 + 10, title)
        }
        Scope::Pane(Pane::Editor) => sql_part(11, "editor"),
        Scope::Insert => sql_part(12, "while editing SQL (i)"),
        Scope::Pane(Pane::Grid) => sql_part(13, "results grid"),
        Scope::Pane(Pane::Catalog) => sql_part(14, "catalog"),
        Scope::Chart => sql_part(15, "chart of a result"),
        Scope::Browser => {
            let (position, _) = screen(Screen::Stream);
            (
                position * 10 + 11,
                "5 Stream: topic browser (b)".to_string(),
            )
        }
    }
}

/// The help's sections: everywhere first, then each screen in tab order.
pub fn help_sections(bindings: &[Binding]) -> Vec<HelpSection> {
    let mut places: Vec<(usize, HelpSection)> = Vec::new();
    for b in bindings {
        let (order, title) = place(b.scope);
        let line = (
            key_labels(&b.keys),
            format!("{}  [{}]", b.help, b.command.name()),
        );
        match places.iter_mut().find(|(o, _)| *o == order) {
            Some((_, section)) => section.lines.push(line),
            None => places.push((
                order,
                HelpSection {
                    title,
                    lines: vec![line],
                },
            )),
        }
    }
    places.sort_by_key(|(order, _)| *order);
    places.into_iter().map(|(_, section)| section).collect()
}

/// One row of the help as drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpRow {
    Heading(String),
    /// Keys, and the first part of what they do.
    Keys(String, String),
    /// The rest of a description too long for one row, under its first part.
    More(String),
    Blank,
}

/// Widest the help's box gets.
const HELP_MAX_WIDTH: u16 = 120;

/// The help box's width on a terminal `width` columns wide, borders included.
pub fn help_box_width(width: u16) -> u16 {
    width.saturating_sub(4).min(HELP_MAX_WIDTH)
}

/// The help as rows for a terminal `width` columns wide: each section's heading, its
/// keys with their descriptions wrapped at word boundaries, and a blank row after it.
pub fn help_rows(sections: &[HelpSection], width: u16) -> Vec<HelpRow> {
    let key_width = sections
        .iter()
        .flat_map(|s| &s.lines)
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    // Inside the borders: two spaces, the keys, two spaces, the description.
    let room = (help_box_width(width) as usize)
        .saturating_sub(2 + 2 + key_width + 2)
        .max(16);
    let mut rows = Vec::new();
    for section in sections {
        rows.push(HelpRow::Heading(section.title.clone()));
        for (keys, help) in &section.lines {
            let mut parts = wrap_words(help, room).into_iter();
            rows.push(HelpRow::Keys(
                format!("{keys:<key_width$}"),
                parts.next().unwrap_or_default(),
            ));
            rows.extend(parts.map(HelpRow::More));
        }
        rows.push(HelpRow::Blank);
    }
    rows
}

/// How many rows of help show at once in a terminal `height` rows tall: the box leaves
/// a row above and below, and keeps its borders and a footer line.
pub fn help_view_height(height: u16) -> usize {
    (height as usize).saturating_sub(2 + 2 + 1).max(1)
}

/// The first row shown when the help's `rows` rows are scrolled to `scroll` in a
/// terminal `height` rows tall: never past the point where the last row reaches the
/// bottom.
pub fn help_first_line(scroll: usize, rows: usize, height: u16) -> usize {
    scroll.min(rows.saturating_sub(help_view_height(height)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::bindings;

    #[test]
    fn every_binding_is_in_one_section_everywhere_first_then_screens_in_tab_order() {
        let all = bindings();
        let sections = help_sections(&all);
        let count: usize = sections.iter().map(|s| s.lines.len()).sum();
        assert_eq!(count, all.len());
        let titles: Vec<&str> = sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles[0], "Everywhere");
        let position = |t: &str| titles.iter().position(|x| *x == t).unwrap();
        assert!(position("1 Dashboard screen") < position("2 SQL: results grid"));
        assert!(position("2 SQL: results grid") < position("3 Models screen"));
        assert!(position("3 Models screen") < position("6 ML screen"));
        let models = &sections[position("3 Models screen")];
        assert!(
            models
                .lines
                .iter()
                .any(|(_, help)| help.contains("[build_all]")),
            "{models:?}"
        );
    }

    #[test]
    fn scrolling_stops_where_the_last_line_shows() {
        let sections = help_sections(&bindings());
        let length = help_rows(&sections, 80).len();
        assert_eq!(help_first_line(0, length, 24), 0);
        assert_eq!(
            help_first_line(10_000, length, 24),
            length - help_view_height(24)
        );
        let wide = help_rows(&sections, 200).len();
        assert_eq!(help_first_line(10_000, wide, 500), 0, "all of it fits");
        assert!(
            help_rows(&sections, 80).len() > help_rows(&sections, 200).len(),
            "narrow terminals wrap long descriptions"
        );
    }
}
