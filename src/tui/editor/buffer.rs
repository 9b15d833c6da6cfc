//! The editor's text as lines, and the few primitive edits everything else is made of:
//! insert text at a position, remove a range, read a range. Positions count characters,
//! never bytes, so `£` and emoji are one column each to the cursor.

/// A place in the text: line and character index within the line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub row: usize,
    pub col: usize,
}

impl Pos {
    pub const fn new(row: usize, col: usize) -> Self {
        Self { row, col }
    }
}

/// The byte offset of character `col` in `line` (its length past the end).
pub fn byte_at(line: &str, col: usize) -> usize {
    line.char_indices().nth(col).map_or(line.len(), |(i, _)| i)
}

pub fn chars(line: &str) -> usize {
    line.chars().count()
}

/// `pos` moved inside the text: an existing line, at most its end.
pub fn clamp(lines: &[String], pos: Pos) -> Pos {
    let row = pos.row.min(lines.len() - 1);
    Pos::new(row, pos.col.min(chars(&lines[row])))
}

/// The last position of the text.
pub fn end(lines: &[String]) -> Pos {
    let row = lines.len() - 1;
    Pos::new(row, chars(&lines[row]))
}

/// Where the cursor lands after `text` is inserted at `start`.
pub fn end_of(start: Pos, text: &str) -> Pos {
    match text.rfind('\n') {
        None => Pos::new(start.row, start.col + chars(text)),
        Some(i) => Pos::new(
            start.row + text.matches('\n').count(),
            chars(&text[i + 1..]),
        ),
    }
}

/// Inserts `text` (any number of lines) at `at`; returns the position after it. One
/// splice of the line vector, so a megabyte pasted at once stays fast.
pub fn insert(lines: &mut Vec<String>, at: Pos, text: &str) -> Pos {
    let byte = byte_at(&lines[at.row], at.col);
    if !text.contains('\n') {
        lines[at.row].insert_str(byte, text);
        return Pos::new(at.row, at.col + chars(text));
    }
    let tail = lines[at.row].split_off(byte);
    let mut pieces = text.split('\n');
    lines[at.row].push_str(pieces.next().unwrap_or_default());
    let mut new_lines: Vec<String> = pieces.map(str::to_string).collect();
    let end = Pos::new(
        at.row + new_lines.len(),
        chars(new_lines.last().expect("a newline")),
    );
    new_lines.last_mut().expect("a newline").push_str(&tail);
    lines.splice(at.row + 1..at.row + 1, new_lines);
    end
}

/// The text between `start` and `end` (ordered, inside the text).
pub fn slice(lines: &[String], start: Pos, end: Pos) -> String {
    if start.row == end.row {
        let line = &lines[start.row];
        return line[byte_at(line, start.col)..byte_at(line, end.col)].to_string();
    }
    let first = &lines[start.row];
    let mut text = first[byte_at(first, start.col)..].to_string();
    for line in &lines[start.row + 1..end.row] {
        text.push('\n');
        text.push_str(line);
    }
    let last = &lines[end.row];
    text.push('\n');
    text.push_str(&last[..byte_at(last, end.col)]);
    text
}

/// Removes the text between `start` and `end` (ordered) and returns it.
pub fn remove(lines: &mut Vec<String>, start: Pos, end: Pos) -> String {
    let removed = slice(lines, start, end);
    let cut = byte_at(&lines[start.row], start.col);
    let rest = {
        let last = &lines[end.row];
        last[byte_at(last, end.col)..].to_string()
    };
    lines[start.row].truncate(cut);
    lines[start.row].push_str(&rest);
    lines.drain(start.row + 1..=end.row);
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.split('\n').map(str::to_string).collect()
    }

    #[test]
    fn insert_and_remove_across_lines_by_character() {
        let mut l = lines("£1 🙂x");
        let after = insert(&mut l, Pos::new(0, 3), "a\nbb\nc");
        assert_eq!(l, lines("£1 a\nbb\nc🙂x"));
        assert_eq!(after, Pos::new(2, 1));
        assert_eq!(end_of(Pos::new(0, 3), "a\nbb\nc"), after);
        assert_eq!(slice(&l, Pos::new(0, 1), Pos::new(2, 2)), "1 a\nbb\nc🙂");
        let removed = remove(&mut l, Pos::new(0, 1), Pos::new(2, 2));
        assert_eq!(removed, "1 a\nbb\nc🙂");
        assert_eq!(l, lines("£x"));
        assert_eq!(insert(&mut l, Pos::new(0, 1), "é"), Pos::new(0, 2));
        assert_eq!(l, lines("£éx"));
        assert_eq!(clamp(&l, Pos::new(9, 9)), Pos::new(0, 3));
        assert_eq!(end(&l), Pos::new(0, 3));
    }

    #[test]
    fn a_megabyte_inserts_in_one_splice() {
        let mut l = lines("ab");
        let big = "select 1;\n".repeat(100_000);
        let end = insert(&mut l, Pos::new(0, 1), &big);
        assert_eq!(l.len(), 100_001);
        assert_eq!(end, Pos::new(100_000, 0));
        assert_eq!(l[100_000], "b");
    }
}
