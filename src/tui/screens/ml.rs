//! Screen 6, ML: the customer segments (profiles and a chart of their sizes), net
//! revenue by day with the flagged days on it, the strongest anomalies with their
//! reasons, the latest runs of every ML job, and the suggestions for a customer or a
//! product (`/` asks). `s`, `c` and `a` rerun segmentation, recommendations and anomaly
//! detection as jobs.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph, Row, Table, Wrap};

use crate::export::report::{Figure, rows_sql};
use crate::format::thousands;
use crate::ml::recommend::Suggestion;
use crate::ml::summary::MlSummary;
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::failure::Reported;
use crate::tui::jobs::Jobs;
use crate::tui::status::Status;
use crate::tui::theme;
use crate::tui::widgets::pane::{pane_block, table_header as header};
use crate::tui::widgets::revenue_chart::draw_revenue_chart;
use crate::tui::widgets::selectable::{render_selectable, table_offset};

const EMPTY: &str = "Not run yet. s: segments, c: recommendations, a: anomalies \
                     (or `ecom ml segment|recommend|anomalies`; the marts must be built).";

/// The ML screen's tables and its lookup box.
#[derive(Debug, Clone, Default)]
pub struct MlScreen {
    /// The ML tables, once loaded.
    pub summary: Option<Reported<MlSummary>>,
    /// The lookup box while typing (a customer id or a stock code).
    pub lookup: Option<String>,
    /// The last lookup's answer.
    pub answer: Option<Reported<(String, Vec<Suggestion>)>>,
    /// The selected segment or anomaly (segments first): Enter lists its rows.
    pub selected: usize,
}

impl MlScreen {
    /// What can be selected, in order: the segments, then the anomalies' days.
    pub fn figures(&self) -> Vec<Figure> {
        let Some(Ok(summary)) = &self.summary else {
            return vec![];
        };
        let segments = summary
            .segments
            .iter()
            .map(|s| Figure::Segment(s.segment.clone()));
        let days = summary
            .anomalies
            .iter()
            .map(|a| Figure::Day(a.when.clone()));
        segments.chain(days).collect()
    }

    /// The SQL listing the order lines behind the selected segment or anomaly.
    pub fn drill_down_sql(&self) -> Option<String> {
        let figure = self.figures().get(self.selected).cloned()?;
        Some(rows_sql(None, None, &figure))
    }

    pub fn update(&mut self, action: Action, jobs: &mut Jobs, status: &mut Status) -> Vec<Effect> {
        match action {
            Action::Move(delta) => {
                let last = self.figures().len().saturating_sub(1) as i64;
                self.selected =
                    (self.selected as i64).saturating_add(delta).clamp(0, last) as usize;
            }
            Action::MlLoaded(result) => {
                self.summary = Some(*result);
                self.selected = self.selected.min(self.figures().len().saturating_sub(1));
            }
            Action::RunMl(model) => {
                // Runs an ML job with its default options, listed on the Jobs screen.
                let job = jobs.add(format!("ml {}", model.name()), status);
                return vec![Effect::StartMl { job, model }];
            }
            Action::StartLookup => self.lookup = Some(String::new()),
            Action::LookupKey(key) => return self.lookup_key(key).into_iter().collect(),
            Action::LookupAnswered(answer) => self.answer = Some(answer),
            _ => {}
        }
        vec![]
    }

    /// Typing in the lookup box: Enter asks, Esc closes it.
    fn lookup_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let text = self.lookup.as_mut()?;
        match key.code {
            KeyCode::Esc => self.lookup = None,
            KeyCode::Enter => {
                let asked = std::mem::take(text).trim().to_string();
                self.lookup = None;
                if !asked.is_empty() {
                    return Some(Effect::Lookup(asked));
                }
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) => text.push(c),
            _ => {}
        }
        None
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        draw(frame, self, area);
    }
}

fn draw(frame: &mut Frame, ml: &MlScreen, area: Rect) {
    let summary = match &ml.summary {
        None => {
            let loading = Paragraph::new("loading…").dim();
            frame.render_widget(loading.block(pane_block("ML", false)), area);
            return;
        }
        Some(Err(e)) => {
            frame.render_widget(
                Paragraph::new(e.as_str()).block(pane_block("ML", false)),
                area,
            );
            return;
        }
        Some(Ok(summary)) => summary,
    };
    let MlAreas {
        profiles,
        sizes,
        chart,
        runs,
        anomalies,
        lookup,
    } = MlAreas::of(area);
    let segments = summary.segments.len();
    let selected = |offset: usize, count: usize| {
        (ml.selected >= offset && ml.selected < offset + count).then(|| ml.selected - offset)
    };
    draw_segments(frame, summary, profiles, sizes, selected(0, segments));
    draw_revenue_chart(
        frame,
        chart,
        "Net revenue by day, anomalies in red",
        &summary.daily_revenue,
        &summary.revenue_anomalies,
    );
    draw_runs(frame, summary, runs);
    draw_anomalies(
        frame,
        summary,
        anomalies,
        selected(segments, summary.anomalies.len()),
    );
    draw_lookup(frame, ml, lookup);
}

/// Where the ML screen's parts sit in its area: drawing and mouse clicks both ask here.
pub struct MlAreas {
    pub profiles: Rect,
    pub sizes: Rect,
    pub chart: Rect,
    pub runs: Rect,
    pub anomalies: Rect,
    pub lookup: Rect,
}

impl MlAreas {
    pub fn of(area: Rect) -> Self {
        let [top, middle, bottom] = Layout::vertical([
            Constraint::Percentage(34),
            Constraint::Percentage(30),
            Constraint::Percentage(36),
        ])
        .areas(area);
        let split = |r: Rect| -> [Rect; 2] {
            Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(r)
        };
        let ([profiles, sizes], [chart, runs], [anomalies, lookup]) =
            (split(top), split(middle), split(bottom));
        Self {
            profiles,
            sizes,
            chart,
            runs,
            anomalies,
            lookup,
        }
    }
}

impl MlScreen {
    /// The segment or anomaly drawn at (x, y) of the screen's `area`, as an index into
    /// [`MlScreen::figures`].
    pub fn figure_at(&self, area: Rect, x: u16, y: u16) -> Option<usize> {
        let Some(Ok(summary)) = &self.summary else {
            return None;
        };
        let a = MlAreas::of(area);
        let segments = summary.segments.len();
        let tables = [
            (a.profiles, 0, segments),
            (a.anomalies, segments, summary.anomalies.len()),
        ];
        tables.into_iter().find_map(|(table, first, count)| {
            let rows = table.inner(ratatui::layout::Margin::new(1, 1));
            let at = ratatui::layout::Position::new(x, y);
            if !rows.contains(at) || y == rows.y {
                return None;
            }
            let selected = (self.selected >= first && self.selected < first + count)
                .then(|| self.selected - first);
            let row = table_offset(table, selected) + (y - rows.y - 1) as usize;
            (row < count).then_some(first + row)
        })
    }
}

/// The lookup box while typing, else the last answer, else how to ask.
fn draw_lookup(frame: &mut Frame, ml: &MlScreen, area: Rect) {
    if let Some(text) = &ml.lookup {
        let prompt = Paragraph::new(vec![
            Line::from(format!("> {text}█")),
            Line::from("a customer id (17850) or a stock code (85123A); Enter asks, Esc closes")
                .dim(),
        ])
        .wrap(Wrap { trim: true });
        frame.render_widget(prompt.block(pane_block("Look up", true)), area);
        return;
    }
    match &ml.answer {
        None => {
            let hint = Paragraph::new(
                "/ looks up what to suggest to a customer, or what is bought with a product",
            )
            .dim()
            .wrap(Wrap { trim: true });
            frame.render_widget(hint.block(pane_block("Suggestions (/)", false)), area);
        }
        Some(Err(e)) => {
            let text = Paragraph::new(e.as_str()).wrap(Wrap { trim: true });
            frame.render_widget(text.block(pane_block("Suggestions (/)", false)), area);
        }
        Some(Ok((title, list))) => {
            let rows = list.iter().map(|s| {
                Row::new([
                    s.rank.to_string(),
                    s.stock_code.clone(),
                    s.description.clone().unwrap_or_default(),
                ])
            });
            let widths = [
                Constraint::Length(3),
                Constraint::Length(7),
                Constraint::Min(10),
            ];
            let title = format!("{title} (/)");
            let table = Table::new(rows, widths)
                .header(header(&["#", "code", "product"]))
                .block(pane_block(&title, false));
            frame.render_widget(table, area);
        }
    }
}

fn draw_segments(
    frame: &mut Frame,
    summary: &MlSummary,
    profiles: Rect,
    sizes: Rect,
    selected: Option<usize>,
) {
    let title = "Segments (ml.segment_profiles)";
    if summary.segments.is_empty() {
        let text = Paragraph::new(EMPTY).wrap(Wrap { trim: true });
        frame.render_widget(text.block(pane_block(title, false)), profiles);
        frame.render_widget(pane_block("Customers per segment", false), sizes);
        return;
    }
    let rows = summary.segments.iter().map(|s| {
        Row::new([
            s.segment.clone(),
            thousands(s.size as u64),
            format!("{:.0}", s.recency_days),
            format!("{:.1}", s.frequency),
            format!("{:.0}", s.monetary),
            format!("{:.1}%", 100.0 * s.revenue_share),
        ])
    });
    let widths = [
        Constraint::Min(14),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(9),
        Constraint::Length(8),
    ];
    let table = Table::new(rows, widths)
        .header(header(&[
            "segment",
            "customers",
            "recency",
            "orders",
            "monetary",
            "revenue",
        ]))
        .block(pane_block(title, false));
    render_selectable(frame, table, profiles, selected);
    let bars: Vec<Bar> = summary
        .segments
        .iter()
        .map(|s| {
            Bar::default()
                .value(s.size.max(0) as u64)
                .text_value(thousands(s.size as u64))
                .label(ratatui::text::Line::from(format!("{:<15}", s.segment)))
        })
        .collect();
    let chart = BarChart::default()
        .direction(ratatui::layout::Direction::Horizontal)
        .data(BarGroup::default().bars(&bars))
        .bar_width(1)
        .bar_gap(0)
        .bar_style(Style::new().fg(theme::ACCENT))
        .block(pane_block("Customers per segment", false));
    frame.render_widget(chart, sizes);
}

fn draw_anomalies(frame: &mut Frame, summary: &MlSummary, area: Rect, selected: Option<usize>) {
    let title = "Strongest anomalies (ml.anomalies)";
    if summary.anomalies.is_empty() {
        let text = Paragraph::new(EMPTY).wrap(Wrap { trim: true });
        frame.render_widget(text.block(pane_block(title, false)), area);
        return;
    }
    let rows = summary.anomalies.iter().map(|a| {
        Row::new([
            a.when.clone(),
            a.kind
                .trim_start_matches("daily_")
                .trim_start_matches("line_")
                .to_string(),
            format!("{:+.1}", a.score),
            a.reason.clone(),
        ])
    });
    let widths = [
        Constraint::Length(10),
        Constraint::Length(8),
        Constraint::Length(6),
        Constraint::Min(20),
    ];
    let table = Table::new(rows, widths)
        .header(header(&["when", "what", "score", "reason"]))
        .block(pane_block(title, false));
    render_selectable(frame, table, area, selected);
}

fn draw_runs(frame: &mut Frame, summary: &MlSummary, area: Rect) {
    let title = "Latest runs (ml.model_runs)";
    if summary.runs.is_empty() {
        let text = Paragraph::new("No run recorded yet.");
        frame.render_widget(text.block(pane_block(title, false)), area);
        return;
    }
    let rows = summary.runs.iter().map(|(id, started, run)| {
        Row::new([
            id.to_string(),
            started.format("%m-%d %H:%M").to_string(),
            run.model.clone(),
            run.headline(),
        ])
    });
    let widths = [
        Constraint::Length(4),
        Constraint::Length(11),
        Constraint::Length(9),
        Constraint::Min(10),
    ];
    let table = Table::new(rows, widths)
        .header(header(&["run", "started", "job", "result"]))
        .block(pane_block(title, false));
    frame.render_widget(table, area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::MlModel;
    use ratatui::crossterm::event::KeyModifiers;

    fn key(code: KeyCode) -> Action {
        Action::LookupKey(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn ml_jobs_are_listed_and_started() {
        let (mut screen, mut jobs, mut status) =
            (MlScreen::default(), Jobs::default(), Status::default());
        let effects = screen.update(Action::RunMl(MlModel::Segment), &mut jobs, &mut status);
        assert_eq!(
            effects,
            vec![Effect::StartMl {
                job: 1,
                model: MlModel::Segment
            }]
        );
        assert_eq!(jobs[0].name, "ml segment");
        assert_eq!(status.text, "started ml segment: 4 shows the jobs");
    }

    #[test]
    fn the_lookup_box_takes_keys_and_asks_on_enter() {
        let (mut screen, mut jobs, mut status) =
            (MlScreen::default(), Jobs::default(), Status::default());
        let mut press =
            |screen: &mut MlScreen, action| screen.update(action, &mut jobs, &mut status);
        press(&mut screen, Action::StartLookup);
        for c in "178500".chars() {
            assert!(press(&mut screen, key(KeyCode::Char(c))).is_empty());
        }
        press(&mut screen, key(KeyCode::Backspace));
        assert_eq!(screen.lookup.as_deref(), Some("17850"));
        assert_eq!(
            press(&mut screen, key(KeyCode::Enter)),
            vec![Effect::Lookup("17850".into())]
        );
        assert_eq!(screen.lookup, None, "Enter closes the box");
        // Nothing typed: Enter asks nothing; Esc closes.
        press(&mut screen, Action::StartLookup);
        assert!(press(&mut screen, key(KeyCode::Enter)).is_empty());
        press(&mut screen, Action::StartLookup);
        press(&mut screen, key(KeyCode::Esc));
        assert_eq!(screen.lookup, None);
        press(
            &mut screen,
            Action::LookupAnswered(Err("no recommendations yet".into())),
        );
        assert_eq!(screen.answer, Some(Err("no recommendations yet".into())));
    }
}
