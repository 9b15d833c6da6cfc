//! Every colour of the workbench, by what it means: the screens draw with these names
//! for a dark background, and [`Theme::finish`] turns a drawn frame into the light theme
//! or strips its colours (`NO_COLOR`). No other file names a colour.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

/// Focus, the title tab, running things, SQL keywords, chart lines.
pub const ACCENT: Color = Color::Cyan;
/// Table headers, schema headings, names in the row detail.
pub const HEADING: Color = Color::Yellow;
/// Secondary text: counts, hints, unfocused borders.
pub const MUTED: Color = Color::DarkGray;
/// Success, passing tests, a gain.
pub const GOOD: Color = Color::Green;
/// Errors, failures, a loss, anomalies.
pub const BAD: Color = Color::Red;
/// Warnings, skipped or cancelling work.
pub const WARNING: Color = Color::Yellow;
/// Bars of bar charts.
pub const BAR: Color = Color::Blue;
/// The series of a result's chart, in legend order.
pub const SERIES: [Color; 4] = [Color::Cyan, Color::Magenta, Color::Green, Color::Yellow];
/// Text on an accent or good-coloured background (the title tab, INSERT).
pub const ON_ACCENT: Color = Color::Black;
/// SQL string literals and number literals.
pub const SQL_STRING: Color = Color::Green;
pub const SQL_NUMBER: Color = Color::Magenta;
/// Background and text of a selected row, the NORMAL mode tag and bar values.
const SELECTION_BG: Color = Color::Blue;
const SELECTION_FG: Color = Color::White;

/// A selected row or item.
pub fn selected() -> Style {
    Style::new().bg(SELECTION_BG).fg(SELECTION_FG)
}

/// The bracket at the editor's cursor and the one matching it.
pub fn matched_bracket() -> Style {
    Style::new()
        .fg(ACCENT)
        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}

/// The current cell of the results grid.
pub fn current_cell() -> Style {
    Style::new().bg(ACCENT).fg(ON_ACCENT).bold()
}

/// Text that matches a find: in the editor, and the cells of the results grid.
pub fn search_match() -> Style {
    Style::new().bg(WARNING).fg(ON_ACCENT)
}

/// A filter or sort chip of the results grid.
pub fn chip() -> Style {
    Style::new().bg(MUTED).fg(SELECTION_FG)
}

/// The header row of a table.
pub fn header() -> Style {
    Style::new().bold().fg(HEADING)
}

/// The value written on a bar of a bar chart.
pub fn bar_value() -> Style {
    Style::new().fg(SELECTION_FG).bg(BAR)
}

/// A cell of the cohort heatmap: `shade` 255 is white-blue, lower is deeper blue.
pub fn retention(shade: u8) -> Color {
    Color::Rgb(shade, shade, 255)
}

/// The colour a dashboard threshold names.
pub fn tone(tone: crate::dashboards::Tone) -> Color {
    use crate::dashboards::Tone;
    match tone {
        Tone::Green => GOOD,
        Tone::Yellow => WARNING,
        Tone::Orange => Color::Rgb(255, 140, 0),
        Tone::Red => BAD,
        Tone::Blue => BAR,
        Tone::Grey => MUTED,
    }
}

/// The empty part of a dashboard gauge.
pub const GAUGE_TRACK: Color = Color::Black;

/// A heatmap cell at `fraction` (0 the lowest value, 1 the highest): deeper blue for
/// higher, with text that reads on it.
pub fn heat(fraction: f64) -> Style {
    let shade = (235.0 - fraction.clamp(0.0, 1.0) * 200.0) as u8;
    let text = if shade < 150 { SELECTION_FG } else { ON_ACCENT };
    Style::new().bg(retention(shade)).fg(text)
}

/// How a drawn frame is finished: colours for a light background, or none at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Theme {
    /// The light theme: colours remapped for a light terminal background.
    pub light: bool,
    /// Draw without colours (the `NO_COLOR` convention).
    pub no_color: bool,
}

impl Theme {
    /// Applies the theme to a frame the screens drew with the dark colours.
    pub fn finish(self, buffer: &mut Buffer) {
        if self.no_color {
            strip_colors(buffer);
        } else if self.light {
            lighten(buffer);
        }
    }
}

/// `NO_COLOR`: every cell back to the terminal's colours; what was highlighted by a
/// background colour is shown reversed instead, so selections stay visible.
pub fn strip_colors(buffer: &mut Buffer) {
    for cell in buffer.content.iter_mut() {
        if cell.bg != Color::Reset {
            cell.modifier |= Modifier::REVERSED;
        }
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
    }
}

/// The light theme: the screens draw for a dark background, and this maps each
/// foreground colour to one that reads on a light background (yellow headers turn
/// blue, light grey darkens, white text turns black where nothing fills behind it).
pub fn lighten(buffer: &mut Buffer) {
    for cell in buffer.content.iter_mut() {
        cell.fg = match (cell.fg, cell.bg) {
            (Color::Yellow, _) => Color::Blue,
            (Color::Cyan, _) => Color::Blue,
            (Color::Gray, _) => Color::DarkGray,
            (Color::White, Color::Reset) => Color::Black,
            (Color::Reset, Color::Reset) => Color::Black,
            (fg, _) => fg,
        };
    }
}
