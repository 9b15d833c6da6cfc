//! Pieces of drawing more than one screen uses: bordered panes and table headers,
//! popups, the revenue chart and SQL highlighting. They know the theme, not the app.

pub mod highlight;
pub mod pane;
pub mod popup;
pub mod result_chart;
pub mod revenue_chart;
