//! Finding text in the editor: matches within a line, ignoring case, counted in
//! characters; the next or previous match from a position, wrapping around the buffer.

use super::buffer::Pos;

fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// The character columns where `needle` starts in `line` (case-insensitive, not
/// overlapping). A needle spanning lines matches nothing.
pub fn matches_in_line(line: &str, needle: &str) -> Vec<usize> {
    let needle: Vec<char> = needle.chars().map(fold).collect();
    if needle.is_empty() || needle.contains(&'\n') {
        return Vec::new();
    }
    let hay: Vec<char> = line.chars().map(fold).collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if hay[i..i + needle.len()] == needle[..] {
            found.push(i);
            i += needle.len();
        } else {
            i += 1;
        }
    }
    found
}

/// The match of `needle` after `from` (forward) or starting before it (backward),
/// wrapping around; as its start and end.
pub fn find(lines: &[String], needle: &str, from: Pos, forward: bool) -> Option<(Pos, Pos)> {
    let width = needle.chars().count();
    let all = || {
        lines.iter().enumerate().flat_map(|(row, line)| {
            matches_in_line(line, needle)
                .into_iter()
                .map(move |c| Pos::new(row, c))
        })
    };
    let found = if forward {
        all().find(|p| *p >= from).or_else(|| all().next())
    } else {
        all().rfind(|p| *p < from).or_else(|| all().next_back())
    };
    found.map(|start| (start, Pos::new(start.row, start.col + width)))
}

/// Whether `text` is `needle`, ignoring case.
pub fn is_match(text: &str, needle: &str) -> bool {
    !needle.is_empty() && text.chars().map(fold).eq(needle.chars().map(fold))
}

/// `lines` with every match of `needle` replaced by `with`, and how many there were.
pub fn replace_all(lines: &[String], needle: &str, with: &str) -> (String, usize) {
    let width = needle.chars().count();
    let mut count = 0;
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let starts = matches_in_line(line, needle);
        if starts.is_empty() {
            out.push(line.clone());
            continue;
        }
        count += starts.len();
        let chars: Vec<char> = line.chars().collect();
        let mut new = String::with_capacity(line.len());
        let mut at = 0;
        for start in starts {
            new.extend(&chars[at..start]);
            new.push_str(with);
            at = start + width;
        }
        new.extend(&chars[at..]);
        out.push(new);
    }
    (out.join("\n"), count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.split('\n').map(str::to_string).collect()
    }

    #[test]
    fn finds_ignoring_case_by_character_and_wraps() {
        let l = lines("£ Select a\nselect b, SELECT c");
        assert_eq!(matches_in_line(&l[0], "select"), vec![2]);
        assert_eq!(matches_in_line("aaaa", "aa"), vec![0, 2]);
        assert!(matches_in_line("a", "").is_empty());
        let first = (Pos::new(0, 2), Pos::new(0, 8));
        assert_eq!(find(&l, "SELECT", Pos::new(0, 0), true), Some(first));
        assert_eq!(
            find(&l, "select", Pos::new(0, 8), true),
            Some((Pos::new(1, 0), Pos::new(1, 6)))
        );
        assert_eq!(
            find(&l, "select", Pos::new(1, 11), true),
            Some(first),
            "wraps to the top"
        );
        assert_eq!(
            find(&l, "select", Pos::new(0, 2), false),
            Some((Pos::new(1, 10), Pos::new(1, 16))),
            "wraps to the bottom"
        );
        assert_eq!(find(&l, "nothing", Pos::new(0, 0), true), None);
        assert!(is_match("SeLeCt", "select"));
    }

    #[test]
    fn replace_all_counts_and_keeps_the_rest() {
        let l = lines("select 'it''s' £1\nSELECT 2");
        let (text, n) = replace_all(&l, "select", "from");
        assert_eq!((text.as_str(), n), ("from 'it''s' £1\nfrom 2", 2));
        let (text, n) = replace_all(&l, "£", "$");
        assert_eq!((text.as_str(), n), ("select 'it''s' $1\nSELECT 2", 1));
    }
}
