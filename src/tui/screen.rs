//! The workbench's screens by their number key: which one is in front is the app's,
//! the keymap's scopes and the title's tabs name them.

/// The workbench's screens, by their number key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Dashboard,
    Sql,
    Models,
    Jobs,
    Stream,
    Ml,
    Quality,
    Alerts,
}

impl Screen {
    /// (key, name) of every screen, in tab order.
    pub const TABS: [(Screen, char, &'static str); 8] = [
        (Screen::Dashboard, '1', "Dashboard"),
        (Screen::Sql, '2', "SQL"),
        (Screen::Models, '3', "Models"),
        (Screen::Jobs, '4', "Jobs"),
        (Screen::Stream, '5', "Stream"),
        (Screen::Ml, '6', "ML"),
        (Screen::Quality, '7', "Data quality"),
        (Screen::Alerts, '8', "Alerts"),
    ];
}
