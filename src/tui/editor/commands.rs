//! The editor's commands beyond typing: find and replace, go to line, comment toggle,
//! the bracket matching the cursor's, and formatting. Each change is one undo step.

use super::buffer::{self, Pos};
use super::history::EditKind;
use super::{Editor, format, search};

/// How many lines away the bracket matching the cursor's is looked for.
const BRACKET_REACH: usize = 2_000;

/// The brackets that match, opening first.
const PAIRS: [(char, char); 3] = [('(', ')'), ('[', ']'), ('{', '}')];

impl Editor {
    /// Selects the next (or previous) match of `needle`, wrapping around; false when
    /// there is none.
    pub fn find(&mut self, needle: &str, forward: bool) -> bool {
        let from = match (forward, self.selection()) {
            (false, Some((start, _))) => start,
            _ => self.cursor,
        };
        match search::find(&self.lines, needle, from, forward) {
            Some((start, end)) => {
                self.select(start, end);
                true
            }
            None => false,
        }
    }

    /// Replaces the selected match of `needle` by `with` and selects the next match;
    /// when no match is selected, only selects the next one. False when none is left.
    pub fn replace_next(&mut self, needle: &str, with: &str) -> bool {
        if let Some((start, end)) = self.selection()
            && search::is_match(&buffer::slice(&self.lines, start, end), needle)
        {
            self.replace(start, end, with, EditKind::Other);
        }
        self.find(needle, true)
    }

    /// Replaces every match of `needle` by `with` as one step; returns how many.
    pub fn replace_all(&mut self, needle: &str, with: &str) -> usize {
        let (text, count) = search::replace_all(&self.lines, needle, with);
        if count > 0 {
            let cursor = self.cursor;
            self.replace(
                Pos::default(),
                buffer::end(&self.lines),
                &text,
                EditKind::Other,
            );
            self.cursor = buffer::clamp(&self.lines, cursor);
        }
        count
    }

    /// Moves the cursor to the start of line `line` (counted from 1, clamped).
    pub fn go_to_line(&mut self, line: usize) {
        let row = line.saturating_sub(1).min(self.lines.len() - 1);
        self.move_to(Pos::new(row, 0), false);
    }

    /// The rows a line command works on: the selected lines (a selection ending at the
    /// start of a line leaves that line out), or the cursor's.
    fn selected_rows(&self) -> (usize, usize) {
        match self.selection() {
            Some((start, end)) if end.row > start.row && end.col == 0 => (start.row, end.row - 1),
            Some((start, end)) => (start.row, end.row),
            None => (self.cursor.row, self.cursor.row),
        }
    }

    /// Comments the selected lines (or the cursor's) out with `-- `, or back in when
    /// every non-blank one of them is commented (Ctrl+/, as in Harlequin).
    pub fn toggle_comment(&mut self) {
        let (first, last) = self.selected_rows();
        let rows = &self.lines[first..=last];
        let commented = |l: &str| l.trim_start().starts_with("--");
        let uncomment = rows
            .iter()
            .filter(|l| !l.trim().is_empty())
            .all(|l| commented(l))
            && rows.iter().any(|l| !l.trim().is_empty());
        let new: Vec<String> = rows
            .iter()
            .map(|l| {
                let indent = l.len() - l.trim_start().len();
                let (lead, rest) = l.split_at(indent);
                if uncomment {
                    let rest = rest.strip_prefix("--").unwrap_or(rest);
                    format!("{lead}{}", rest.strip_prefix(' ').unwrap_or(rest))
                } else if l.trim().is_empty() {
                    l.clone()
                } else {
                    format!("{lead}-- {rest}")
                }
            })
            .collect();
        let had_selection = self.selection().is_some();
        let (row, col) = (self.cursor.row, self.cursor.col);
        let old_width = buffer::chars(&self.lines[row]);
        let end = Pos::new(last, buffer::chars(&self.lines[last]));
        self.replace(Pos::new(first, 0), end, &new.join("\n"), EditKind::Other);
        if had_selection {
            let end = Pos::new(last, buffer::chars(&self.lines[last]));
            self.select(Pos::new(first, 0), end);
        } else {
            let width = buffer::chars(&self.lines[row]);
            let col = (col + width).saturating_sub(old_width);
            self.move_to(Pos::new(row, col.min(width)), false);
        }
    }

    /// The bracket at the cursor (or just before it) and the one matching it, when the
    /// cursor is on a bracket that has a match.
    pub fn matching_bracket(&self) -> Option<(Pos, Pos)> {
        let char_at = |p: Pos| self.lines[p.row].chars().nth(p.col);
        let is_bracket = |c: char| PAIRS.iter().any(|(o, cl)| c == *o || c == *cl);
        let here = self.cursor;
        let before = (here.col > 0).then(|| Pos::new(here.row, here.col - 1));
        let at = [Some(here), before]
            .into_iter()
            .flatten()
            .find(|p| char_at(*p).is_some_and(is_bracket))?;
        let c = char_at(at)?;
        let (open, close, forward) = PAIRS.iter().find_map(|&(o, cl)| {
            (c == o)
                .then_some((o, cl, true))
                .or((c == cl).then_some((o, cl, false)))
        })?;
        let mut depth = 0usize;
        // Drawn every frame: the search stops some lines away, so an unmatched bracket
        // at the top of a pasted megabyte costs little.
        let rows: Box<dyn Iterator<Item = usize>> = if forward {
            Box::new((at.row..self.lines.len()).take(BRACKET_REACH))
        } else {
            Box::new((0..=at.row).rev().take(BRACKET_REACH))
        };
        for row in rows {
            let chars: Vec<char> = self.lines[row].chars().collect();
            let cols: Vec<usize> = match (forward, row == at.row) {
                (true, true) => (at.col..chars.len()).collect(),
                (true, false) => (0..chars.len()).collect(),
                (false, true) => (0..=at.col).rev().collect(),
                (false, false) => (0..chars.len()).rev().collect(),
            };
            for col in cols {
                let ch = chars[col];
                if ch == open || ch == close {
                    let opening = (ch == open) == forward;
                    if opening {
                        depth += 1;
                    } else {
                        depth -= 1;
                        if depth == 0 {
                            return Some((at, Pos::new(row, col)));
                        }
                    }
                }
            }
        }
        None
    }

    /// Formats the selection, or the whole text, as one step; false when formatting
    /// changes nothing.
    pub fn format(&mut self) -> bool {
        let (start, end) = self
            .selection()
            .unwrap_or((Pos::default(), buffer::end(&self.lines)));
        let old = buffer::slice(&self.lines, start, end);
        let new = format::format_sql(&old);
        if new == old || old.trim().is_empty() {
            return false;
        }
        self.replace(start, end, &new, EditKind::Other);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_next_previous_and_replace() {
        let mut e = Editor::with_text("select £a\nfrom t where £a > 1");
        e.click(0, 0);
        assert!(e.find("£A", true));
        assert_eq!(e.selection(), Some((Pos::new(0, 7), Pos::new(0, 9))));
        assert!(e.find("£a", true));
        assert_eq!(e.selection(), Some((Pos::new(1, 13), Pos::new(1, 15))));
        assert!(e.find("£a", false));
        assert_eq!(e.selection(), Some((Pos::new(0, 7), Pos::new(0, 9))));
        assert!(!e.find("zzz", true));
        assert!(e.replace_next("£a", "b"));
        assert_eq!(e.text(), "select b\nfrom t where £a > 1");
        assert_eq!(e.selected_text().as_deref(), Some("£a"));
        assert!(!e.replace_next("£a", "b"), "no match left");
        assert_eq!(e.text(), "select b\nfrom t where b > 1");
        assert!(e.undo());
        assert_eq!(e.replace_all("£A", "'it''s'"), 1);
        assert_eq!(e.text(), "select b\nfrom t where 'it''s' > 1");
        assert!(e.undo());
        assert!(e.undo());
        assert_eq!(e.text(), "select £a\nfrom t where £a > 1");
        assert_eq!(e.replace_all("nothing", "x"), 0);
    }

    #[test]
    fn comments_toggle_on_the_cursor_line_or_the_selected_lines() {
        let mut e = Editor::with_text("select 1\n  from t\n\nwhere x");
        e.click(0, 3);
        e.toggle_comment();
        assert_eq!(e.lines()[0], "-- select 1");
        assert_eq!(e.cursor(), (0, 6), "the cursor stays on its character");
        e.toggle_comment();
        assert_eq!(e.lines()[0], "select 1");
        e.click(0, 2);
        e.drag_to(3, 0);
        e.toggle_comment();
        assert_eq!(e.text(), "-- select 1\n  -- from t\n\nwhere x");
        e.toggle_comment();
        assert_eq!(e.text(), "select 1\n  from t\n\nwhere x");
        assert!(e.undo());
        assert_eq!(e.text(), "-- select 1\n  -- from t\n\nwhere x");
    }

    #[test]
    fn brackets_match_across_lines_and_nesting() {
        let mut e = Editor::with_text("select sum(f(x)\n  ) [1]");
        e.click(0, 10);
        assert_eq!(
            e.matching_bracket(),
            Some((Pos::new(0, 10), Pos::new(1, 2)))
        );
        e.click(1, 3);
        assert_eq!(
            e.matching_bracket(),
            Some((Pos::new(1, 2), Pos::new(0, 10))),
            "the bracket just before the cursor"
        );
        e.click(0, 12);
        assert_eq!(
            e.matching_bracket(),
            Some((Pos::new(0, 12), Pos::new(0, 14)))
        );
        e.click(0, 2);
        assert_eq!(e.matching_bracket(), None);
        e.set_text("((");
        e.click(0, 0);
        assert_eq!(e.matching_bracket(), None, "unmatched");
        e.set_text(&format!("({})", "\n".repeat(BRACKET_REACH + 5)));
        e.click(0, 0);
        assert_eq!(e.matching_bracket(), None, "too far to look");
    }

    #[test]
    fn format_the_whole_text_or_the_selection_as_one_step() {
        let mut e = Editor::with_text("select a, b from t");
        assert!(e.format());
        assert_eq!(e.text(), "select\n  a,\n  b\nfrom\n  t");
        assert!(!e.format(), "already formatted");
        assert!(e.undo());
        assert_eq!(e.text(), "select a, b from t");
        e.set_text("-- keep\nselect 1 from t");
        e.click(1, 0);
        e.drag_to(1, 15);
        assert!(e.format());
        assert_eq!(e.text(), "-- keep\nselect\n  1\nfrom\n  t");
        e.go_to_line(99);
        assert_eq!(e.cursor(), (4, 0));
        e.go_to_line(0);
        assert_eq!(e.cursor(), (0, 0));
    }
}
