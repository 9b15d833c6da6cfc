//! The grid's columns: which fit on screen (the frozen ones, then from the first
//! visible one), how wide each is, keeping the current column in view, freezing and
//! fitting. The keys and the drawing use this same arithmetic.

use super::Grid;
use crate::format::thousands;

/// Widest a column gets from the rows it shows, in characters.
pub const MAX_COLUMN_WIDTH: usize = 32;
/// Blank columns between grid columns.
pub const COLUMN_SPACING: u16 = 2;
/// Narrowest and widest the user can make a column.
const MIN_WIDTH: i32 = 3;
const MAX_WIDTH: i32 = 4 * MAX_COLUMN_WIDTH as i32;

impl Grid {
    /// Width of the row numbers on the left.
    pub fn gutter(&self) -> u16 {
        thousands(self.total_rows()).len().max(1) as u16
    }

    pub fn column_count(&self) -> usize {
        self.result.as_ref().map_or(0, |r| r.columns.len())
    }

    /// Column `c`'s width: its fitted width, else its name and the values of the
    /// `height` rows shown (up to [`MAX_COLUMN_WIDTH`]); plus what the user added.
    pub fn column_width(&self, c: usize, height: u64) -> usize {
        let name = self
            .result
            .as_ref()
            .and_then(|r| r.columns.get(c))
            .map_or(0, |col| col.name.chars().count());
        let base = match self.fitted.get(&c) {
            Some(&width) => width,
            None => (self.top..self.top + height)
                .filter_map(|r| self.row(r).and_then(|row| row.get(c)))
                .map(|s| s.chars().count())
                .chain(std::iter::once(name))
                .max()
                .unwrap_or(4)
                .clamp(3, MAX_COLUMN_WIDTH),
        };
        let change = self.width_changes.get(&c).copied().unwrap_or(0);
        (base as i32 + change).clamp(MIN_WIDTH, MAX_WIDTH) as usize
    }

    /// The columns a grid `width` characters wide (borders included) shows, with their
    /// widths: the frozen ones that fit, then from the first visible one while they fit
    /// at full width. The first visible one always shows (cut if it must), so the
    /// current column can always be brought into view.
    pub fn shown_columns(&self, width: u16, height: u64) -> Vec<(usize, usize)> {
        let count = self.column_count();
        let frozen = self.frozen.min(count);
        let first = self.first_column.max(frozen);
        let mut room = width.saturating_sub(2 + self.gutter() + COLUMN_SPACING) as usize;
        let mut shown = Vec::new();
        for c in (0..frozen).chain(first..count) {
            let w = self.column_width(c, height);
            if c != first && w > room {
                if c < frozen {
                    continue;
                }
                break;
            }
            shown.push((c, w.min(room.max(3))));
            room = room.saturating_sub(w + COLUMN_SPACING as usize);
        }
        shown
    }

    /// The column drawn at `x` characters from the grid's left border (for a click),
    /// laid out as [`Grid::shown_columns`] lays it: the row numbers, then each column
    /// and its spacing.
    pub fn column_at(&self, x: u16, width: u16, height: u64) -> Option<usize> {
        let mut start = self.gutter() + COLUMN_SPACING;
        for (c, w) in self.shown_columns(width, height) {
            if (start..start + w as u16).contains(&x) {
                return Some(c);
            }
            start += w as u16 + COLUMN_SPACING;
        }
        None
    }

    /// Moves the current column by `delta`, scrolling so it stays in view.
    pub fn move_column(&mut self, delta: i32, width: u16, height: u64) {
        let last = self.column_count().saturating_sub(1);
        self.column = self.column.saturating_add_signed(delta as isize).min(last);
        self.keep_column_visible(width, height);
    }

    /// Scrolls the columns (not the frozen ones) until the current one shows.
    pub fn keep_column_visible(&mut self, width: u16, height: u64) {
        if self.column < self.frozen {
            return;
        }
        if self.column < self.first_column.max(self.frozen) {
            self.first_column = self.column;
            return;
        }
        while self.first_column < self.column
            && !self
                .shown_columns(width, height)
                .iter()
                .any(|&(c, _)| c == self.column)
        {
            self.first_column += 1;
        }
    }

    /// Freezes the columns up to and including the current one, so they stay at the
    /// left while the others scroll; unfreezes when some are frozen.
    pub fn toggle_freeze(&mut self, width: u16, height: u64) {
        if self.frozen > 0 {
            self.frozen = 0;
        } else if self.result.is_some() {
            self.frozen = self.column + 1;
            self.first_column = self.frozen;
        }
        self.keep_column_visible(width, height);
    }

    /// Widens (or narrows, when negative) the current column by `delta` characters.
    pub fn resize_column(&mut self, delta: i32) {
        if self.result.is_some() {
            *self.width_changes.entry(self.column).or_default() += delta;
        }
    }

    /// Fits column `c` to its widest value among the rows in memory (or its name).
    pub fn fit_column(&mut self, c: usize) {
        let Some(name) = self.result.as_ref().and_then(|r| r.columns.get(c)) else {
            return;
        };
        let widest = self
            .window
            .rows
            .iter()
            .filter_map(|row| row.get(c))
            .map(|s| s.chars().count())
            .chain(std::iter::once(name.name.chars().count()))
            .max()
            .unwrap_or(0)
            .max(MIN_WIDTH as usize);
        self.fitted.insert(c, widest);
        self.width_changes.remove(&c);
    }

    pub fn fit_all_columns(&mut self) {
        for c in 0..self.column_count() {
            self.fit_column(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Grid, GridResult};
    use crate::warehouse::pager::ResultColumn;

    /// Ten columns `c0`..`c9`, one row of values `c` characters wide (`xxx…`).
    fn wide_grid() -> Grid {
        let mut g = Grid::new(100);
        g.set_result(GridResult {
            query_id: 1,
            columns: (0..10)
                .map(|i| ResultColumn {
                    name: format!("c{i}"),
                    data_type: "VARCHAR".into(),
                    numeric: false,
                })
                .collect(),
            total_rows: 1,
            elapsed_ms: 0,
        });
        let row = (0..10).map(|i| "x".repeat(10 + i * 5)).collect();
        g.receive_page(1, 0, vec![row]);
        g
    }

    fn shown(g: &Grid) -> Vec<usize> {
        g.shown_columns(60, 5).iter().map(|&(c, _)| c).collect()
    }

    #[test]
    fn the_current_column_stays_in_view_and_frozen_columns_stay_left() {
        let mut g = wide_grid();
        // 60 wide: borders 2, gutter 1, spacing 2 leave 55: c0 (10) and c1 (15) + gaps.
        assert_eq!(shown(&g), vec![0, 1, 2]);
        g.move_column(3, 60, 5);
        assert_eq!(g.column, 3);
        assert!(shown(&g).contains(&3), "{:?}", shown(&g));
        g.move_column(100, 60, 5);
        assert_eq!(g.column, 9, "the cursor stops at the last column");
        assert_eq!(shown(&g), vec![9]);
        g.move_column(-8, 60, 5);
        assert_eq!((g.column, g.first_column), (1, 1));
        g.toggle_freeze(60, 5);
        assert_eq!(g.frozen, 2);
        g.move_column(2, 60, 5);
        assert_eq!(shown(&g)[..2], [0, 1], "frozen columns stay at the left");
        assert!(shown(&g).contains(&3));
        g.toggle_freeze(60, 5);
        assert_eq!(g.frozen, 0);
        assert!(shown(&g).contains(&3));
    }

    #[test]
    fn fitting_uses_every_row_in_memory_and_resizing_the_current_column() {
        let mut g = wide_grid();
        assert_eq!(g.column_width(9, 5), 32, "capped when not fitted");
        g.fit_column(9);
        assert_eq!(g.column_width(9, 5), 55);
        g.column = 9;
        g.resize_column(-4);
        assert_eq!(g.column_width(9, 5), 51);
        g.fit_all_columns();
        assert_eq!(g.column_width(9, 5), 55, "fitting drops the manual change");
        assert_eq!(g.column_width(0, 5), 10);
    }
}
