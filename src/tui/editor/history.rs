//! Undo and redo: every change of the text is one [`Edit`] (what was removed and what was
//! inserted where), so undoing is applying it backwards. Typing coalesces: the letters of
//! a word are one step, and so are the characters one Backspace run removed.

use super::buffer::{Pos, end_of};

/// How many steps undo goes back at most.
const LIMIT: usize = 1_000;

/// What kind of change an edit was, which decides whether the next one joins it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// A character typed.
    Typing,
    /// A character removed by Backspace or Delete.
    Deleting,
    /// Anything else (paste, cut, format, replace…): always its own step.
    Other,
}

/// One change: `removed` was replaced by `inserted` at `start`.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub start: Pos,
    pub removed: String,
    pub inserted: String,
    /// The cursor before the change, where undo puts it back.
    pub before: Pos,
    pub kind: EditKind,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    undo: Vec<Edit>,
    redo: Vec<Edit>,
    /// A cursor move or a click happened since the last edit: the next one starts a step.
    sealed: bool,
}

impl History {
    /// Records a change, joining it to the last one when both are typing (or deleting)
    /// in one run; a new change forgets what could be redone.
    pub fn record(&mut self, edit: Edit) {
        self.redo.clear();
        let sealed = std::mem::take(&mut self.sealed);
        if let Some(last) = self.undo.last_mut().filter(|_| !sealed)
            && join(last, &edit)
        {
            return;
        }
        if self.undo.len() == LIMIT {
            self.undo.remove(0);
        }
        self.undo.push(edit);
    }

    /// The next change starts its own step.
    pub fn seal(&mut self) {
        self.sealed = true;
    }

    /// The change to undo, moved to the redo list.
    pub fn undo(&mut self) -> Option<Edit> {
        let edit = self.undo.pop()?;
        self.redo.push(edit.clone());
        self.sealed = true;
        Some(edit)
    }

    /// The change to redo, moved back to the undo list.
    pub fn redo(&mut self) -> Option<Edit> {
        let edit = self.redo.pop()?;
        self.undo.push(edit.clone());
        self.sealed = true;
        Some(edit)
    }
}

/// Joins `next` into `last` when it continues the same run of typing or deleting.
fn join(last: &mut Edit, next: &Edit) -> bool {
    match (last.kind, next.kind) {
        (EditKind::Typing, EditKind::Typing) => {
            let continues = next.start == end_of(last.start, &last.inserted);
            let c = next.inserted.chars().next().unwrap_or(' ');
            // A word ends where whitespace follows a non-blank: "select 1" is two steps.
            let word_ends = c.is_whitespace()
                && last
                    .inserted
                    .chars()
                    .next_back()
                    .is_some_and(|p| !p.is_whitespace());
            if !continues || word_ends || !next.removed.is_empty() || c == '\n' {
                return false;
            }
            last.inserted.push_str(&next.inserted);
            true
        }
        (EditKind::Deleting, EditKind::Deleting) => {
            if end_of(next.start, &next.removed) == last.start {
                // Backspace: the removed text grows to the left.
                last.removed.insert_str(0, &next.removed);
                last.start = next.start;
                true
            } else if next.start == last.start {
                // Delete: it grows to the right.
                last.removed.push_str(&next.removed);
                true
            } else {
                false
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(col: usize, c: &str) -> Edit {
        Edit {
            start: Pos::new(0, col),
            removed: String::new(),
            inserted: c.into(),
            before: Pos::new(0, col),
            kind: EditKind::Typing,
        }
    }

    #[test]
    fn typing_joins_by_word_and_a_seal_splits() {
        let mut h = History::default();
        for (i, c) in "ab c".chars().enumerate() {
            h.record(typed(i, &c.to_string()));
        }
        assert_eq!(h.undo.len(), 2);
        assert_eq!(h.undo[0].inserted, "ab");
        assert_eq!(h.undo[1].inserted, " c");
        h.seal();
        h.record(typed(4, "d"));
        assert_eq!(h.undo.len(), 3);
        let undone = h.undo().unwrap();
        assert_eq!(undone.inserted, "d");
        assert_eq!(h.redo().unwrap(), undone);
        h.undo();
        h.record(typed(4, "e"));
        assert_eq!(h.redo(), None, "a new edit forgets the redo list");
    }

    #[test]
    fn backspaces_and_deletes_join() {
        let mut h = History::default();
        let deleted = |col, c: &str| Edit {
            start: Pos::new(0, col),
            removed: c.into(),
            inserted: String::new(),
            before: Pos::new(0, col + 1),
            kind: EditKind::Deleting,
        };
        h.record(deleted(3, "d"));
        h.record(deleted(2, "c"));
        h.record(deleted(2, "x"));
        assert_eq!(h.undo.len(), 1);
        assert_eq!(h.undo[0].removed, "cdx");
        assert_eq!(h.undo[0].start, Pos::new(0, 2));
    }
}
