//! Splitting a buffer of SQL into its statements at the `;` that end them, so an editor
//! can run the statement under its cursor or each statement of a script in order.
//! Semicolons inside 'strings', "identifiers", `--` and `/* */` comments and `$$` or
//! `$tag$` dollar quoting do not split; statements that are only blanks and comments are
//! left out.

/// One statement of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement's text: from its first token to its last, without the `;`.
    pub text: String,
    /// Byte range of `text` in the buffer.
    pub start: usize,
    pub end: usize,
    /// Byte offset just past the statement's `;` (the buffer's end for the last one).
    pub until: usize,
    /// Lines (counted from 1) where the statement starts and ends.
    pub first_line: usize,
    pub last_line: usize,
}

/// Where the scanner is.
#[derive(Clone, PartialEq)]
enum State {
    Code,
    Quoted(u8),
    LineComment,
    BlockComment,
    Dollar(String),
}

/// The statements of `sql`, in order.
pub fn split(sql: &str) -> Vec<Statement> {
    let bytes = sql.as_bytes();
    let mut statements = Vec::new();
    let mut state = State::Code;
    // The statement's code so far: first byte and line, end byte and last line.
    let (mut code_start, mut code_end) = (None::<(usize, usize)>, (0usize, 0usize));
    // Lines are counted as the scan goes: one pass over a megabyte script.
    let mut line = 1;
    let mut i = 0;
    let mut finish = |until: usize, code: Option<(usize, usize)>, (end, last_line)| {
        if let Some((start, first_line)) = code {
            statements.push(Statement {
                text: sql[start..end].to_string(),
                start,
                end,
                until,
                first_line,
                last_line,
            });
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        match &state {
            State::Code => match b {
                b';' => {
                    finish(i + 1, code_start.take(), code_end);
                }
                b'-' if next == Some(b'-') => {
                    state = State::LineComment;
                    i += 1;
                }
                b'/' if next == Some(b'*') => {
                    state = State::BlockComment;
                    i += 1;
                }
                _ if b.is_ascii_whitespace() => {}
                _ => {
                    code_start.get_or_insert((i, line));
                    match b {
                        b'\'' | b'"' => state = State::Quoted(b),
                        b'$' => {
                            if let Some(tag) = dollar_tag(&sql[i..]) {
                                i += tag.len() - 1;
                                state = State::Dollar(tag);
                            }
                        }
                        _ => {}
                    }
                    code_end = (i + 1, line);
                }
            },
            State::Quoted(q) => {
                if b == *q {
                    // A doubled quote stays inside.
                    if next == Some(*q) {
                        i += 1;
                    } else {
                        state = State::Code;
                    }
                }
                code_end = (i + 1, line);
            }
            State::LineComment => {
                if b == b'\n' {
                    state = State::Code;
                }
            }
            State::BlockComment => {
                if b == b'*' && next == Some(b'/') {
                    state = State::Code;
                    i += 1;
                }
            }
            State::Dollar(tag) => {
                if sql[i..].starts_with(tag.as_str()) {
                    i += tag.len() - 1;
                    state = State::Code;
                }
                code_end = (i + 1, line);
            }
        }
        if b == b'\n' {
            line += 1;
        }
        i += 1;
    }
    finish(sql.len(), code_start, code_end);
    statements
}

/// `$$` or `$tag$` at the start of `text` (a tag is letters, digits and `_`, not
/// starting with a digit, so `$1` is a parameter, not a quote).
fn dollar_tag(text: &str) -> Option<String> {
    let rest = &text[1..];
    let end = rest.find('$')?;
    let tag = &rest[..end];
    let valid = tag.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !tag.starts_with(|c: char| c.is_ascii_digit());
    valid.then(|| format!("${tag}$"))
}

/// The statement the cursor at byte `offset` is in: the one whose text or `;` holds it,
/// else the nearest one before it, else the first.
pub fn at(statements: &[Statement], offset: usize) -> Option<&Statement> {
    statements
        .iter()
        .find(|s| offset >= s.start && offset <= s.until)
        .or_else(|| statements.iter().rev().find(|s| s.end <= offset))
        .or_else(|| statements.first())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        split(sql).into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn splits_at_semicolons_with_ranges_and_lines() {
        let sql = "select 1 as a;\nselect count(*) as n\n  from raw.order_lines;\n\nselect 3 as c;";
        let s = split(sql);
        assert_eq!(
            texts(sql),
            vec![
                "select 1 as a",
                "select count(*) as n\n  from raw.order_lines",
                "select 3 as c"
            ]
        );
        assert_eq!((s[1].first_line, s[1].last_line), (2, 3));
        assert_eq!(&sql[s[1].start..s[1].end], s[1].text);
        assert_eq!(s[2].first_line, 5);
        assert_eq!(at(&s, 0).unwrap().text, "select 1 as a");
        assert_eq!(at(&s, sql.find("count").unwrap()).unwrap().first_line, 2);
        // Just after a `;` and on the blank line after it: the statement before.
        assert_eq!(at(&s, s[1].until).unwrap().first_line, 2);
        assert_eq!(at(&s, s[1].until + 1).unwrap().first_line, 2);
        assert_eq!(at(&s, sql.len()).unwrap().first_line, 5);
        assert_eq!(at(&[], 0), None);
    }

    #[test]
    fn a_megabyte_script_splits_in_one_pass() {
        let script = "select 'x;' as y; -- z;\n".repeat(50_000);
        let started = std::time::Instant::now();
        let s = split(&script);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(s.len(), 50_000);
        assert_eq!(s[49_999].first_line, 50_000);
    }

    #[test]
    fn quotes_comments_and_dollar_quoting_do_not_split() {
        let sql = "select 'a;''b' as \"x;y\" -- c;d\n/* e; */ from t; \
                   select $$ f; $$, $tag$ g;$ $tag$, $1; ;  ; -- only a comment;\n";
        assert_eq!(
            texts(sql),
            vec![
                "select 'a;''b' as \"x;y\" -- c;d\n/* e; */ from t",
                "select $$ f; $$, $tag$ g;$ $tag$, $1"
            ]
        );
        assert_eq!(texts("-- nothing\n/* here */"), Vec::<String>::new());
        assert_eq!(texts("select '£;🙂'"), vec!["select '£;🙂'"]);
        assert_eq!(
            texts("select 'unterminated; x"),
            vec!["select 'unterminated; x"]
        );
    }
}
