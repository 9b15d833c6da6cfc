//! Screen 1, the dashboard: KPI tiles with the change against the previous period,
//! revenue by month and by day, top countries. The figures are the report's
//! (`export::report::gather`), loaded by the worker.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph};

use crate::export::charts::money;
use crate::export::report::{Kpis, PeriodPreset, ReportData};
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
}

impl DashboardScreen {
    /// Asks for the figures of the current filter.
    pub fn request(&self) -> Effect {
        Effect::LoadDashboard {
            preset: self.preset,
            country: self.country.clone(),
        }
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::DashboardLoaded(result) => {
                if let (Ok(data), None) = (result.as_ref(), &self.country)
                    && self.countries.is_empty()
                {
                    self.countries = data.top_countries.iter().map(|c| c.0.clone()).collect();
                }
                self.data = Some(*result);
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
    let [filter, kpis, charts] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(4),
        Constraint::Min(6),
    ])
    .areas(area);
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
        "   p period · f country".dim(),
    ]);
    frame.render_widget(Paragraph::new(line), filter);
    draw_kpis(frame, data, kpis);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(charts);
    let [monthly, daily] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(left);
    draw_monthly(frame, data, monthly);
    draw_daily(frame, data, daily);
    let [countries, cohorts] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(right);
    draw_countries(frame, data, countries);
    draw_cohorts(frame, data, cohorts);
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

fn draw_kpis(frame: &mut Frame, data: &ReportData, area: Rect) {
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
    let areas = Layout::horizontal([Constraint::Ratio(1, 5); 5]).split(area);
    for ((label, value, (delta, color)), tile) in tiles.into_iter().zip(areas.iter()) {
        let text = vec![Line::from(value.bold()), Line::from(delta.fg(color))];
        frame.render_widget(Paragraph::new(text).block(pane_block(label, false)), *tile);
    }
}

fn draw_monthly(frame: &mut Frame, data: &ReportData, area: Rect) {
    let bars: Vec<Bar> = data
        .monthly_revenue
        .iter()
        .map(|(month, revenue)| {
            Bar::default()
                .value(revenue.max(0.0) as u64)
                .label(Line::from(month_label(month)))
                .text_value(format!("{:.0}k", revenue / 1000.0))
        })
        .collect();
    let width =
        (area.width.saturating_sub(2) / data.monthly_revenue.len().max(1) as u16).clamp(3, 9);
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

fn draw_countries(frame: &mut Frame, data: &ReportData, area: Rect) {
    let bars: Vec<Bar> = data
        .top_countries
        .iter()
        .map(|(country, revenue)| {
            Bar::default()
                .value(revenue.max(0.0) as u64)
                .label(Line::from(country.chars().take(14).collect::<String>()))
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
