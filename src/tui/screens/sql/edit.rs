//! What the editor's commands do on the SQL screen: undo and redo, the clipboard (copy
//! goes to the terminal's clipboard by OSC 52 and to an internal one that paste reads,
//! as terminals do not let programs read theirs), pasted text, and the find, replace
//! and go-to-line prompts.

use super::SqlScreen;
use super::prompt::{Prompt, PromptKind, Prompted};
use crate::tui::action::EditCommand;
use crate::tui::editor::Pos;
use crate::tui::effect::Effect;
use crate::tui::focus::{Mode, Pane};
use crate::tui::status::Status;

impl SqlScreen {
    /// An editor command; it brings the editor into focus, editing.
    pub(super) fn edit(&mut self, command: EditCommand, status: &mut Status) -> Vec<Effect> {
        self.focus = Pane::Editor;
        self.mode = Mode::Insert;
        match command {
            EditCommand::Undo if !self.editor.undo() => status.info("nothing to undo"),
            EditCommand::Redo if !self.editor.redo() => status.info("nothing to redo"),
            EditCommand::Undo | EditCommand::Redo => {}
            EditCommand::SelectAll => self.editor.select_all(),
            EditCommand::Copy => return self.copy(false, status),
            EditCommand::Cut => return self.copy(true, status),
            EditCommand::Paste if self.clipboard.is_empty() => {
                status.info("nothing copied yet: select with Shift+arrows, then Ctrl+C");
            }
            EditCommand::Paste => self.editor.insert_str(&self.clipboard.clone()),
            EditCommand::Find => self.open_prompt(PromptKind::Find),
            EditCommand::Replace => self.open_prompt(PromptKind::Replace),
            EditCommand::GoToLine => self.open_prompt(PromptKind::GoToLine),
            EditCommand::FindNext => self.find(true, status),
            EditCommand::FindPrevious => self.find(false, status),
            EditCommand::ToggleComment => self.editor.toggle_comment(),
            EditCommand::FormatSql if self.editor.format() => {
                status.info("formatted (Ctrl+Z undoes)");
            }
            EditCommand::FormatSql => status.info("nothing to format"),
        }
        vec![]
    }

    /// Copy or cut: the selection goes to both clipboards.
    fn copy(&mut self, cut: bool, status: &mut Status) -> Vec<Effect> {
        let text = if cut {
            self.editor.cut()
        } else {
            self.editor.selected_text()
        };
        let Some(text) = text else {
            status.info("nothing selected: Shift+arrows or Ctrl+A select");
            return vec![];
        };
        status.info(format!(
            "{} {} characters",
            if cut { "cut" } else { "copied" },
            text.chars().count()
        ));
        self.clipboard = text.clone();
        vec![Effect::Copy(text)]
    }

    fn open_prompt(&mut self, kind: PromptKind) {
        self.prompt = Some(Prompt::new(kind, &self.last_find));
    }

    /// The next or previous match of the last search (F3, Shift+F3).
    fn find(&mut self, forward: bool, status: &mut Status) {
        if self.last_find.is_empty() {
            return self.open_prompt(PromptKind::Find);
        }
        if !self.editor.find(&self.last_find, forward) {
            status.error(format!("no match for {}", self.last_find));
        }
    }

    /// Text the terminal pasted: into the open prompt, else into the editor as one step.
    pub(super) fn paste(&mut self, text: &str, status: &mut Status) {
        if let Some(prompt) = self.prompt.as_mut() {
            let outcome = prompt.paste(text);
            return self.prompted(outcome, status);
        }
        self.focus = Pane::Editor;
        self.mode = Mode::Insert;
        self.editor.insert_str(text);
    }

    /// A key typed into the open prompt.
    pub(super) fn prompt_key(
        &mut self,
        key: ratatui::crossterm::event::KeyEvent,
        status: &mut Status,
    ) {
        if let Some(prompt) = self.prompt.as_mut() {
            let outcome = prompt.key(key);
            self.prompted(outcome, status);
        }
    }

    fn prompted(&mut self, outcome: Prompted, status: &mut Status) {
        let Some(prompt) = &self.prompt else {
            return;
        };
        let (needle, with) = (prompt.input.clone(), prompt.with.clone());
        if prompt.kind != PromptKind::GoToLine {
            self.last_find = needle.clone();
        }
        match outcome {
            Prompted::Open => {}
            Prompted::Closed => self.prompt = None,
            Prompted::Search if needle.is_empty() => {}
            Prompted::Search => {
                // From the match being extended, so typing on keeps the same place.
                let (from, _) = self.editor.selection().unwrap_or_else(|| {
                    let (row, col) = self.editor.cursor();
                    (Pos::new(row, col), Pos::new(row, col))
                });
                self.editor.click(from.row, from.col);
                if !self.editor.find(&needle, true) {
                    status.error(format!("no match for {needle}"));
                } else {
                    status.info("");
                }
            }
            Prompted::Next => self.find(true, status),
            Prompted::Previous => self.find(false, status),
            Prompted::ReplaceNext if !self.editor.replace_next(&needle, &with) => {
                status.info(format!("no match for {needle} left"));
            }
            Prompted::ReplaceNext => {}
            Prompted::ReplaceAll => {
                let count = self.editor.replace_all(&needle, &with);
                status.info(format!("replaced {count} matches (Ctrl+Z undoes)"));
                self.prompt = None;
            }
            Prompted::GoTo(line) => {
                self.editor.go_to_line(line);
                self.prompt = None;
                status.info(format!("line {}", self.editor.cursor().0 + 1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Action;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn key(code: KeyCode) -> Action {
        Action::PromptKey(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(sql: &mut SqlScreen, status: &mut Status, text: &str) {
        for c in text.chars() {
            sql.update(key(KeyCode::Char(c)), status);
        }
    }

    #[test]
    fn copy_cut_and_paste_use_both_clipboards() {
        let (mut sql, mut status) = (SqlScreen::new(100), Status::default());
        sql.editor.set_text("select £1");
        assert!(
            sql.update(Action::Edit(EditCommand::Copy), &mut status)
                .is_empty()
        );
        assert!(status.text.starts_with("nothing selected"));
        sql.update(Action::Edit(EditCommand::SelectAll), &mut status);
        assert_eq!(
            sql.update(Action::Edit(EditCommand::Cut), &mut status),
            vec![Effect::Copy("select £1".into())]
        );
        assert_eq!(sql.editor.text(), "");
        sql.update(Action::Edit(EditCommand::Paste), &mut status);
        sql.update(Action::Edit(EditCommand::Paste), &mut status);
        assert_eq!(sql.editor.text(), "select £1select £1");
        sql.update(
            Action::Paste("\n-- from the terminal\n".into()),
            &mut status,
        );
        assert_eq!(sql.editor.lines().len(), 3);
        sql.update(Action::Edit(EditCommand::Undo), &mut status);
        assert_eq!(sql.editor.text(), "select £1select £1");
        sql.update(Action::Edit(EditCommand::Redo), &mut status);
        assert_eq!(sql.editor.lines().len(), 3);
        assert_eq!((sql.mode, sql.focus), (Mode::Insert, Pane::Editor));
    }

    #[test]
    fn find_replace_and_go_to_line_prompts() {
        let (mut sql, mut status) = (SqlScreen::new(100), Status::default());
        sql.editor.set_text("select a\nfrom t\nwhere a > 1");
        sql.editor.click(0, 0);
        sql.update(Action::Edit(EditCommand::Find), &mut status);
        typed(&mut sql, &mut status, "A");
        assert_eq!(
            sql.editor.selection(),
            Some((Pos::new(0, 7), Pos::new(0, 8)))
        );
        sql.update(key(KeyCode::Enter), &mut status);
        assert_eq!(
            sql.editor.selection(),
            Some((Pos::new(2, 6), Pos::new(2, 7)))
        );
        typed(&mut sql, &mut status, "zz");
        assert_eq!(status.text, "no match for Azz");
        sql.update(key(KeyCode::Esc), &mut status);
        assert!(sql.prompt.is_none());
        // F3 finds the last search again; Ctrl+R starts from it.
        sql.update(Action::Edit(EditCommand::Replace), &mut status);
        assert_eq!(sql.prompt.as_ref().unwrap().input, "Azz");
        for _ in 0..2 {
            sql.update(key(KeyCode::Backspace), &mut status);
        }
        sql.update(key(KeyCode::Tab), &mut status);
        typed(&mut sql, &mut status, "b");
        sql.update(
            Action::PromptKey(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::CONTROL)),
            &mut status,
        );
        assert_eq!(sql.editor.text(), "select b\nfrom t\nwhere b > 1");
        assert_eq!(status.text, "replaced 2 matches (Ctrl+Z undoes)");
        sql.update(Action::Edit(EditCommand::GoToLine), &mut status);
        typed(&mut sql, &mut status, "2");
        sql.update(key(KeyCode::Enter), &mut status);
        assert_eq!(sql.editor.cursor(), (1, 0));
        assert!(sql.prompt.is_none());
        sql.update(Action::Edit(EditCommand::FindNext), &mut status);
        assert_eq!(
            status.text, "no match for A",
            "F3 looks for the last search"
        );
        sql.editor.set_text("from data");
        sql.editor.click(0, 0);
        sql.update(Action::Edit(EditCommand::FindNext), &mut status);
        assert_eq!(sql.editor.selected_text().as_deref(), Some("a"));
    }
}
