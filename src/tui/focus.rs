//! Where keys go: normal or insert mode, and the pane of the SQL screen that has the
//! focus. The SQL screen keeps them; the keymap's scopes and the status line read them.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Insert,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Catalog,
    Editor,
    Grid,
}

impl Pane {
    const ORDER: [Pane; 3] = [Pane::Catalog, Pane::Editor, Pane::Grid];

    pub fn step(self, by: isize) -> Pane {
        let i = Self::ORDER.iter().position(|&p| p == self).unwrap_or(0) as isize;
        Self::ORDER[(i + by).rem_euclid(Self::ORDER.len() as isize) as usize]
    }
}
