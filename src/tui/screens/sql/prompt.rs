//! The editor's small prompts: find (Ctrl+F), find and replace (Ctrl+R) and go to line
//! (Ctrl+G), drawn on the editor's last row. Like the palette, an open prompt takes
//! every key; what a key comes to is returned for the SQL screen to apply to the editor.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Find,
    Replace,
    GoToLine,
}

/// An open prompt: what is typed for the search (or the line number) and, when
/// replacing, the replacement and which of the two fields takes the keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: String,
    pub with: String,
    pub on_with: bool,
}

/// What a key typed into a prompt comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Prompted {
    /// Still typing (nothing to do to the editor).
    Open,
    /// Esc: the prompt closes, the match found stays selected.
    Closed,
    /// The text searched for changed: select its first match from the cursor.
    Search,
    Next,
    Previous,
    /// Replace the selected match and select the next one.
    ReplaceNext,
    ReplaceAll,
    /// Enter on a line number.
    GoTo(usize),
}

impl Prompt {
    /// A prompt of `kind`, starting from the last search (find and replace).
    pub fn new(kind: PromptKind, last: &str) -> Self {
        let input = match kind {
            PromptKind::GoToLine => String::new(),
            _ => last.to_string(),
        };
        Self {
            kind,
            input,
            with: String::new(),
            on_with: false,
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> Prompted {
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let replacing = self.kind == PromptKind::Replace;
        match key.code {
            KeyCode::Esc => Prompted::Closed,
            KeyCode::Enter if self.kind == PromptKind::GoToLine => {
                self.input.parse().map_or(Prompted::Closed, Prompted::GoTo)
            }
            KeyCode::Char('a') if ctrl && replacing => Prompted::ReplaceAll,
            KeyCode::Enter if replacing => Prompted::ReplaceNext,
            KeyCode::Enter if shift => Prompted::Previous,
            KeyCode::Enter | KeyCode::Down | KeyCode::F(3) if !shift => Prompted::Next,
            KeyCode::Up | KeyCode::F(3) => Prompted::Previous,
            KeyCode::Tab | KeyCode::BackTab if replacing => {
                self.on_with = !self.on_with;
                Prompted::Open
            }
            KeyCode::Backspace => {
                self.field().pop();
                self.changed()
            }
            KeyCode::Char(c) if !ctrl => {
                if self.kind == PromptKind::GoToLine && !c.is_ascii_digit() {
                    return Prompted::Open;
                }
                self.field().push(c);
                self.changed()
            }
            _ => Prompted::Open,
        }
    }

    /// Text pasted into the prompt: its first line goes into the field with the keys.
    pub fn paste(&mut self, text: &str) -> Prompted {
        let line = text.lines().next().unwrap_or_default();
        if self.kind == PromptKind::GoToLine && !line.chars().all(|c| c.is_ascii_digit()) {
            return Prompted::Open;
        }
        self.field().push_str(line);
        self.changed()
    }

    fn field(&mut self) -> &mut String {
        if self.on_with {
            &mut self.with
        } else {
            &mut self.input
        }
    }

    /// A search follows the text typed, not the replacement or a line number.
    fn changed(&self) -> Prompted {
        match self.kind {
            PromptKind::Find | PromptKind::Replace if !self.on_with => Prompted::Search,
            _ => Prompted::Open,
        }
    }

    /// The text searched for, while a find or replace prompt is open.
    pub fn needle(&self) -> Option<&str> {
        (self.kind != PromptKind::GoToLine && !self.input.is_empty()).then_some(&self.input)
    }

    /// The prompt's line: label, fields and its keys, and where the typing cursor is
    /// (in characters from the line's start).
    pub fn line(&self, lines: usize) -> (String, usize) {
        match self.kind {
            PromptKind::Find => {
                let head = format!("Find: {}", self.input);
                let cursor = head.chars().count();
                (
                    format!("{head}  (Enter/↓ next, ↑ previous, Esc closes)"),
                    cursor,
                )
            }
            PromptKind::Replace => {
                let find = format!("Replace: {}", self.input);
                let with = format!("  with: {}", self.with);
                let cursor = if self.on_with {
                    find.chars().count() + with.chars().count()
                } else {
                    find.chars().count()
                };
                (
                    format!("{find}{with}  (Enter replaces, Ctrl+A all, Tab switches, Esc)"),
                    cursor,
                )
            }
            PromptKind::GoToLine => {
                let head = format!("Go to line (1–{lines}): {}", self.input);
                let cursor = head.chars().count();
                (format!("{head}  (Enter goes, Esc closes)"), cursor)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn find_prompt_searches_as_you_type() {
        let mut p = Prompt::new(PromptKind::Find, "old");
        assert_eq!(p.key(key(KeyCode::Backspace)), Prompted::Search);
        assert_eq!(p.input, "ol");
        assert_eq!(p.key(key(KeyCode::Char('£'))), Prompted::Search);
        assert_eq!(p.needle(), Some("ol£"));
        assert_eq!(p.key(key(KeyCode::Enter)), Prompted::Next);
        assert_eq!(p.key(key(KeyCode::Up)), Prompted::Previous);
        assert_eq!(
            p.key(KeyEvent::new(KeyCode::F(3), KeyModifiers::SHIFT)),
            Prompted::Previous
        );
        assert_eq!(p.key(key(KeyCode::Esc)), Prompted::Closed);
        assert_eq!(
            p.line(3).0,
            "Find: ol£  (Enter/↓ next, ↑ previous, Esc closes)"
        );
        assert_eq!(p.line(3).1, 9);
    }

    #[test]
    fn replace_prompt_has_two_fields() {
        let mut p = Prompt::new(PromptKind::Replace, "");
        p.key(key(KeyCode::Char('a')));
        assert_eq!(p.key(key(KeyCode::Tab)), Prompted::Open);
        assert_eq!(p.key(key(KeyCode::Char('b'))), Prompted::Open);
        assert_eq!((p.input.as_str(), p.with.as_str()), ("a", "b"));
        assert_eq!(p.key(key(KeyCode::Enter)), Prompted::ReplaceNext);
        assert_eq!(
            p.key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::CONTROL)),
            Prompted::ReplaceAll
        );
        assert_eq!(p.paste("cd\nef"), Prompted::Open);
        assert_eq!(p.with, "bcd");
    }

    #[test]
    fn go_to_line_takes_digits_only() {
        let mut p = Prompt::new(PromptKind::GoToLine, "ignored");
        assert_eq!(p.needle(), None);
        p.key(key(KeyCode::Char('1')));
        p.key(key(KeyCode::Char('x')));
        p.key(key(KeyCode::Char('2')));
        assert_eq!(p.key(key(KeyCode::Enter)), Prompted::GoTo(12));
        let mut empty = Prompt::new(PromptKind::GoToLine, "");
        assert_eq!(empty.key(key(KeyCode::Enter)), Prompted::Closed);
    }
}
