//! Where each panel goes: panels flow left to right over [`GRID_COLUMNS`] columns and
//! wrap to a new row, which is as tall as its tallest panel. The workbench scales the
//! grid to terminal cells and `dashboard render` to pixels, from the same placement.

use super::spec::{GRID_COLUMNS, Panel};

/// A panel's place in grid units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

/// The places of `panels`, in order, and the grid's total height.
pub fn place(panels: &[Panel]) -> (Vec<Placed>, u16) {
    let (mut x, mut y, mut row_height) = (0u16, 0u16, 0u16);
    let mut placed = Vec::with_capacity(panels.len());
    for panel in panels {
        if x + panel.width > GRID_COLUMNS {
            (x, y, row_height) = (0, y + row_height, 0);
        }
        placed.push(Placed {
            x,
            y,
            width: panel.width,
            height: panel.height,
        });
        x += panel.width;
        row_height = row_height.max(panel.height);
    }
    (placed, y + row_height)
}

/// `span` grid units of a `total`-unit grid over `pixels` (or cells), rounded so
/// neighbours meet exactly: the start of unit `from` to the start of `from + span`.
pub fn scale(from: u16, span: u16, total: u16, pixels: u32) -> (u32, u32) {
    let edge = |unit: u16| (u64::from(unit) * u64::from(pixels) / u64::from(total.max(1))) as u32;
    let start = edge(from);
    (start, edge(from + span) - start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboards::spec::parse;

    #[test]
    fn panels_flow_and_wrap() {
        let d = parse(
            "title = 't'\n[[panels]]\ntitle = 'a'\nkind = 'kpi'\nsql = 'select 1'\nwidth = 6\n[[panels]]\ntitle = 'b'\nkind = 'kpi'\nsql = 'select 1'\nwidth = 6\nheight = 8\n[[panels]]\ntitle = 'c'\nkind = 'line'\nsql = 'select 1'\n",
            "t.toml",
        )
        .unwrap();
        let (placed, height) = place(&d.panels);
        assert_eq!(
            placed[1],
            Placed {
                x: 6,
                y: 0,
                width: 6,
                height: 8
            }
        );
        assert_eq!(
            placed[2],
            Placed {
                x: 0,
                y: 8,
                width: 12,
                height: 12
            }
        );
        assert_eq!(height, 20);
        assert_eq!(scale(0, 4, 12, 100), (0, 33));
        assert_eq!(scale(4, 4, 12, 100), (33, 33));
        assert_eq!(scale(8, 4, 12, 100), (66, 34));
    }
}
