//! The one-line prompt of the grid: the text to find (`/`) or a filter's SQL condition
//! (`|`), typed while the prompt takes every key. Other one-line prompts (the Stream
//! screen's topic browser) use it with a kind of their own.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Find,
    Filter,
}

impl PromptKind {
    /// The words before the text.
    pub fn label(self) -> &'static str {
        match self {
            Self::Find => "find: ",
            Self::Filter => "filter (SQL condition): ",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt<K = PromptKind> {
    pub kind: K,
    pub text: String,
}

/// What a key did to the prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    Editing,
    Cancelled,
    Submitted(String),
}

impl<K> Prompt<K> {
    pub fn new(kind: K) -> Self {
        Self::with_text(kind, String::new())
    }

    /// A prompt that starts with `text` to edit (the filter in force, a file name).
    pub fn with_text(kind: K, text: String) -> Self {
        Self { kind, text }
    }

    /// Enter submits the text, Esc cancels, Backspace and Ctrl+U delete.
    pub fn key(&mut self, key: KeyEvent) -> Typed {
        match key.code {
            KeyCode::Esc => return Typed::Cancelled,
            KeyCode::Enter => return Typed::Submitted(self.text.trim().to_string()),
            KeyCode::Backspace => {
                self.text.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.text.clear()
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => self.text.push(c),
            _ => {}
        }
        Typed::Editing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_deleting_and_submitting() {
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        let mut p = Prompt::new(PromptKind::Find);
        for c in "fra x".chars() {
            assert_eq!(p.key(key(KeyCode::Char(c))), Typed::Editing);
        }
        p.key(key(KeyCode::Backspace));
        p.key(key(KeyCode::Backspace));
        assert_eq!(p.key(key(KeyCode::Enter)), Typed::Submitted("fra".into()));
        p.key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(p.text, "");
        assert_eq!(p.key(key(KeyCode::Esc)), Typed::Cancelled);
    }
}
