//! Files opened with `ecom open PATH...` or the palette's `open PATH`: the first view's
//! rows in the grid, the catalog on it, and what did not open (and what was attached)
//! as comments above the query, where they stay in sight.

use super::{STARTER_SQL, SqlScreen};
use crate::open::OpenReport;
use crate::tui::effect::Effect;
use crate::tui::status::Status;

impl SqlScreen {
    /// Shows what `open` made: in the front tab while it is unused (the workbench's
    /// start), else in a new tab.
    pub fn show_opened(&mut self, report: &OpenReport, status: &mut Status) -> Vec<Effect> {
        let mut text = String::new();
        for failure in &report.failures {
            text += &format!("-- cannot open {}\n", one_line(&failure.to_string()));
        }
        for note in &report.notes {
            text += &format!("-- {}\n", one_line(note));
        }
        let first = report.views.first();
        if let Some(view) = first {
            let others = report.views.len() - 1;
            if others > 0 {
                text += &format!("-- {others} more in the catalog, schema {}\n", view.schema);
            }
            text += &format!("FROM {}", view.qualified());
            self.catalog.select = Some((view.schema.clone(), view.name.clone()));
        }
        let unused = self.running.is_none()
            && self.grid.result.is_none()
            && self.editor.text() == STARTER_SQL;
        let mut effects = Vec::new();
        // A palette `open` that opened nothing leaves the tabs alone: the status says why.
        if first.is_some() || unused {
            if !unused {
                effects.extend(self.new_tab(status));
            }
            self.editor.set_text(text.trim_end());
        }
        if first.is_some() {
            effects.extend(self.run_query(status));
            effects.push(Effect::LoadCatalog);
        }
        let names: Vec<&str> = report.views.iter().map(|v| v.name.as_str()).collect();
        match report.failures.first() {
            Some(failure) => status.error(format!(
                "opened {} view(s); {} did not open: {failure}",
                names.len(),
                report.failures.len()
            )),
            None => status.info(format!("opened {}", names.join(", "))),
        }
        effects
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::formats::Format;
    use crate::open::{OpenFailure, OpenedView};
    use crate::tui::action::Action;
    use crate::warehouse::catalog::{Relation, RelationKind};

    fn report() -> OpenReport {
        OpenReport {
            views: vec![OpenedView {
                schema: "opened".into(),
                name: "lines".into(),
                source: "lines.parquet".into(),
                format: Format::Parquet,
                files: 1,
                kind: RelationKind::View,
                columns: Vec::new(),
                rows: None,
            }],
            failures: vec![OpenFailure {
                path: "bad.csv".into(),
                reason: "the file is empty".into(),
            }],
            notes: vec!["no warehouse".into()],
        }
    }

    #[test]
    fn the_first_view_runs_in_the_unused_tab_and_failures_stay_in_sight() {
        let (mut sql, mut status) = (SqlScreen::new(100), Status::default());
        let effects = sql.show_opened(&report(), &mut status);
        assert_eq!(
            sql.editor.text(),
            "-- cannot open bad.csv: the file is empty\n-- no warehouse\nFROM \"opened\".\"lines\""
        );
        assert!(matches!(effects[0], Effect::SaveHistory(_)), "{effects:?}");
        assert!(effects.iter().any(|e| matches!(e, Effect::RunQuery { .. })));
        assert_eq!(effects.last(), Some(&Effect::LoadCatalog));
        assert_eq!(sql.tabs.tabs.len(), 1, "the unused tab is used");
        assert!(
            status.text.contains("bad.csv: the file is empty"),
            "{status:?}"
        );
        let relation = |name: &str| Relation {
            schema: "opened".into(),
            name: name.into(),
            kind: RelationKind::View,
            rows: None,
            columns: Vec::new(),
        };
        sql.update(
            Action::CatalogLoaded(Ok(vec![relation("a"), relation("lines")])),
            &mut status,
        );
        assert_eq!(sql.catalog.selected, 1, "the catalog shows the opened view");
        // A later open, with the front tab in use, gets its own tab; one that opened
        // nothing only says why.
        sql.show_opened(&report(), &mut status);
        assert_eq!(sql.tabs.tabs.len(), 2);
        let failed = OpenReport {
            views: Vec::new(),
            ..report()
        };
        assert!(sql.show_opened(&failed, &mut status).is_empty());
        assert_eq!(sql.tabs.tabs.len(), 2);
        assert_eq!(
            status.text,
            "opened 0 view(s); 1 did not open: bad.csv: the file is empty"
        );
    }
}
