//! The SQL editor's text buffer: lines of text and a cursor, edited by key.
//! Plain data; drawing lives in the screen module.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, PartialEq)]
pub struct Editor {
    lines: Vec<String>,
    /// Cursor as (line, character index within the line).
    row: usize,
    col: usize,
}

impl Default for Editor {
    fn default() -> Self {
        Self::with_text("")
    }
}

impl Editor {
    pub fn with_text(text: &str) -> Self {
        let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        let row = lines.len() - 1;
        let col = lines[row].chars().count();
        Self { lines, row, col }
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.col)
    }

    pub fn set_text(&mut self, text: &str) {
        *self = Self::with_text(text);
    }

    fn byte_index(&self) -> usize {
        let line = &self.lines[self.row];
        line.char_indices()
            .nth(self.col)
            .map(|(i, _)| i)
            .unwrap_or(line.len())
    }

    fn line_chars(&self, row: usize) -> usize {
        self.lines[row].chars().count()
    }

    /// The identifier being typed just before the cursor (letters, digits, `_`, `.`).
    pub fn word_before_cursor(&self) -> String {
        let line: Vec<char> = self.lines[self.row].chars().take(self.col).collect();
        let start = line
            .iter()
            .rposition(|c| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
            .map_or(0, |p| p + 1);
        line[start..].iter().collect()
    }

    /// Inserts text at the cursor (one line).
    pub fn insert_str(&mut self, text: &str) {
        let at = self.byte_index();
        self.lines[self.row].insert_str(at, text);
        self.col += text.chars().count();
    }

    /// Applies one key of insert mode; returns whether the key was an edit or a motion.
    pub fn handle_key(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char(c) if !ctrl => {
                let at = self.byte_index();
                self.lines[self.row].insert(at, c);
                self.col += 1;
            }
            KeyCode::Tab => {
                let at = self.byte_index();
                self.lines[self.row].insert_str(at, "  ");
                self.col += 2;
            }
            KeyCode::Enter => {
                let at = self.byte_index();
                let rest = self.lines[self.row].split_off(at);
                self.lines.insert(self.row + 1, rest);
                self.row += 1;
                self.col = 0;
            }
            KeyCode::Backspace => {
                if self.col > 0 {
                    self.col -= 1;
                    let at = self.byte_index();
                    self.lines[self.row].remove(at);
                } else if self.row > 0 {
                    let line = self.lines.remove(self.row);
                    self.row -= 1;
                    self.col = self.line_chars(self.row);
                    self.lines[self.row].push_str(&line);
                }
            }
            KeyCode::Delete => {
                if self.col < self.line_chars(self.row) {
                    let at = self.byte_index();
                    self.lines[self.row].remove(at);
                } else if self.row + 1 < self.lines.len() {
                    let next = self.lines.remove(self.row + 1);
                    self.lines[self.row].push_str(&next);
                }
            }
            KeyCode::Left if self.col > 0 => self.col -= 1,
            KeyCode::Left if self.row > 0 => {
                self.row -= 1;
                self.col = self.line_chars(self.row);
            }
            KeyCode::Right if self.col < self.line_chars(self.row) => self.col += 1,
            KeyCode::Right if self.row + 1 < self.lines.len() => {
                self.row += 1;
                self.col = 0;
            }
            KeyCode::Up if self.row > 0 => {
                self.row -= 1;
                self.col = self.col.min(self.line_chars(self.row));
            }
            KeyCode::Down if self.row + 1 < self.lines.len() => {
                self.row += 1;
                self.col = self.col.min(self.line_chars(self.row));
            }
            KeyCode::Home => self.col = 0,
            KeyCode::End => self.col = self.line_chars(self.row),
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_newlines_and_backspace() {
        let mut e = Editor::default();
        for c in "select 1".chars() {
            e.handle_key(key(KeyCode::Char(c)));
        }
        e.handle_key(key(KeyCode::Enter));
        e.handle_key(key(KeyCode::Char('£')));
        assert_eq!(e.text(), "select 1\n£");
        e.handle_key(key(KeyCode::Backspace));
        e.handle_key(key(KeyCode::Backspace));
        assert_eq!(e.text(), "select 1");
        assert_eq!(e.cursor(), (0, 8));
        e.handle_key(key(KeyCode::Home));
        e.handle_key(key(KeyCode::Delete));
        assert_eq!(e.text(), "elect 1");
    }
}
