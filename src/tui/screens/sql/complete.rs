//! Tab completion in the SQL editor, from SQL keywords and the catalog's schemas,
//! tables and columns.

use super::SqlScreen;
use crate::tui::status::Status;
use crate::tui::widgets::highlight::KEYWORDS;

impl SqlScreen {
    /// Tab in the editor: completes the word before the cursor from SQL keywords and the
    /// catalog's schemas, tables and columns. Returns false when there is nothing to
    /// complete (Tab then indents).
    pub(super) fn complete(&mut self, status: &mut Status) -> bool {
        let word = self.editor.word_before_cursor();
        if word.is_empty() {
            return false;
        }
        let lower = word.to_lowercase();
        let mut candidates: Vec<String> = Vec::new();
        let mut offer = |c: String| {
            if c.to_lowercase().starts_with(&lower)
                && c.len() > word.len()
                && !candidates.contains(&c)
            {
                candidates.push(c);
            }
        };
        for keyword in KEYWORDS {
            let keyword = if word.chars().next().is_some_and(char::is_lowercase) {
                keyword.to_lowercase()
            } else {
                keyword.to_string()
            };
            offer(keyword);
        }
        for rel in &self.catalog.relations {
            offer(rel.schema.clone());
            offer(format!("{}.{}", rel.schema, rel.name));
            offer(rel.name.clone());
            for column in &rel.columns {
                offer(column.name.clone());
            }
        }
        let Some(first) = candidates.first() else {
            return false;
        };
        let common = candidates.iter().skip(1).fold(first.clone(), |acc, c| {
            acc.chars()
                .zip(c.chars())
                .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
                .map(|(a, _)| a)
                .collect()
        });
        let rest: String = common.chars().skip(word.chars().count()).collect();
        self.editor.insert_str(&rest);
        if candidates.len() > 1 {
            let shown: Vec<&str> = candidates.iter().take(8).map(String::as_str).collect();
            status.info(format!(
                "{} matches: {}",
                candidates.len(),
                shown.join("  ")
            ));
        }
        true
    }
}
