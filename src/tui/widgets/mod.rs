//! Pieces of drawing more than one screen uses: bordered panes and table headers,
//! popups, the revenue chart, SQL highlighting and tables with a selected row. They know the theme, not the app.

pub mod highlight;
pub mod pane;
pub mod popup;
pub mod result_chart;
pub mod revenue_chart;
pub mod selectable;
