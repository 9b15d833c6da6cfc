//! The default key bindings, in the order the help shows them; `[tui.keys]` in the
//! config replaces the keys of any of them.

use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use super::binding::{Binding, Scope};
use super::command::Command;
use crate::tui::focus::Pane;
use crate::tui::screen::Screen;

pub(super) const NONE: KeyModifiers = KeyModifiers::NONE;
pub(super) const CTRL: KeyModifiers = KeyModifiers::CONTROL;
pub(super) const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
pub(super) const ALT: KeyModifiers = KeyModifiers::ALT;

/// The default bindings, in the order the help shows them.
pub fn bindings() -> Vec<Binding> {
    use KeyCode::*;
    let b = Binding::new;
    vec![
        b(
            &[(F(5), NONE), (Char('j'), CTRL)],
            Scope::Always,
            Command::RunQuery,
            "run the SQL in the editor, one result per statement",
        ),
        b(
            &[(Esc, NONE)],
            Scope::Always,
            Command::Escape,
            "cancel the running query / leave the editor / close",
        ),
        b(&[(Char('c'), CTRL)], Scope::Always, Command::Quit, "quit"),
        b(
            &[(Char('z'), CTRL)],
            Scope::Always,
            Command::Suspend,
            "suspend to the shell (fg resumes)",
        ),
        b(
            &[(Char('o'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::SortResults,
            "sort by the current column: ascending, descending, off",
        ),
        b(
            &[(Enter, NONE)],
            Scope::Pane(Pane::Grid),
            Command::ToggleRowDetail,
            "show every column of the selected row",
        ),
        b(
            &[(Char('y'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::CopyRow,
            "copy the selected row (OSC 52 clipboard)",
        ),
        b(
            &[(Char('Y'), SHIFT), (Char('Y'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::CopyCell,
            "copy the current cell (OSC 52 clipboard)",
        ),
        b(
            &[(Char('s'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::SaveCsv,
            "save the whole result as CSV",
        ),
        b(
            &[(Char('S'), SHIFT), (Char('S'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::SaveParquet,
            "save the whole result as Parquet",
        ),
        b(
            &[(Char('v'), NONE)],
            Scope::Pane(Pane::Grid),
            Command::Chart,
            "chart the result: line, bar, scatter or histogram, by the column types",
        ),
        b(
            &[(Char('c'), NONE)],
            Scope::Chart,
            Command::ChartKind,
            "change the chart kind (line, bar, scatter, histogram)",
        ),
        b(
            &[(Char('x'), NONE)],
            Scope::Chart,
            Command::ChartX,
            "chart the next column along x",
        ),
        b(
            &[(Char('y'), NONE)],
            Scope::Chart,
            Command::ChartY,
            "chart the next number column along y",
        ),
        b(
            &[(Char('a'), NONE)],
            Scope::Chart,
            Command::ChartAddY,
            "add a number column as another series of the chart (or back to one)",
        ),
        b(
            &[(Char('s'), NONE)],
            Scope::Chart,
            Command::SaveChart,
            "save the chart as PNG and SVG (1200×800)",
        ),
        b(
            &[(Enter, NONE)],
            Scope::Screen(Screen::Dashboard),
            Command::DrillDown,
            "open the selected panel's query in a new SQL tab (↑↓ or a click select)",
        ),
        b(
            &[(Char('p'), NONE)],
            Scope::Screen(Screen::Dashboard),
            Command::DashboardPeriod,
            "dashboard period: all, 12 months, 3 months, last month",
        ),
        b(
            &[(Char('f'), NONE)],
            Scope::Screen(Screen::Dashboard),
            Command::DashboardCountry,
            "next value of the country (the first text variable): all, then each",
        ),
        b(
            &[(Char('d'), NONE)],
            Scope::Screen(Screen::Dashboard),
            Command::DashboardPicker,
            "pick a dashboard: shipped, config folder, --dashboards DIR",
        ),
        b(
            &[(Char('v'), NONE)],
            Scope::Screen(Screen::Dashboard),
            Command::DashboardVariable,
            "choose a variable, then its value, from lists",
        ),
        b(
            &[(Char('r'), NONE)],
            Scope::Screen(Screen::Dashboard),
            Command::DashboardReload,
            "read the dashboard file again and run every panel",
        ),
        b(
            &[(Char('['), NONE)],
            Scope::Pane(Pane::Editor),
            Command::HistoryOlder,
            "older query from the history",
        ),
        b(
            &[(Char(']'), NONE)],
            Scope::Pane(Pane::Editor),
            Command::HistoryNewer,
            "newer query from the history",
        ),
        b(
            &[(Char('t'), CTRL)],
            Scope::Screen(Screen::Sql),
            Command::NewSqlTab,
            "new SQL tab (its own editor and result)",
        ),
        b(
            &[(Char('}'), NONE), (Char('}'), SHIFT)],
            Scope::Screen(Screen::Sql),
            Command::NextSqlTab,
            "next SQL tab",
        ),
        b(
            &[(Char('{'), NONE), (Char('{'), SHIFT)],
            Scope::Screen(Screen::Sql),
            Command::PreviousSqlTab,
            "previous SQL tab",
        ),
        b(
            &[(Char('w'), CTRL)],
            Scope::Screen(Screen::Sql),
            Command::CloseSqlTab,
            "close the SQL tab (cancels its query, drops its result)",
        ),
        b(
            &[(Char('e'), CTRL)],
            Scope::Always,
            Command::ExternalEditor,
            "edit the SQL in $VISUAL / $EDITOR",
        ),
        b(
            &[(Char('T'), SHIFT), (Char('T'), NONE)],
            Scope::Normal,
            Command::ToggleTheme,
            "dark or light theme (tui.theme in the config sets the start)",
        ),
        b(
            &[(Char('m'), NONE)],
            Scope::Normal,
            Command::ToggleMouse,
            "mouse capture on/off (off lets the terminal select text)",
        ),
        b(
            &[(Char(':'), NONE), (Char(':'), SHIFT), (Char('p'), CTRL)],
            Scope::Normal,
            Command::OpenPalette,
            "command palette: search every action",
        ),
        b(
            &[(Char('1'), NONE)],
            Scope::Normal,
            Command::ScreenDashboard,
            "dashboard: the panels of a dashboard file (d picks one)",
        ),
        b(
            &[(Char('2'), NONE)],
            Scope::Normal,
            Command::ScreenSql,
            "SQL: catalog, editor, results",
        ),
        b(
            &[(Char('3'), NONE)],
            Scope::Normal,
            Command::ScreenModels,
            "models: the DAG, build nodes",
        ),
        b(
            &[(Char('4'), NONE)],
            Scope::Normal,
            Command::ScreenJobs,
            "jobs: progress, cancel",
        ),
        b(
            &[(Char('5'), NONE)],
            Scope::Normal,
            Command::ScreenStream,
            "Stream: the live tail, its windows, dead letters and late events",
        ),
        b(
            &[(Char('t'), NONE)],
            Scope::Screen(Screen::Stream),
            Command::ToggleTail,
            "start the tail of [tui.stream], or stop it",
        ),
        b(
            &[(Enter, NONE)],
            Scope::Screen(Screen::Stream),
            Command::DrillDown,
            "open the events behind the selected window in a new SQL tab",
        ),
        b(
            &[(Char('b'), NONE)],
            Scope::Screen(Screen::Stream),
            Command::BrowseTopics,
            "browse Kafka topics: partitions, end offsets, groups' lag, messages",
        ),
        b(
            &[(Enter, NONE)],
            Scope::Browser,
            Command::BrowseOpen,
            "list the selected topic's messages (the newest page), or show the selected message",
        ),
        b(
            &[(Char('/'), NONE)],
            Scope::Browser,
            Command::BrowseFilter,
            "filter the messages: .country == \"France\", .quantity >= 10, key ~ \"178\", text",
        ),
        b(
            &[(Char('s'), NONE)],
            Scope::Browser,
            Command::BrowseStart,
            "read from: newest, beginning, end (follow), an offset or an RFC 3339 time",
        ),
        b(
            &[(Char('n'), NONE)],
            Scope::Browser,
            Command::BrowseNextPage,
            "read the next page of messages",
        ),
        b(
            &[(Char('x'), NONE)],
            Scope::Browser,
            Command::BrowseExport,
            "export the listed messages as JSON lines to a file",
        ),
        b(
            &[(Char('r'), NONE)],
            Scope::Browser,
            Command::BrowseReload,
            "list the topics again, or read the messages again",
        ),
        b(
            &[(Char('6'), NONE)],
            Scope::Normal,
            Command::ScreenMl,
            "ML: segments, anomalies, model runs",
        ),
        b(
            &[(Char('s'), NONE)],
            Scope::Screen(Screen::Ml),
            Command::RunMlSegment,
            "run the customer segmentation",
        ),
        b(
            &[(Char('c'), NONE)],
            Scope::Screen(Screen::Ml),
            Command::RunMlRecommend,
            "run the recommendations (collaborative filtering)",
        ),
        b(
            &[(Char('a'), NONE)],
            Scope::Screen(Screen::Ml),
            Command::RunMlAnomalies,
            "run the anomaly detection",
        ),
        b(
            &[(Char('/'), NONE)],
            Scope::Screen(Screen::Ml),
            Command::StartLookup,
            "look up the suggestions for a customer id or a stock code",
        ),
        b(
            &[(Enter, NONE)],
            Scope::Screen(Screen::Ml),
            Command::DrillDown,
            "open the rows behind the selected segment or anomaly in a new SQL tab",
        ),
        b(
            &[(Char('7'), NONE)],
            Scope::Normal,
            Command::ScreenQuality,
            "data quality: quarantine and rejected files",
        ),
        b(
            &[(Char('8'), NONE)],
            Scope::Normal,
            Command::ScreenAlerts,
            "alerts: rules, their state and history",
        ),
        b(
            &[(Char('c'), NONE)],
            Scope::Screen(Screen::Alerts),
            Command::CheckAlerts,
            "evaluate every rule now and notify (a job)",
        ),
        b(
            &[(Char('s'), NONE)],
            Scope::Screen(Screen::Alerts),
            Command::SilenceAlert,
            "silence the selected rule for an hour",
        ),
        b(
            &[(Char('S'), NONE), (Char('S'), SHIFT)],
            Scope::Screen(Screen::Alerts),
            Command::SilenceAlertLong,
            "silence the selected rule for a day",
        ),
        b(
            &[(Char('u'), NONE)],
            Scope::Screen(Screen::Alerts),
            Command::UnsilenceAlert,
            "lift the selected rule's silence",
        ),
        b(
            &[(Enter, NONE)],
            Scope::Screen(Screen::Alerts),
            Command::DrillDown,
            "open the selected rule's rows (its firing instances) in a new SQL tab",
        ),
        b(
            &[(Char('b'), NONE)],
            Scope::Screen(Screen::Models),
            Command::BuildAll,
            "build every model and test",
        ),
        b(
            &[(Enter, NONE)],
            Scope::Screen(Screen::Models),
            Command::BuildNode,
            "build the selected node",
        ),
        b(
            &[(Char('+'), NONE), (Char('+'), SHIFT)],
            Scope::Screen(Screen::Models),
            Command::BuildWithParents,
            "build the node with its parents (+node)",
        ),
        b(
            &[(Char('c'), NONE)],
            Scope::Screen(Screen::Models),
            Command::BuildWithChildren,
            "build the node and its children (node+)",
        ),
        b(
            &[(Char('x'), NONE)],
            Scope::Screen(Screen::Jobs),
            Command::CancelJob,
            "cancel the selected job",
        ),
        b(&[(Char('q'), NONE)], Scope::Normal, Command::Quit, "quit"),
        b(
            &[(Char('?'), NONE), (Char('?'), SHIFT)],
            Scope::Normal,
            Command::ToggleHelp,
            "show or hide this help",
        ),
        b(
            &[(Tab, NONE)],
            Scope::Normal,
            Command::FocusNext,
            "focus the next pane",
        ),
        b(
            &[(BackTab, SHIFT), (BackTab, NONE)],
            Scope::Normal,
            Command::FocusPrev,
            "focus the previous pane",
        ),
        b(
            &[(Char('i'), NONE), (Char('e'), NONE)],
            Scope::Normal,
            Command::EnterInsert,
            "edit the SQL",
        ),
        b(
            &[(Char('r'), NONE)],
            Scope::Normal,
            Command::RunQuery,
            "run the SQL in the editor",
        ),
        b(
            &[(Char('L'), SHIFT), (Char('L'), NONE)],
            Scope::Normal,
            Command::LoadSample,
            "load the bundled sample data",
        ),
        b(
            &[(Char('R'), SHIFT), (Char('R'), NONE)],
            Scope::Normal,
            Command::RefreshCatalog,
            "reload the catalog",
        ),
        b(
            &[(Enter, NONE)],
            Scope::Pane(Pane::Editor),
            Command::EnterInsert,
            "edit the SQL",
        ),
        b(
            &[(Enter, NONE)],
            Scope::Pane(Pane::Catalog),
            Command::OpenRelation,
            "query the selected table",
        ),
        b(
            &[(Char('j'), NONE), (Down, NONE)],
            Scope::Normal,
            Command::Down,
            "down",
        ),
        b(
            &[(Char('k'), NONE), (Up, NONE)],
            Scope::Normal,
            Command::Up,
            "up",
        ),
        b(
            &[(PageDown, NONE), (Char('d'), CTRL)],
            Scope::Normal,
            Command::PageDown,
            "page down",
        ),
        b(
            &[(PageUp, NONE), (Char('u'), CTRL)],
            Scope::Normal,
            Command::PageUp,
            "page up",
        ),
        b(
            &[(Char('g'), NONE), (Home, NONE)],
            Scope::Normal,
            Command::MoveToStart,
            "first row",
        ),
        b(
            &[(Char('G'), SHIFT), (Char('G'), NONE), (End, NONE)],
            Scope::Normal,
            Command::MoveToEnd,
            "last row",
        ),
        b(
            &[(Char('l'), NONE), (Right, NONE)],
            Scope::Pane(Pane::Grid),
            Command::ColumnsRight,
            "move to the column on the right",
        ),
        b(
            &[(Char('h'), NONE), (Left, NONE)],
            Scope::Pane(Pane::Grid),
            Command::ColumnsLeft,
            "move to the column on the left",
        ),
        b(
            &[(Char('>'), NONE), (Char('>'), SHIFT)],
            Scope::Pane(Pane::Grid),
            Command::WidenColumn,
            "widen the current column",
        ),
        b(
            &[(Char('<'), NONE), (Char('<'), SHIFT)],
            Scope::Pane(Pane::Grid),
            Command::NarrowColumn,
            "narrow the current column",
        ),
    ]
    .into_iter()
    .chain(super::sql_keys::bindings())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_names_of_every_bound_action_are_kept() {
        let names: Vec<String> = bindings().iter().map(|b| b.command.name()).collect();
        let expected = "run_query escape quit suspend sort_results toggle_row_detail copy_row \
            copy_cell save_csv save_parquet chart chart_kind chart_x chart_y chart_add_y \
            save_chart drill_down dashboard_period dashboard_country dashboard_picker \
            dashboard_variable dashboard_reload history_older \
            history_newer new_sql_tab next_sql_tab previous_sql_tab close_sql_tab \
            external_editor toggle_theme toggle_mouse open_palette screen_dashboard \
            screen_sql screen_models screen_jobs screen_stream toggle_tail drill_down \
            browse_topics browse_open browse_filter browse_start browse_next_page browse_export \
            browse_reload screen_ml \
            run_ml_segment run_ml_recommend run_ml_anomalies start_lookup drill_down screen_quality \
            screen_alerts check_alerts silence_alert silence_alert_long unsilence_alert drill_down \
            build_all build_node build_withparents build_withchildren cancel_job quit \
            toggle_help focus_next focus_prev enter_insert run_query load_sample \
            refresh_catalog enter_insert open_relation down up page_down page_up \
            move_to_start move_to_end columns_right columns_left widen_column narrow_column \
            find_in_results find_next_match find_previous_match filter_equal \
            filter_not_equal filter_expression undo_filter sort_ascending sort_descending \
            profile_column freeze_columns fit_column fit_all_columns auto_refresh \
            run_statement next_result previous_result undo redo select_all copy cut paste \
            find find_next find_previous replace go_to_line toggle_comment format_sql";
        assert_eq!(names, expected.split_whitespace().collect::<Vec<_>>());
        for name in names {
            assert_eq!(Command::parse(&name).map(Command::name), Some(name));
        }
        assert_eq!(Command::parse("fly"), None);
    }
}
