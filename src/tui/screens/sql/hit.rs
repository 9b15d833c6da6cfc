//! What a click on the SQL screen lands on, from the same areas and geometry the
//! drawing uses: a SQL tab's number in the editor's title, a catalog entry, a grid row,
//! or a place in the editor's text.

use ratatui::layout::{Margin, Position};

use super::SqlScreen;
use crate::tui::layout::Areas;

/// A clickable part of the SQL screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlTarget {
    /// The tab at this index (its number in the editor's title).
    Tab(usize),
    /// The catalog's relation at this index.
    Relation(usize),
    /// The grid's row (absolute index) and the column clicked, if on one.
    Row(u64, Option<usize>),
    /// The editor's text at (line, character), for the editor's own click handling.
    Editor(usize, usize),
}

impl SqlScreen {
    /// What the terminal cell (x, y) shows, if it can be clicked.
    pub fn target_at(&self, areas: &Areas, x: u16, y: u16) -> Option<SqlTarget> {
        let at = Position::new(x, y);
        if areas.editor.contains(at) {
            return self.editor_target(areas, x, y);
        }
        if areas.catalog.contains(at) {
            return super::catalog::relation_at(&self.catalog, areas.catalog, x, y)
                .map(SqlTarget::Relation);
        }
        let rows = areas.grid.inner(Margin::new(1, 1));
        // The first line inside the border is the header.
        if rows.contains(at) && y > rows.y && !self.is_empty_warehouse() {
            let row = self.grid.top + (y - rows.y - 1) as u64;
            let column = self
                .grid
                .column_at(x - rows.x, areas.grid.width, self.grid_height());
            return (row < self.grid.total_rows()).then_some(SqlTarget::Row(row, column));
        }
        None
    }

    fn editor_target(&self, areas: &Areas, x: u16, y: u16) -> Option<SqlTarget> {
        if y == areas.editor.y {
            // The title ` SQL 1 [2] 3 (…) ` starts after the corner and a space.
            let label = self.tabs.label()?;
            let mut column = areas.editor.x + 2 + "SQL ".len() as u16;
            for (n, token) in label.split(' ').enumerate() {
                let width = token.chars().count() as u16;
                if (column..column + width).contains(&x) {
                    return Some(SqlTarget::Tab(n));
                }
                column += width + 1;
            }
            return None;
        }
        self.editor_position(areas.editor, x, y)
            .map(|(row, col)| SqlTarget::Editor(row, col))
    }
}
