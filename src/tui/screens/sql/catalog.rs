//! The SQL screen's catalog pane: the warehouse's relations by schema, with row counts,
//! and the columns of the selected one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph};

use crate::format::thousands;
use crate::tui::theme;
use crate::tui::widgets::pane::pane_block;
use crate::warehouse::catalog::{Relation, RelationKind};

/// The catalog pane: relations and the selected one.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub relations: Vec<Relation>,
    pub selected: usize,
    pub loaded: bool,
    /// The relation (schema, name) to select once a load lists it (a view just opened).
    pub select: Option<(String, String)>,
}

impl Catalog {
    /// Takes the relations of a (re)load and returns whether it was the first load.
    pub fn receive(&mut self, relations: Vec<Relation>) -> bool {
        if !self.loaded {
            // Start on the data, not on the bookkeeping tables that sort first.
            self.selected = relations
                .iter()
                .position(|r| r.schema == "raw" && r.name == "order_lines")
                .unwrap_or(0);
        }
        if let Some((schema, name)) = &self.select
            && let Some(at) = relations
                .iter()
                .position(|r| &r.schema == schema && &r.name == name)
        {
            self.selected = at;
            self.select = None;
        }
        self.relations = relations;
        self.selected = self.selected.min(self.relations.len().saturating_sub(1));
        let first_load = !self.loaded;
        self.loaded = true;
        first_load
    }

    pub fn selected_relation(&self) -> Option<&Relation> {
        self.relations.get(self.selected)
    }

    /// Rows of `raw.order_lines`, once the catalog is loaded.
    pub fn order_lines(&self) -> Option<u64> {
        self.relations
            .iter()
            .find(|r| r.schema == "raw" && r.name == "order_lines")
            .and_then(|r| r.rows)
    }
}

/// Short label of a relation kind for the catalog.
pub fn kind_label(kind: RelationKind) -> &'static str {
    match kind {
        RelationKind::Table => "table",
        RelationKind::View => "view",
    }
}

/// The catalog pane; `focused` when it has the focus.
/// Where the catalog's list and the selected relation's columns go in the pane `area`,
/// and the first list line shown (so the selection stays in view): drawing and mouse
/// clicks both ask here.
fn list_view(catalog: &Catalog, area: Rect) -> (Rect, Rect, usize) {
    let inner = Block::bordered().inner(area);
    let column_lines = catalog
        .selected_relation()
        .map_or(0, |r| r.columns.len() as u16);
    let list_height = inner
        .height
        .saturating_sub(column_lines.min(inner.height / 2) + 1);
    let [list_area, columns_area] =
        Layout::vertical([Constraint::Length(list_height), Constraint::Min(0)]).areas(inner);
    let selected_line = list_lines(catalog)
        .iter()
        .position(|l| *l == Some(catalog.selected))
        .unwrap_or(0);
    let offset = selected_line.saturating_sub(list_height.saturating_sub(1) as usize);
    (list_area, columns_area, offset)
}

/// The list's lines: a schema's heading (`None`) or a relation (its index).
fn list_lines(catalog: &Catalog) -> Vec<Option<usize>> {
    let mut lines = Vec::new();
    let mut schema = "";
    for (i, rel) in catalog.relations.iter().enumerate() {
        if rel.schema != schema {
            schema = &rel.schema;
            lines.push(None);
        }
        lines.push(Some(i));
    }
    lines
}

/// The relation listed at terminal row `y` of the catalog pane `area`.
pub(super) fn relation_at(catalog: &Catalog, area: Rect, x: u16, y: u16) -> Option<usize> {
    let (list_area, _, offset) = list_view(catalog, area);
    if !catalog.loaded || !list_area.contains(ratatui::layout::Position::new(x, y)) {
        return None;
    }
    list_lines(catalog)
        .get(offset + (y - list_area.y) as usize)
        .copied()
        .flatten()
}

pub(super) fn draw_catalog(frame: &mut Frame, catalog: &Catalog, focused: bool, area: Rect) {
    let block = pane_block("Catalog", focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if !catalog.loaded {
        frame.render_widget(Paragraph::new("loading…").dim(), inner);
        return;
    }
    let selected = catalog.selected_relation();
    let (list_area, columns_area, offset) = list_view(catalog, area);
    let width = list_area.width as usize;
    let mut items = Vec::new();
    let mut selected_item = None;
    let mut schema = "";
    for (i, rel) in catalog.relations.iter().enumerate() {
        if rel.schema != schema {
            schema = &rel.schema;
            items.push(ListItem::new(Line::from(Span::styled(
                format!("▾ {schema}"),
                Style::new().bold().fg(theme::HEADING),
            ))));
        }
        let count = rel
            .rows
            .map(thousands)
            .unwrap_or_else(|| kind_label(rel.kind).into());
        let name_width = width.saturating_sub(count.chars().count() + 3);
        let name: String = rel.name.chars().take(name_width).collect();
        let pad = width.saturating_sub(2 + name.chars().count() + count.chars().count());
        items.push(ListItem::new(Line::from(vec![
            Span::raw(format!("  {name}{}", " ".repeat(pad))),
            Span::styled(count, Style::new().fg(theme::MUTED)),
        ])));
        if i == catalog.selected {
            selected_item = Some(items.len() - 1);
        }
    }
    let mut state = ListState::default()
        .with_offset(offset)
        .with_selected(selected_item);
    let highlight = if focused {
        theme::selected()
    } else {
        Style::new().add_modifier(Modifier::REVERSED)
    };
    let list = List::new(items).highlight_style(highlight);
    frame.render_stateful_widget(list, list_area, &mut state);
    if let Some(rel) = selected {
        let mut lines = vec![Line::from(Span::styled(
            format!("{}.{}", rel.schema, rel.name),
            Style::new().bold(),
        ))];
        lines.extend(rel.columns.iter().map(|c| {
            Line::from(vec![
                Span::raw(format!(" {} ", c.name)),
                Span::styled(c.data_type.to_lowercase(), Style::new().fg(theme::MUTED)),
            ])
        }));
        frame.render_widget(Paragraph::new(lines), columns_area);
    }
}
