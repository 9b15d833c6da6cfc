//! The app's part of opening files (`crate::open`): the palette's `open PATH` and
//! `import [VIEW]`, and what the background work reports back.

use super::action::Action;
use super::app::App;
use super::effect::Effect;
use super::screen::Screen;

impl App {
    /// `open PATH` from the palette: opened as a job, the report comes back as
    /// [`Action::Opened`].
    pub(super) fn palette_open(&mut self, path: String) -> Vec<Effect> {
        if path.is_empty() {
            self.status
                .error("open what? type open PATH (Tab completes)");
            return vec![];
        }
        self.status.info(format!("opening {path}…"));
        vec![Effect::OpenFiles(path)]
    }

    /// `import VIEW` from the palette; a bare `import` takes the opened view selected in
    /// the catalog.
    pub(super) fn palette_import(&mut self, name: String) -> Vec<Effect> {
        let name = match self.sql.catalog.selected_relation() {
            Some(r) if name.is_empty() && r.schema == crate::open::SCHEMA => r.name.clone(),
            _ => name,
        };
        if name.is_empty() {
            self.status
                .error("import what? select an opened view, or type import VIEW");
            return vec![];
        }
        self.status.info(format!("importing {name}…"));
        vec![Effect::ImportView(name)]
    }

    /// Files opened (at the start or from the palette) or a view imported.
    pub(super) fn opened(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Opened(Ok(report)) => {
                self.screen = Screen::Sql;
                return self.sql.show_opened(&report, &mut self.status);
            }
            Action::Opened(Err(e)) => self.status.error(format!("open failed: {e}")),
            Action::Imported(Ok(table)) => {
                self.status.info(format!("imported into {table}"));
                return vec![Effect::LoadCatalog];
            }
            Action::Imported(Err(e)) => self.status.error(format!("import failed: {e}")),
            _ => {}
        }
        vec![]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEvent;

    #[test]
    fn the_palette_opens_files_and_imports_the_selected_view() {
        use crate::warehouse::catalog::{Relation, RelationKind};
        use ratatui::crossterm::event::{KeyCode, KeyModifiers};
        let mut app = App::new("w.duckdb".into(), 100);
        let type_in = |app: &mut App, text: &str| {
            app.update(Action::OpenPalette);
            for c in text.chars() {
                app.update(Action::PaletteKey(KeyEvent::new(
                    KeyCode::Char(c),
                    KeyModifiers::NONE,
                )));
            }
            app.update(Action::PaletteKey(KeyEvent::new(
                KeyCode::Enter,
                KeyModifiers::NONE,
            )))
        };
        assert_eq!(
            type_in(&mut app, "open lake/"),
            vec![Effect::OpenFiles("lake/".into())]
        );
        assert_eq!(app.status.text, "opening lake/…");
        assert!(type_in(&mut app, "import").is_empty(), "nothing selected");
        app.update(Action::CatalogLoaded(Ok(vec![Relation {
            schema: crate::open::SCHEMA.into(),
            name: "lines".into(),
            kind: RelationKind::View,
            rows: None,
            columns: Vec::new(),
        }])));
        assert_eq!(
            type_in(&mut app, "import"),
            vec![Effect::ImportView("lines".into())]
        );
        assert_eq!(
            app.update(Action::Imported(Ok("imported.lines (2 rows)".into()))),
            vec![Effect::LoadCatalog]
        );
        assert_eq!(app.status.text, "imported into imported.lines (2 rows)");
    }
}
