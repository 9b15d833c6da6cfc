//! The command palette (`:` or Ctrl+P): a fuzzy search over every action of the bindings
//! in force, `load PATH` to load the user's files, `open PATH` to open files as views,
//! `import [VIEW]` to copy an opened view into a table and `auto-refresh N|off` to
//! re-run the SQL tab's last run every N seconds. Tab completes the PATH of
//! `open` and `load` from the filesystem. It takes every key while open.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Position;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::action::Action;
use super::keymap::{Binding, key_labels};
use super::theme;
use super::widgets::popup::{clip, popup};

/// The command palette: a query and the selected match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Palette {
    pub query: String,
    pub selected: usize,
    /// The file names the last Tab left to choose from, listed instead of commands.
    pub candidates: Vec<String>,
}

/// The palette's commands that take a PATH, which Tab completes.
const PATH_COMMANDS: [&str; 2] = ["open ", "load "];

/// What a key typed into the palette comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    /// Still typing.
    Open,
    /// Esc, or Enter on nothing.
    Closed,
    /// Enter on a command: run its action.
    Run(Action),
    /// Enter on `load PATH`.
    Load(String),
    /// Enter on `open PATH`.
    OpenPath(String),
    /// Enter on `import` (the selected view: empty) or `import VIEW`.
    Import(String),
}

impl Palette {
    /// Typing into the palette; Enter runs the selected command, Esc closes.
    pub fn key(&mut self, key: KeyEvent, commands: &[PaletteItem]) -> Typed {
        match key.code {
            KeyCode::Esc => return Typed::Closed,
            KeyCode::Enter if self.query.starts_with("load ") => {
                return Typed::Load(self.query["load ".len()..].trim().to_string());
            }
            KeyCode::Enter if self.query.starts_with("open ") => {
                return Typed::OpenPath(self.query["open ".len()..].trim().to_string());
            }
            KeyCode::Enter if !self.auto_refresh().is_empty() => {
                return Typed::Run(Action::SetAutoRefresh(self.auto_refresh().to_string()));
            }
            KeyCode::Enter if self.query == "import" || self.query.starts_with("import ") => {
                return Typed::Import(self.query["import".len()..].trim().to_string());
            }
            KeyCode::Tab => {
                if let Some(command) = PATH_COMMANDS.iter().find(|c| self.query.starts_with(**c)) {
                    let typed = self.query[command.len()..].trim_start();
                    let (completed, candidates) = super::path_complete::complete(typed);
                    self.query = format!("{command}{completed}");
                    self.candidates = candidates;
                }
                return Typed::Open;
            }
            KeyCode::Enter => {
                return palette_matches(commands, &self.query)
                    .get(self.selected)
                    .map_or(Typed::Closed, |item| Typed::Run(item.action.clone()));
            }
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => self.selected += 1,
            KeyCode::Backspace => {
                self.query.pop();
                self.selected = 0;
                self.candidates.clear();
            }
            KeyCode::Char(c) => {
                self.query.push(c);
                self.selected = 0;
                self.candidates.clear();
            }
            _ => {}
        }
        let count = palette_matches(commands, &self.query).len();
        self.selected = self.selected.min(count.saturating_sub(1));
        Typed::Open
    }

    /// The interval of `auto-refresh N` (or `off`); empty for any other query.
    fn auto_refresh(&self) -> &str {
        self.query
            .strip_prefix("auto-refresh ")
            .map_or("", str::trim)
    }
}

/// One entry of the command palette.
#[derive(Debug, Clone, PartialEq)]
pub struct PaletteItem {
    pub label: String,
    pub keys: String,
    pub action: Action,
}

/// Whether every character of `query` appears in `text` in order (case-insensitive).
fn fuzzy(query: &str, text: &str) -> bool {
    let mut chars = text.chars().flat_map(char::to_lowercase);
    query
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace())
        .all(|q| chars.any(|c| c == q))
}

/// Every action of the bindings in force as a palette entry (movement keys, Esc and the
/// palette itself left out), in keymap order.
pub fn palette_items(bindings: &[Binding]) -> Vec<PaletteItem> {
    let mut items: Vec<PaletteItem> = Vec::new();
    for b in bindings {
        let action = b.action();
        let skip = matches!(
            action,
            Action::OpenPalette | Action::Move(_) | Action::MovePage(_) | Action::Escape
        );
        if skip || items.iter().any(|i| i.action == action) {
            continue;
        }
        items.push(PaletteItem {
            label: b.help.to_string(),
            keys: key_labels(&b.keys),
            action,
        });
    }
    items
}

/// The palette entries whose description matches `query`.
/// Entries containing the query as written come first, then the looser matches.
pub fn palette_matches<'a>(items: &'a [PaletteItem], query: &str) -> Vec<&'a PaletteItem> {
    let needle = query.trim().to_lowercase();
    let mut found: Vec<&PaletteItem> = items.iter().filter(|i| fuzzy(query, &i.label)).collect();
    found.sort_by_key(|i| !i.label.to_lowercase().contains(&needle));
    found
}

pub fn draw_palette(frame: &mut Frame, palette: &Palette, commands: &[PaletteItem]) {
    let matches = palette_matches(commands, &palette.query);
    let listed = if palette.candidates.is_empty() {
        matches.len()
    } else {
        palette.candidates.len()
    };
    let height = listed.min(12) as u16 + 3;
    let title = " Command palette (Enter runs, Esc closes; open PATH, Tab completes) ".to_string();
    let inner = popup(frame, 72, height, false, title);
    let mut lines = vec![Line::from(vec![
        Span::styled("> ", Style::new().fg(theme::ACCENT)),
        Span::raw(palette.query.clone()),
    ])];
    let keys_width = 18usize;
    let rows = inner.height.saturating_sub(1) as usize;
    lines.extend(palette.candidates.iter().take(rows).map(|name| {
        Line::styled(
            clip(name, inner.width as usize),
            Style::new().fg(theme::MUTED),
        )
    }));
    let matches = if palette.candidates.is_empty() {
        matches
    } else {
        Vec::new()
    };
    for (i, item) in matches
        .iter()
        .take(inner.height.saturating_sub(1) as usize)
        .enumerate()
    {
        let style = if i == palette.selected {
            theme::selected()
        } else {
            Style::new()
        };
        let label_width = (inner.width as usize).saturating_sub(keys_width + 1);
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<label_width$}", clip(&item.label, label_width)),
                style,
            ),
            Span::styled(
                format!(" {:>keys_width$}", clip(&item.keys, keys_width)),
                style.fg(theme::MUTED),
            ),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    frame.set_cursor_position(Position::new(
        inner.x + 2 + palette.query.chars().count() as u16,
        inner.y,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::bindings;
    use crate::tui::screen::Screen;
    use ratatui::crossterm::event::KeyModifiers;

    #[test]
    fn fuzzy_matching() {
        assert!(fuzzy("dq", "data quality: quarantine"));
        assert!(fuzzy("Run SQL", "run the SQL in the editor"));
        assert!(!fuzzy("zz", "quit"));
        let items = palette_items(&bindings());
        let matches = palette_matches(&items, "quality");
        assert_eq!(matches[0].action, Action::ShowScreen(Screen::Quality));
        assert!(palette_matches(&items, "").len() > 10);
    }

    #[test]
    fn typing_choosing_and_loading() {
        let items = palette_items(&bindings());
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        let mut palette = Palette::default();
        for c in "qualit".chars() {
            assert_eq!(palette.key(key(KeyCode::Char(c)), &items), Typed::Open);
        }
        palette.key(key(KeyCode::Down), &items);
        palette.key(key(KeyCode::Up), &items);
        assert_eq!(palette.selected, 0);
        assert_eq!(
            palette.key(key(KeyCode::Enter), &items),
            Typed::Run(Action::ShowScreen(Screen::Quality))
        );
        let mut palette = Palette {
            query: "load  data/*.csv ".into(),
            ..Palette::default()
        };
        assert_eq!(
            palette.key(key(KeyCode::Enter), &items),
            Typed::Load("data/*.csv".into())
        );
        assert_eq!(palette.key(key(KeyCode::Esc), &items), Typed::Closed);
        let typed = |text: &str| {
            let mut palette = Palette {
                query: text.into(),
                ..Palette::default()
            };
            palette.key(key(KeyCode::Enter), &items)
        };
        assert_eq!(typed("open lake/ "), Typed::OpenPath("lake/".into()));
        assert_eq!(typed("import"), Typed::Import(String::new()));
        assert_eq!(typed("import lines"), Typed::Import("lines".into()));
        assert_eq!(
            typed("auto-refresh 5s "),
            Typed::Run(Action::SetAutoRefresh("5s".into()))
        );
        assert_eq!(
            typed("auto-refresh"),
            Typed::Run(Action::ToggleAutoRefresh),
            "without an interval: the key's command"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sales.parquet"), "").unwrap();
        let mut palette = Palette {
            query: format!("open {}/sa", dir.path().display()),
            ..Palette::default()
        };
        assert_eq!(palette.key(key(KeyCode::Tab), &items), Typed::Open);
        assert_eq!(
            palette.query,
            format!("open {}/sales.parquet", dir.path().display())
        );
        let mut nothing = Palette::default();
        for c in "zzzz".chars() {
            nothing.key(key(KeyCode::Char(c)), &items);
        }
        nothing.key(key(KeyCode::Down), &items);
        assert_eq!(nothing.selected, 0, "no match: nothing to move to");
        assert_eq!(nothing.key(key(KeyCode::Enter), &items), Typed::Closed);
    }
}
