//! The column profile overlay's state: the column asked for, its profile once the
//! worker computed it, and the top value selected (Enter filters on it).

use crate::warehouse::profile::ColumnProfile;

#[derive(Debug, Clone, PartialEq)]
pub struct ProfilePane {
    pub column: String,
    /// `None` while the worker computes it.
    pub profile: Option<Box<ColumnProfile>>,
    /// The selected top value.
    pub selected: usize,
}

impl ProfilePane {
    pub fn loading(column: String) -> Self {
        Self {
            column,
            profile: None,
            selected: 0,
        }
    }

    /// Moves the selection among the top values.
    pub fn move_by(&mut self, delta: i64) {
        let count = self.profile.as_ref().map_or(0, |p| p.top.len());
        self.selected = (self.selected as i64)
            .saturating_add(delta)
            .clamp(0, count.saturating_sub(1) as i64) as usize;
    }

    /// The selected top value (`Some(None)` is NULL).
    pub fn selected_value(&self) -> Option<Option<String>> {
        let profile = self.profile.as_ref()?;
        profile.top.get(self.selected).map(|t| t.value.clone())
    }
}
