//! The dashboard's layout on screen: the variables bar, then the panels on the grid
//! (`dashboards::layout`, scaled to the terminal's width, a grid row a line), scrolled so
//! the selected panel shows. The panels are drawn into a buffer as tall as the whole
//! grid and the visible lines copied out, so a panel cut by the edge still looks right.
//! Drawing and mouse clicks both place panels with [`Geometry`].

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, Wrap};

use super::DashboardScreen;
use super::figures;
use crate::dashboards::layout::{place, scale};
use crate::dashboards::spec::GRID_COLUMNS;
use crate::dashboards::{Dashboard, VariableKind};
use crate::tui::theme;
use crate::tui::widgets::pane::pane_block;

/// Where the panels go in a screen body.
struct Geometry {
    bar: Rect,
    /// The visible part of the grid.
    view: Rect,
    /// Each panel's rectangle in grid coordinates (y from the grid's top).
    panels: Vec<Rect>,
    /// The grid's height in lines.
    height: u16,
    /// The first grid line shown.
    scroll: u16,
}

impl Geometry {
    fn of(dashboard: &Dashboard, selected: usize, area: Rect) -> Self {
        let [bar, view] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
        let (placed, height) = place(&dashboard.panels);
        let panels: Vec<Rect> = placed
            .iter()
            .map(|p| {
                let (x, width) = scale(p.x, p.width, GRID_COLUMNS, u32::from(view.width));
                Rect::new(x as u16, p.y, width as u16, p.height)
            })
            .collect();
        // The selected panel shows whole when it fits, its top when it does not.
        let scroll = panels.get(selected).map_or(0, |p| {
            p.bottom()
                .saturating_sub(view.height)
                .min(p.y)
                .min(height.saturating_sub(view.height))
        });
        Self {
            bar,
            view,
            panels,
            height,
            scroll,
        }
    }
}

pub fn draw(frame: &mut Frame, screen: &DashboardScreen, area: Rect) {
    let failure = match (&screen.loaded, &screen.bound) {
        (None, _) => {
            let loading = Paragraph::new("loading the dashboard…").dim();
            frame.render_widget(loading.block(pane_block("Dashboard", false)), area);
            return;
        }
        (Some(Err(e)), _) => Some((e, "fix the file and save it: it reloads by itself")),
        (_, Some(Err(e))) => Some((
            e,
            "the panels read the marts: build them with `ecom models build`; r runs again",
        )),
        _ => None,
    };
    let name = screen.file.as_ref().map_or("", |f| f.name.as_str());
    if let Some((failure, hint)) = failure {
        let text = vec![
            Line::from(Span::styled(failure.0.clone(), Style::new().fg(theme::BAD))),
            Line::from(""),
            Line::from(hint.dim()),
            Line::from("d picks another dashboard".dim()),
        ];
        let title = format!("{name}: cannot show this dashboard");
        let block = pane_block(&title, false);
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: false }).block(block),
            area,
        );
        return;
    }
    let Some(dashboard) = screen.dashboard() else {
        return;
    };
    let g = Geometry::of(dashboard, screen.selected, area);
    frame.render_widget(Paragraph::new(variables_bar(screen, dashboard)), g.bar);
    let mut grid = Buffer::empty(Rect::new(0, 0, g.view.width, g.height));
    for (index, (panel, rect)) in dashboard.panels.iter().zip(&g.panels).enumerate() {
        let state = screen.panels.get(index);
        figures::draw_panel(
            &mut grid,
            *rect,
            panel,
            state.and_then(|s| s.figure.as_ref()),
            state.is_some_and(|s| s.running),
            index == screen.selected,
        );
    }
    let out = frame.buffer_mut();
    for y in 0..g.view.height.min(g.height.saturating_sub(g.scroll)) {
        for x in 0..g.view.width {
            out[(g.view.x + x, g.view.y + y)] = grid[(x, y + g.scroll)].clone();
        }
    }
    if g.height > g.view.height {
        let mut state = ScrollbarState::new(usize::from(g.height - g.view.height))
            .position(usize::from(g.scroll));
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .style(Style::new().fg(theme::MUTED)),
            g.view,
            &mut state,
        );
    }
}

/// The title and each variable's value, then the keys that change them.
fn variables_bar<'a>(screen: &DashboardScreen, dashboard: &'a Dashboard) -> Line<'a> {
    let mut spans = vec![Span::styled(
        format!(" {} ", dashboard.title),
        Style::new().bold().fg(theme::ACCENT),
    )];
    let period = screen.variables().and_then(|b| b.bindings.period());
    for (index, variable) in dashboard.variables.iter().enumerate() {
        let mut value = screen.current_value(index);
        if variable.kind == VariableKind::Period
            && let Some(p) = period
        {
            value += &format!(" ({} to {})", p.from, p.to);
        }
        spans.push(format!(" {} ", variable.label.to_lowercase()).into());
        spans.push(value.bold());
    }
    spans.push("   d dashboards · v variables · p period · f country · Enter SQL".dim());
    Line::from(spans)
}

/// The panel under terminal cell (x, y) of the screen body `area`, as drawn.
pub fn panel_at(screen: &DashboardScreen, area: Rect, x: u16, y: u16) -> Option<usize> {
    // Nothing to select until the variables are bound and the panels drawn.
    screen.variables()?;
    let g = Geometry::of(screen.dashboard()?, screen.selected, area);
    if !g.view.contains(Position::new(x, y)) {
        return None;
    }
    let at = Position::new(x - g.view.x, y - g.view.y + g.scroll);
    g.panels.iter().position(|p| p.contains(at))
}
