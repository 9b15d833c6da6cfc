//! The SQL editor: a multi-line buffer with a cursor, a selection (Shift+arrows, mouse
//! drag, select all), undo and redo, cut/copy/paste, find and replace, comment toggle,
//! bracket matching and formatting. Plain data edited by key or by method; drawing
//! lives in the SQL screen. Every change of the text goes through [`Editor::replace`],
//! so every change can be undone.
//!
//! The parts: `buffer` (lines and primitive edits), `history` (undo/redo steps),
//! `search` (matches), `commands` (comment toggle, brackets, go to line), `format`.

mod buffer;
mod commands;
mod format;
mod history;
pub mod search;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use buffer::Pos;
use history::{Edit, EditKind, History};

#[derive(Debug, Clone, PartialEq)]
pub struct Editor {
    lines: Vec<String>,
    cursor: Pos,
    /// Where the selection started; the selection runs from here to the cursor.
    anchor: Option<Pos>,
    history: History,
}

impl Default for Editor {
    fn default() -> Self {
        Self::with_text("")
    }
}

impl Editor {
    pub fn with_text(text: &str) -> Self {
        let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        let cursor = buffer::end(&lines);
        Self {
            lines,
            cursor,
            anchor: None,
            history: History::default(),
        }
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The cursor as (line, character index within the line).
    pub fn cursor(&self) -> (usize, usize) {
        (self.cursor.row, self.cursor.col)
    }

    /// Replaces the whole text (history, the external editor, a catalog table) as one
    /// step that undo takes back; the cursor goes to the end.
    pub fn set_text(&mut self, text: &str) {
        let end = buffer::end(&self.lines);
        self.replace(Pos::default(), end, text, EditKind::Other);
    }

    /// The selection as ordered start and end, when it is not empty.
    pub fn selection(&self) -> Option<(Pos, Pos)> {
        let anchor = self.anchor?;
        (anchor != self.cursor).then(|| (anchor.min(self.cursor), anchor.max(self.cursor)))
    }

    pub fn selected_text(&self) -> Option<String> {
        self.selection()
            .map(|(start, end)| buffer::slice(&self.lines, start, end))
    }

    /// The byte offset of the cursor in [`Editor::text`].
    pub fn cursor_offset(&self) -> usize {
        self.offset_of(self.cursor)
    }

    fn offset_of(&self, pos: Pos) -> usize {
        let before: usize = self.lines[..pos.row].iter().map(|l| l.len() + 1).sum();
        before + buffer::byte_at(&self.lines[pos.row], pos.col)
    }

    /// The identifier being typed just before the cursor (letters, digits, `_`, `.`).
    pub fn word_before_cursor(&self) -> String {
        let line: Vec<char> = self.lines[self.cursor.row]
            .chars()
            .take(self.cursor.col)
            .collect();
        let start = line
            .iter()
            .rposition(|c| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
            .map_or(0, |p| p + 1);
        line[start..].iter().collect()
    }

    /// The one place the text changes: `start..end` becomes `text`, recorded for undo.
    /// The cursor ends after the new text and the selection is cleared.
    fn replace(&mut self, start: Pos, end: Pos, text: &str, kind: EditKind) {
        let removed = buffer::remove(&mut self.lines, start, end);
        let after = buffer::insert(&mut self.lines, start, text);
        self.history.record(Edit {
            start,
            removed,
            inserted: text.to_string(),
            before: self.cursor,
            kind,
        });
        self.cursor = after;
        self.anchor = None;
    }

    /// Puts `text` where the selection is, or at the cursor.
    fn type_text(&mut self, text: &str, kind: EditKind) {
        let (start, end) = self.selection().unwrap_or((self.cursor, self.cursor));
        let kind = if self.selection().is_some() {
            EditKind::Other
        } else {
            kind
        };
        self.replace(start, end, text, kind);
    }

    /// Inserts text at the cursor, replacing the selection: a paste of any size and any
    /// number of lines, as one undo step.
    pub fn insert_str(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        self.type_text(&text, EditKind::Other);
    }

    /// Removes the selection and returns it (Ctrl+X).
    pub fn cut(&mut self) -> Option<String> {
        let (start, end) = self.selection()?;
        let text = buffer::slice(&self.lines, start, end);
        self.replace(start, end, "", EditKind::Other);
        Some(text)
    }

    /// Selects the whole text, the cursor at its end (Ctrl+A, as in Harlequin).
    pub fn select_all(&mut self) {
        self.anchor = Some(Pos::default());
        self.cursor = buffer::end(&self.lines);
        self.history.seal();
    }

    /// Takes the last change back; false when there is none.
    pub fn undo(&mut self) -> bool {
        let Some(edit) = self.history.undo() else {
            return false;
        };
        let end = buffer::end_of(edit.start, &edit.inserted);
        buffer::remove(&mut self.lines, edit.start, end);
        buffer::insert(&mut self.lines, edit.start, &edit.removed);
        self.cursor = buffer::clamp(&self.lines, edit.before);
        self.anchor = None;
        true
    }

    /// Makes the last undone change again; false when there is none.
    pub fn redo(&mut self) -> bool {
        let Some(edit) = self.history.redo() else {
            return false;
        };
        let end = buffer::end_of(edit.start, &edit.removed);
        buffer::remove(&mut self.lines, edit.start, end);
        self.cursor = buffer::insert(&mut self.lines, edit.start, &edit.inserted);
        self.anchor = None;
        true
    }

    /// A mouse click at text position (`row`, `col`): the cursor goes there (the nearest
    /// place in the text) and the selection is cleared.
    pub fn click(&mut self, row: usize, col: usize) {
        self.cursor = buffer::clamp(&self.lines, Pos::new(row, col));
        self.anchor = None;
        self.history.seal();
    }

    /// The mouse dragged to (`row`, `col`): the selection runs from where the drag
    /// started to there.
    pub fn drag_to(&mut self, row: usize, col: usize) {
        self.anchor.get_or_insert(self.cursor);
        self.cursor = buffer::clamp(&self.lines, Pos::new(row, col));
    }

    /// Selects `start..end`, the cursor at its end (a found match).
    fn select(&mut self, start: Pos, end: Pos) {
        self.anchor = Some(start);
        self.cursor = end;
        self.history.seal();
    }

    /// Moves the cursor; with Shift the selection follows it, without it is cleared.
    fn move_to(&mut self, pos: Pos, extend: bool) {
        if extend {
            self.anchor.get_or_insert(self.cursor);
        } else {
            self.anchor = None;
        }
        self.cursor = pos;
        self.history.seal();
    }

    fn line_chars(&self, row: usize) -> usize {
        buffer::chars(&self.lines[row])
    }

    /// Where a motion key takes the cursor, if anywhere.
    fn motion(&self, code: KeyCode) -> Option<Pos> {
        let Pos { row, col } = self.cursor;
        let last_row = self.lines.len() - 1;
        Some(match code {
            KeyCode::Left if col > 0 => Pos::new(row, col - 1),
            KeyCode::Left if row > 0 => Pos::new(row - 1, self.line_chars(row - 1)),
            KeyCode::Right if col < self.line_chars(row) => Pos::new(row, col + 1),
            KeyCode::Right if row < last_row => Pos::new(row + 1, 0),
            KeyCode::Up if row > 0 => Pos::new(row - 1, col.min(self.line_chars(row - 1))),
            KeyCode::Down if row < last_row => Pos::new(row + 1, col.min(self.line_chars(row + 1))),
            KeyCode::Home => Pos::new(row, 0),
            KeyCode::End => Pos::new(row, self.line_chars(row)),
            KeyCode::Left | KeyCode::Right | KeyCode::Up | KeyCode::Down => self.cursor,
            _ => return None,
        })
    }

    /// Applies one key of insert mode; returns whether the key was an edit or a motion.
    pub fn handle_key(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        if let Some(pos) = self.motion(key.code) {
            self.move_to(pos, shift);
            return true;
        }
        match key.code {
            KeyCode::Char(c) if !ctrl => self.type_text(&c.to_string(), EditKind::Typing),
            KeyCode::Tab => self.type_text("  ", EditKind::Other),
            KeyCode::Enter => self.type_text("\n", EditKind::Other),
            KeyCode::Backspace | KeyCode::Delete if self.selection().is_some() => {
                self.cut();
            }
            KeyCode::Backspace => {
                let Some(start) = self.motion(KeyCode::Left).filter(|p| *p != self.cursor) else {
                    return true;
                };
                self.replace(start, self.cursor, "", EditKind::Deleting);
            }
            KeyCode::Delete => {
                let start = self.cursor;
                let Some(end) = self.motion(KeyCode::Right).filter(|p| *p != start) else {
                    return true;
                };
                self.replace(start, end, "", EditKind::Deleting);
            }
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

    fn shift(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::SHIFT)
    }

    fn typed(text: &str) -> Editor {
        let mut e = Editor::default();
        for c in text.chars() {
            e.handle_key(key(if c == '\n' {
                KeyCode::Enter
            } else {
                KeyCode::Char(c)
            }));
        }
        e
    }

    #[test]
    fn typing_newlines_and_backspace() {
        let mut e = typed("select 1\n£");
        assert_eq!(e.text(), "select 1\n£");
        e.handle_key(key(KeyCode::Backspace));
        e.handle_key(key(KeyCode::Backspace));
        assert_eq!(e.text(), "select 1");
        assert_eq!(e.cursor(), (0, 8));
        e.handle_key(key(KeyCode::Home));
        e.handle_key(key(KeyCode::Delete));
        assert_eq!(e.text(), "elect 1");
    }

    #[test]
    fn undo_and_redo_go_back_word_by_word() {
        let mut e = typed("select 🙂\nfrom t");
        assert!(e.undo());
        assert_eq!(e.text(), "select 🙂\nfrom");
        assert!(e.undo());
        assert_eq!(e.text(), "select 🙂\n");
        assert!(e.undo());
        assert_eq!(e.text(), "select 🙂");
        assert_eq!(e.cursor(), (0, 8));
        assert!(e.redo());
        assert!(e.redo());
        assert_eq!(e.text(), "select 🙂\nfrom");
        e.handle_key(key(KeyCode::Backspace));
        e.handle_key(key(KeyCode::Backspace));
        assert_eq!(e.text(), "select 🙂\nfr");
        assert!(e.undo(), "both backspaces are one step");
        assert_eq!(e.text(), "select 🙂\nfrom");
        assert!(e.redo());
        assert_eq!(e.text(), "select 🙂\nfr");
        while e.undo() {}
        assert_eq!(e.text(), "");
    }

    #[test]
    fn shift_arrows_select_and_typing_replaces_the_selection() {
        let mut e = Editor::with_text("select £1\nfrom t");
        e.click(0, 7);
        e.handle_key(shift(KeyCode::End));
        assert_eq!(e.selected_text().as_deref(), Some("£1"));
        e.handle_key(shift(KeyCode::Down));
        assert_eq!(e.selected_text().as_deref(), Some("£1\nfrom t"));
        e.handle_key(key(KeyCode::Char('2')));
        assert_eq!(e.text(), "select 2");
        assert_eq!(e.selection(), None);
        e.handle_key(key(KeyCode::Home));
        e.handle_key(shift(KeyCode::Right));
        e.handle_key(shift(KeyCode::Right));
        e.handle_key(key(KeyCode::Backspace));
        assert_eq!(e.text(), "lect 2");
        assert!(e.undo());
        assert_eq!(e.text(), "select 2");
        e.select_all();
        assert_eq!(e.selected_text().as_deref(), Some("select 2"));
        assert_eq!(e.cursor(), (0, 8));
    }

    #[test]
    fn cut_and_paste_are_single_steps() {
        let mut e = Editor::with_text("a\nb");
        e.select_all();
        assert_eq!(e.cut().as_deref(), Some("a\nb"));
        assert_eq!(e.text(), "");
        assert_eq!(e.cut(), None, "nothing selected");
        e.insert_str("x\r\ny\nz");
        assert_eq!(e.text(), "x\ny\nz");
        assert_eq!(e.cursor(), (2, 1));
        assert!(e.undo());
        assert_eq!(e.text(), "");
        assert!(e.undo());
        assert_eq!(e.text(), "a\nb");
    }

    #[test]
    fn a_megabyte_paste_is_one_fast_step() {
        let mut e = Editor::with_text("-- top");
        let big = "select 'x' as y;\n".repeat(60_000);
        let started = std::time::Instant::now();
        e.insert_str(&big);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(e.lines().len(), 60_001);
        assert!(e.undo());
        assert_eq!(e.text(), "-- top");
    }

    #[test]
    fn click_and_drag_select() {
        let mut e = Editor::with_text("select 1\nfrom t");
        e.click(9, 99);
        assert_eq!(e.cursor(), (1, 6), "clamped into the text");
        e.click(0, 2);
        e.drag_to(1, 2);
        assert_eq!(e.selected_text().as_deref(), Some("lect 1\nfr"));
        e.drag_to(0, 0);
        assert_eq!(e.selected_text().as_deref(), Some("se"));
        e.click(0, 1);
        assert_eq!(e.selection(), None);
        assert_eq!(e.cursor_offset(), 1);
        e.click(1, 1);
        assert_eq!(e.cursor_offset(), 10);
    }

    #[test]
    fn set_text_is_undoable() {
        let mut e = Editor::with_text("select 1");
        e.set_text("select 2");
        assert_eq!((e.text().as_str(), e.cursor()), ("select 2", (0, 8)));
        assert!(e.undo());
        assert_eq!(e.text(), "select 1");
    }
}
