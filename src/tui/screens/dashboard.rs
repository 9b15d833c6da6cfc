//! Screen 1, the dashboard: KPI tiles with the change against the previous period,
//! revenue by month and by day, top countries. The figures are the report's
//! (`export::report::gather`), loaded by the worker.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph};

use crate::export::charts::money;
use crate::export::report::{Figure, Kpis, PeriodPreset, ReportData, rows_sql};
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::failure::Reported;
use crate::tui::theme;
use crate::tui::widgets::pane::pane_block;
use crate::tui::widgets::revenue_chart::draw_revenue_chart;

/// The dashboard's figures and its filter.
#[derive(Debug, Clone, Default)]
pub struct DashboardScreen {
    pub data: Option<Reported<ReportData>>,
    /// The period and country filter (`p` and `f` cycle them).
    pub preset: PeriodPreset,
    pub country: Option<String>,
    /// Countries to cycle through: the top ten of the unfiltered data.
    countries: Vec<String>,
    /// The selected figure (an index into [`DashboardScreen::figures`]): Enter lists
    /// the rows behind it.
    pub selected: usize,
}

/// The KPI tiles in the order they are drawn, as figures to drill into.
const TILES: [Figure; 5] = [
    Figure::Revenue,
    Figure::Orders,
    Figure::Customers,
    Figure::AverageOrder,
    Figure::Cancelled,
];

impl DashboardScreen {
    /// Asks for the figures of the current filter.
    pub fn request(&self) -> Effect {
        Effect::LoadDashboard {
            preset: self.preset,
            country: self.country.clone(),
        }
    }

    /// The figures that can be selected, in order: the tiles, the months, the countries.
    pub fn figures(&self) -> Vec<Figure> {
        let mut figures = TILES.to_vec();
        if let Some(Ok(data)) = &self.data {
            figures.extend(
                data.monthly_revenue
                    .iter()
                    .map(|m| Figure::Month(m.0.clone())),
            );
            figures.extend(
                data.top_countries
                    .iter()
                    .map(|c| Figure::Country(c.0.clone())),
            );
        }
        figures
    }

    /// The selected figure.
    pub fn selected_figure(&self) -> Option<Figure> {
        self.figures().get(self.selected).cloned()
    }

    /// The SQL listing the rows behind the selected figure, for the filter in force.
    pub fn drill_down_sql(&self) -> Option<String> {
        let Some(Ok(data)) = &self.data else {
            return None;
        };
        let figure = self.selected_figure()?;
        Some(rows_sql(
            Some(&data.period),
            self.country.as_deref(),
            &figure,
        ))
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Move(delta) => {
                let last = self.figures().len().saturating_sub(1) as i64;
                self.selected =
                    (self.selected as i64).saturating_add(delta).clamp(0, last) as usize;
            }
            Action::DashboardLoaded(result) => {
                if let (Ok(data), None) = (result.as_ref(), &self.country)
                    && self.countries.is_empty()
                {
                    self.countries = data.top_countries.iter().map(|c| c.0.clone()).collect();
                }
                self.data = Some(*result);
                self.selected = self.selected.min(self.figures().len().saturating_sub(1));
            }
            Action::DashboardPeriod => {
                self.preset = self.preset.next();
                return vec![self.request()];
            }
            Action::DashboardCountry => {
                let position = self
                    .country
                    .as_ref()
                    .and_then(|c| self.countries.iter().position(|x| x == c));
                self.country = match position {
                    None => self.countries.first().cloned(),
                    Some(i) => self.countries.get(i + 1).cloned(),
                };
                return vec![self.request()];
            }
            _ => {}
        }
        vec![]
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        draw(frame, self, area);
    }
}

fn draw(frame: &mut Frame, dashboard: &DashboardScreen, area: Rect) {
    let data = match &dashboard.data {
        None => {
            frame.render_widget(
                Paragraph::new("loading the dashboard…")
                    .dim()
                    .block(pane_block("Dashboard", false)),
                area,
            );
            return;
        }
        Some(Err(e)) => {
            let text = format!(
                "{e}\n\nThe dashboard reads the marts: build them with `ecom models build`."
            );
            frame.render_widget(
                Paragraph::new(text).block(pane_block("Dashboard", false)),
                area,
            );
            return;
        }
        Some(Ok(data)) => data,
    };
    let a = DashboardAreas::of(area);
    let line = Line::from(vec![
        " period ".into(),
        format!(
            "{} ({} to {})",
            dashboard.preset.label(),
            data.period.from,
            data.period.to
        )
        .bold(),
        "  country ".into(),
        dashboard
            .country
            .clone()
            .unwrap_or_else(|| "all".into())
            .bold(),
        "   p period · f country · ↑↓ select · Enter rows".dim(),
    ]);
    frame.render_widget(Paragraph::new(line), a.filter);
    let selected = dashboard.selected_figure();
    draw_kpis(frame, data, &a.tiles, selected.as_ref());
    draw_monthly(frame, data, a.monthly, selected.as_ref());
    draw_daily(frame, data, a.daily);
    draw_countries(frame, data, a.countries, selected.as_ref());
    draw_cohorts(frame, data, a.cohorts);
}

/// Where the dashboard's parts sit in its area: drawing and mouse clicks both ask here.
pub struct DashboardAreas {
    pub filter: Rect,
    pub tiles: [Rect; 5],
    pub monthly: Rect,
    pub daily: Rect,
    pub countries: Rect,
    pub cohorts: Rect,
}

impl DashboardAreas {
    pub fn of(area: Rect) -> Self {
        let [filter, kpis, charts] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(4),
            Constraint::Min(6),
        ])
        .areas(area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                .areas(charts);
        let [monthly, daily] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(left);
        let [countries, cohorts] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(right);
        Self {
            filter,
            tiles: Layout::horizontal([Constraint::Ratio(1, 5); 5]).areas(kpis),
            monthly,
            daily,
            countries,
            cohorts,
        }
    }

    /// The figure drawn at terminal cell (x, y), as an index into
    /// [`DashboardScreen::figures`] (`months` and `countries` are how many bars there are).
    pub fn figure_at(&self, x: u16, y: u16, months: usize, countries: usize) -> Option<usize> {
        let at = ratatui::layout::Position::new(x, y);
        if let Some(tile) = self.tiles.iter().position(|t| t.contains(at)) {
            return Some(tile);
        }
        let inner = |r: Rect| r.inner(ratatui::layout::Margin::new(1, 1));
        let monthly = inner(self.monthly);
        if monthly.contains(at) {
            let step = month_bar_step(self.monthly, months) as usize;
            let month = (x - monthly.x) as usize / step.max(1);
            return (month < months).then_some(TILES.len() + month);
        }
        let listed = inner(self.countries);
        if listed.contains(at) {
            let country = (y - listed.y) as usize;
            return (country < countries).then_some(TILES.len() + months + country);
        }
        None
    }
}

/// Columns each month's bar takes (bar and gap) in the monthly chart of `area`.
fn month_bar_step(area: Rect, months: usize) -> u16 {
    (area.width.saturating_sub(2) / months.max(1) as u16).clamp(3, 9)
}

/// The cohort retention heatmap: a row per first-purchase month, a cell per month
/// since, darker for higher retention.
fn draw_cohorts(frame: &mut Frame, data: &ReportData, area: Rect) {
    let mut rows: Vec<&str> = data.cohorts.iter().map(|c| c.0.as_str()).collect();
    rows.dedup();
    let mut lines = vec![Line::from("cohort   months since first purchase →".dim())];
    for cohort in rows.iter().take(area.height.saturating_sub(3) as usize) {
        let mut spans = vec![ratatui::text::Span::raw(format!("{cohort}  "))];
        for (_, _, rate) in data.cohorts.iter().filter(|c| c.0 == *cohort && c.1 > 0) {
            let shade = (255.0 - rate.clamp(0.0, 1.0) * 4.0 * 200.0).max(40.0) as u8;
            spans.push(ratatui::text::Span::styled(
                "██",
                Style::new().fg(theme::retention(shade)),
            ));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(
        Paragraph::new(lines).block(pane_block("Cohort retention", false)),
        area,
    );
}

fn change(now: f64, before: f64) -> (String, Color) {
    match crate::export::report::relative_change(now, before) {
        None => ("–".into(), theme::MUTED),
        Some(pct) => (
            format!("{pct:+.1}%"),
            if pct >= 0.0 { theme::GOOD } else { theme::BAD },
        ),
    }
}

fn draw_kpis(frame: &mut Frame, data: &ReportData, areas: &[Rect; 5], selected: Option<&Figure>) {
    let (k, p): (&Kpis, &Kpis) = (&data.kpis, &data.previous_kpis);
    let tiles = [
        (
            "Revenue",
            format!("£{}", money(k.revenue)),
            change(k.revenue, p.revenue),
        ),
        (
            "Orders",
            money(k.orders as f64),
            change(k.orders as f64, p.orders as f64),
        ),
        (
            "Customers",
            money(k.customers as f64),
            change(k.customers as f64, p.customers as f64),
        ),
        (
            "Avg order",
            format!("£{:.2}", k.average_order_value),
            change(k.average_order_value, p.average_order_value),
        ),
        (
            "Cancelled",
            format!("{:.1}%", k.cancellation_rate * 100.0),
            change(k.cancellation_rate, p.cancellation_rate),
        ),
    ];
    for (((label, value, (delta, color)), tile), figure) in
        tiles.into_iter().zip(areas.iter()).zip(&TILES)
    {
        let text = vec![Line::from(value.bold()), Line::from(delta.fg(color))];
        let block = pane_block(label, selected == Some(figure));
        frame.render_widget(Paragraph::new(text).block(block), *tile);
    }
}

fn draw_monthly(frame: &mut Frame, data: &ReportData, area: Rect, selected: Option<&Figure>) {
    let bars: Vec<Bar> = data
        .monthly_revenue
        .iter()
        .map(|(month, revenue)| {
            let chosen = selected == Some(&Figure::Month(month.clone()));
            Bar::default()
                .style(bar_style(chosen))
                .value(revenue.max(0.0) as u64)
                .label(label_line(month_label(month), chosen))
                .text_value(format!("{:.0}k", revenue / 1000.0))
        })
        .collect();
    let width = month_bar_step(area, data.monthly_revenue.len());
    let title = format!(
        "Revenue by month, {} to {}",
        data.period.from, data.period.to
    );
    let chart = BarChart::default()
        .block(pane_block(&title, false))
        .data(BarGroup::default().bars(&bars))
        .bar_width(width.saturating_sub(1))
        .bar_gap(1)
        .bar_style(Style::new().fg(theme::BAR))
        .value_style(theme::bar_value());
    frame.render_widget(chart, area);
}

/// The selected figure's bar stands out.
fn bar_style(selected: bool) -> Style {
    if selected {
        Style::new().fg(theme::ACCENT).bold()
    } else {
        Style::new().fg(theme::BAR)
    }
}

/// A bar's label, marked and in the selection's colours when it is the selected figure.
fn label_line(text: String, selected: bool) -> Line<'static> {
    if selected {
        Line::from(format!("▸{text}")).style(theme::selected())
    } else {
        Line::from(text)
    }
}

/// `2011-01` → `Jan`.
fn month_label(year_month: &str) -> String {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    year_month
        .get(5..7)
        .and_then(|m| m.parse::<usize>().ok())
        .and_then(|m| NAMES.get(m.wrapping_sub(1)))
        .map(|m| m.to_string())
        .unwrap_or_else(|| year_month.to_string())
}

fn draw_daily(frame: &mut Frame, data: &ReportData, area: Rect) {
    draw_revenue_chart(frame, area, "Revenue by day (£)", &data.daily_revenue, &[]);
}

fn draw_countries(frame: &mut Frame, data: &ReportData, area: Rect, selected: Option<&Figure>) {
    let bars: Vec<Bar> = data
        .top_countries
        .iter()
        .map(|(country, revenue)| {
            let chosen = selected == Some(&Figure::Country(country.clone()));
            Bar::default()
                .style(bar_style(chosen))
                .value(revenue.max(0.0) as u64)
                .label(label_line(country.chars().take(14).collect(), chosen))
                .text_value(money(*revenue))
        })
        .collect();
    let chart = BarChart::default()
        .block(pane_block("Top countries by revenue (£)", false))
        .direction(ratatui::layout::Direction::Horizontal)
        .data(BarGroup::default().bars(&bars))
        .bar_width(1)
        .bar_gap(0)
        .bar_style(Style::new().fg(theme::BAR))
        .value_style(theme::bar_value());
    frame.render_widget(chart, area);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(preset: PeriodPreset, country: Option<&str>) -> Vec<Effect> {
        vec![Effect::LoadDashboard {
            preset,
            country: country.map(str::to_string),
        }]
    }

    #[test]
    fn p_and_f_cycle_the_filter_and_ask_for_its_figures() {
        let mut screen = DashboardScreen::default();
        assert_eq!(screen.request(), load(PeriodPreset::All, None)[0]);
        assert_eq!(
            screen.update(Action::DashboardPeriod),
            load(PeriodPreset::LastYear, None)
        );
        // No country known yet: the filter stays on all of them.
        assert_eq!(
            screen.update(Action::DashboardCountry),
            load(PeriodPreset::LastYear, None)
        );
        screen.countries = vec!["United Kingdom".into(), "France".into()];
        for expected in [Some("United Kingdom"), Some("France"), None] {
            assert_eq!(
                screen.update(Action::DashboardCountry),
                load(PeriodPreset::LastYear, expected)
            );
        }
    }

    #[test]
    fn figures_are_kept_as_they_arrive() {
        let mut screen = DashboardScreen::default();
        let failed = Action::DashboardLoaded(Box::new(Err("no marts".into())));
        assert!(screen.update(failed).is_empty());
        assert_eq!(screen.data, Some(Err("no marts".into())));
        assert!(
            screen.update(Action::Quit).is_empty(),
            "not the dashboard's"
        );
    }
}
