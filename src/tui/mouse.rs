//! Where a left click lands: the title row's screen tabs, the SQL screen's tabs,
//! catalog, grid and editor, the dashboard's panels. Positions come from the areas and
//! geometry the drawing itself uses (`layout`, `ui::screen_tab_at`, each screen's own
//! hit testing), so a click always means what is drawn under it.

use ratatui::layout::{Position, Rect};

use super::app::App;
use super::layout::areas;
use super::screen::Screen;
use super::screens::sql::SqlTarget;
use super::ui::screen_tab_at;

/// What was clicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    ScreenTab(Screen),
    Sql(SqlTarget),
    /// A panel of the dashboard, or a figure of the ML screen (an index into its figures).
    Figure(usize),
}

/// What the cell (x, y) of a terminal of `size` shows to click, as `app` is drawn.
pub fn target_at(app: &App, size: (u16, u16), x: u16, y: u16) -> Option<Target> {
    let a = areas(Rect::new(0, 0, size.0, size.1));
    if a.title.contains(Position::new(x, y)) {
        return screen_tab_at(x).map(Target::ScreenTab);
    }
    let body = a.body(size.0);
    if !body.contains(Position::new(x, y)) {
        return None;
    }
    match app.screen {
        Screen::Sql if app.sql.chart.is_none() => app.sql.target_at(&a, x, y).map(Target::Sql),
        Screen::Dashboard if app.dashboard.menu.is_none() => {
            app.dashboard.panel_at(body, x, y).map(Target::Figure)
        }
        Screen::Ml => app.ml.figure_at(body, x, y).map(Target::Figure),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Action;
    use crate::warehouse::catalog::{Relation, RelationKind};

    fn relation(schema: &str, name: &str) -> Relation {
        Relation {
            schema: schema.into(),
            name: name.into(),
            kind: RelationKind::Table,
            rows: Some(1),
            columns: Vec::new(),
        }
    }

    #[test]
    fn title_tabs_are_hit_where_they_are_drawn() {
        let app = App::new("w.duckdb".into(), 100);
        // " ecom " then "  1 Dashboard" from column 6: the key is at column 8.
        assert_eq!(
            target_at(&app, (80, 24), 8, 0),
            Some(Target::ScreenTab(Screen::Dashboard))
        );
        assert_eq!(target_at(&app, (80, 24), 6, 0), None, "the gap");
        assert_eq!(target_at(&app, (80, 24), 2, 0), None, "the brand");
        // "  2 SQL" follows "  1 Dashboard" (13 columns): columns 21..26.
        assert_eq!(
            target_at(&app, (80, 24), 21, 0),
            Some(Target::ScreenTab(Screen::Sql))
        );
        assert_eq!(
            target_at(&app, (80, 24), 25, 0),
            Some(Target::ScreenTab(Screen::Sql))
        );
    }

    #[test]
    fn catalog_entries_grid_rows_and_sql_tabs_are_hit() {
        let mut app = App::new("w.duckdb".into(), 100);
        app.update(Action::CatalogLoaded(Ok(vec![
            relation("main", "a"),
            relation("raw", "order_lines"),
        ])));
        // The catalog: border at row 1, "▾ main" at 2, "a" at 3, "▾ raw" at 4.
        let at = |app: &App, x, y| target_at(app, (80, 24), x, y);
        assert_eq!(at(&app, 3, 3), Some(Target::Sql(SqlTarget::Relation(0))));
        assert_eq!(at(&app, 3, 4), None, "a schema heading");
        assert_eq!(at(&app, 3, 5), Some(Target::Sql(SqlTarget::Relation(1))));
        app.sql.grid.set_result(crate::tui::grid::GridResult {
            query_id: 1,
            columns: vec![],
            total_rows: 3,
            elapsed_ms: 0,
        });
        // The grid starts under the editor (rows 1..9): border 9, header 10, rows 11…
        assert_eq!(at(&app, 40, 11), Some(Target::Sql(SqlTarget::Row(0, None))));
        assert_eq!(at(&app, 40, 13), Some(Target::Sql(SqlTarget::Row(2, None))));
        assert_eq!(at(&app, 40, 14), None, "past the last row");
        assert_eq!(at(&app, 40, 10), None, "the header");
        // With columns: the row numbers (1 wide), two blanks, then each column.
        let column = |name: &str| crate::warehouse::pager::ResultColumn {
            name: name.into(),
            data_type: "INTEGER".into(),
            numeric: true,
        };
        app.sql.grid.set_result(crate::tui::grid::GridResult {
            query_id: 2,
            columns: vec![column("a"), column("bb")],
            total_rows: 3,
            elapsed_ms: 0,
        });
        // The grid's inside starts at column 27 (catalog 26, border 1): "a" is 30..33,
        // "bb" 35..38.
        assert_eq!(
            at(&app, 30, 11),
            Some(Target::Sql(SqlTarget::Row(0, Some(0))))
        );
        assert_eq!(
            at(&app, 36, 12),
            Some(Target::Sql(SqlTarget::Row(1, Some(1))))
        );
        assert_eq!(at(&app, 34, 12), Some(Target::Sql(SqlTarget::Row(1, None))));
        app.update(Action::NewSqlTab);
        app.update(Action::Escape);
        // The editor's title " SQL 1 [2] (…) " starts at column 26 (the catalog's
        // width) + 2: "SQL " then "1" at 32, "[2]" at 34..37.
        assert_eq!(at(&app, 32, 1), Some(Target::Sql(SqlTarget::Tab(0))));
        assert_eq!(at(&app, 35, 1), Some(Target::Sql(SqlTarget::Tab(1))));
        assert_eq!(at(&app, 33, 1), None);
        app.sql.editor.set_text("select 1\nfrom t");
        assert_eq!(at(&app, 30, 3), Some(Target::Sql(SqlTarget::Editor(1, 3))));
        assert_eq!(
            at(&app, 60, 6),
            Some(Target::Sql(SqlTarget::Editor(1, 6))),
            "under the text: the end of the last line"
        );
    }
}
