//! SQL syntax highlighting for the editor, line by line: keywords, strings, numbers and
//! `--` comments. A plain tokenizer is enough for a colour hint; DuckDB still parses.

use ratatui::style::{Modifier, Style};

use crate::tui::theme;
use ratatui::text::{Line, Span};

/// Keywords (upper case) the editor highlights and completion offers.
pub const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "ORDER",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "WITH",
    "AS",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "JOIN",
    "LEFT",
    "RIGHT",
    "INNER",
    "OUTER",
    "FULL",
    "CROSS",
    "ON",
    "USING",
    "UNION",
    "ALL",
    "DISTINCT",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "BETWEEN",
    "LIKE",
    "ILIKE",
    "CAST",
    "CREATE",
    "TABLE",
    "VIEW",
    "REPLACE",
    "INSERT",
    "INTO",
    "VALUES",
    "UPDATE",
    "SET",
    "DELETE",
    "DROP",
    "DESC",
    "ASC",
    "NULLS",
    "FIRST",
    "LAST",
    "OVER",
    "PARTITION",
    "FILTER",
    "QUALIFY",
    "WINDOW",
    "EXISTS",
    "TRUE",
    "FALSE",
    "INTERVAL",
    "DATE",
    "TIMESTAMP",
    "COPY",
    "TO",
    "DESCRIBE",
    "SUMMARIZE",
    "SHOW",
    "PIVOT",
    "UNPIVOT",
];

fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// One editor line with styles.
pub fn highlight(line: &str) -> Line<'static> {
    let keyword = Style::new().fg(theme::ACCENT).add_modifier(Modifier::BOLD);
    let string = Style::new().fg(theme::SQL_STRING);
    let number = Style::new().fg(theme::SQL_NUMBER);
    let comment = Style::new().fg(theme::MUTED);
    let chars: Vec<char> = line.chars().collect();
    let mut spans = Vec::new();
    let mut i = 0;
    let mut plain = String::new();
    let flush = |plain: &mut String, spans: &mut Vec<Span<'static>>| {
        if !plain.is_empty() {
            spans.push(Span::raw(std::mem::take(plain)));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '-' && chars.get(i + 1) == Some(&'-') {
            flush(&mut plain, &mut spans);
            spans.push(Span::styled(chars[i..].iter().collect::<String>(), comment));
            break;
        } else if c == '\'' {
            flush(&mut plain, &mut spans);
            let end = chars[i + 1..]
                .iter()
                .position(|&x| x == '\'')
                .map_or(chars.len(), |p| i + p + 2);
            spans.push(Span::styled(
                chars[i..end].iter().collect::<String>(),
                string,
            ));
            i = end;
            continue;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let end = chars[i..]
                .iter()
                .position(|x| !(x.is_ascii_alphanumeric() || *x == '_'))
                .map_or(chars.len(), |p| i + p);
            let word: String = chars[i..end].iter().collect();
            if is_keyword(&word) {
                flush(&mut plain, &mut spans);
                spans.push(Span::styled(word, keyword));
            } else {
                plain.push_str(&word);
            }
            i = end;
            continue;
        } else if c.is_ascii_digit()
            && !plain.ends_with(|p: char| p.is_ascii_alphanumeric() || p == '_')
        {
            flush(&mut plain, &mut spans);
            let end = chars[i..]
                .iter()
                .position(|x| !(x.is_ascii_digit() || *x == '.'))
                .map_or(chars.len(), |p| i + p);
            spans.push(Span::styled(
                chars[i..end].iter().collect::<String>(),
                number,
            ));
            i = end;
            continue;
        }
        plain.push(c);
        i += 1;
    }
    flush(&mut plain, &mut spans);
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_strings_numbers_comments() {
        let line = highlight("select country, 'UK' from t where n > 10 -- note");
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "select country, 'UK' from t where n > 10 -- note");
        let styled = |content: &str| {
            line.spans
                .iter()
                .find(|s| s.content == content)
                .map(|s| s.style)
        };
        assert_eq!(styled("select").and_then(|s| s.fg), Some(theme::ACCENT));
        assert_eq!(styled("'UK'").and_then(|s| s.fg), Some(theme::SQL_STRING));
        assert_eq!(styled("10").and_then(|s| s.fg), Some(theme::SQL_NUMBER));
        assert_eq!(styled("-- note").and_then(|s| s.fg), Some(theme::MUTED));
        assert!(styled(" country, ").is_some_and(|s| s.fg.is_none()));
        // An unclosed string or odd input never panics.
        highlight("'open");
        highlight("é'£' 1.5.6 x1");
    }
}
