//! Where the parts of the workbench sit on the terminal: the title row, the body, the
//! status row, and the SQL screen's catalog, editor and grid. The grid's height decides
//! how many rows a page move covers, so the SQL screen's state asks here too.

use ratatui::layout::{Constraint, Layout, Rect};

/// Height of the SQL editor, borders included.
const EDITOR_HEIGHT: u16 = 8;

pub struct Areas {
    pub title: Rect,
    pub catalog: Rect,
    pub editor: Rect,
    pub grid: Rect,
    pub status: Rect,
}

impl Areas {
    /// The rows between the title and the status line, full width: a screen's area.
    pub fn body(&self, width: u16) -> Rect {
        Rect::new(self.catalog.x, self.catalog.y, width, self.catalog.height)
    }
}

pub fn areas(area: Rect) -> Areas {
    let [title, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let catalog_width = (area.width / 3).clamp(22, 42);
    let [catalog, right] =
        Layout::horizontal([Constraint::Length(catalog_width), Constraint::Min(10)]).areas(body);
    let [editor, grid] =
        Layout::vertical([Constraint::Length(EDITOR_HEIGHT), Constraint::Min(3)]).areas(right);
    Areas {
        title,
        catalog,
        editor,
        grid,
        status,
    }
}

/// Data rows the grid shows at terminal size `(width, height)` (borders and header off).
pub fn grid_body_height(size: (u16, u16)) -> u16 {
    areas(Rect::new(0, 0, size.0, size.1))
        .grid
        .height
        .saturating_sub(3)
        .max(1)
}
