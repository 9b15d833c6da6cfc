//! The actions a key can be bound to, by the names users write in `[tui.keys]` of the
//! config file and see in the help. The names are a contract: serde spells them, never
//! the `Debug` output of [`Action`], and a test pins every one of them.

use serde::{Deserialize, Serialize};

use crate::ml::MlModel;
use crate::tui::action::{Action, BuildScope};
use crate::tui::screen::Screen;

/// A bindable action, named as in the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    RunQuery,
    Escape,
    Quit,
    Suspend,
    SortResults,
    ToggleRowDetail,
    CopyRow,
    CopyCell,
    SaveCsv,
    SaveParquet,
    DashboardPeriod,
    DashboardCountry,
    HistoryOlder,
    HistoryNewer,
    NewSqlTab,
    NextSqlTab,
    PreviousSqlTab,
    CloseSqlTab,
    ExternalEditor,
    ToggleTheme,
    ToggleMouse,
    OpenPalette,
    ScreenDashboard,
    ScreenSql,
    ScreenModels,
    ScreenJobs,
    ScreenStream,
    ScreenMl,
    ScreenQuality,
    ToggleTail,
    RunMlSegment,
    RunMlRecommend,
    RunMlAnomalies,
    StartLookup,
    BuildAll,
    BuildNode,
    #[serde(rename = "build_withparents")]
    BuildWithParents,
    #[serde(rename = "build_withchildren")]
    BuildWithChildren,
    CancelJob,
    ToggleHelp,
    FocusNext,
    FocusPrev,
    EnterInsert,
    LoadSample,
    RefreshCatalog,
    OpenRelation,
    Down,
    Up,
    PageDown,
    PageUp,
    MoveToStart,
    MoveToEnd,
    ColumnsRight,
    ColumnsLeft,
    WidenColumn,
    NarrowColumn,
    FindInResults,
    FindNextMatch,
    FindPreviousMatch,
    FilterEqual,
    FilterNotEqual,
    FilterExpression,
    UndoFilter,
    SortAscending,
    SortDescending,
    ProfileColumn,
    FreezeColumns,
    FitColumn,
    FitAllColumns,
}

impl Command {
    /// The name in `[tui.keys]` and in the help.
    pub fn name(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(name)) => name,
            _ => unreachable!("a unit variant serializes as its name"),
        }
    }

    /// The command named `name` in the config file.
    pub fn parse(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }

    /// What the command does.
    pub fn action(self) -> Action {
        match self {
            Self::RunQuery => Action::RunQuery,
            Self::Escape => Action::Escape,
            Self::Quit => Action::Quit,
            Self::Suspend => Action::Suspend,
            Self::SortResults => Action::SortResults,
            Self::ToggleRowDetail => Action::ToggleRowDetail,
            Self::CopyRow => Action::CopyRow,
            Self::CopyCell => Action::CopyCell,
            Self::SaveCsv => Action::ExportResult("csv"),
            Self::SaveParquet => Action::ExportResult("parquet"),
            Self::DashboardPeriod => Action::DashboardPeriod,
            Self::DashboardCountry => Action::DashboardCountry,
            Self::HistoryOlder => Action::History(-1),
            Self::HistoryNewer => Action::History(1),
            Self::NewSqlTab => Action::NewSqlTab,
            Self::NextSqlTab => Action::SwitchSqlTab(1),
            Self::PreviousSqlTab => Action::SwitchSqlTab(-1),
            Self::CloseSqlTab => Action::CloseSqlTab,
            Self::ExternalEditor => Action::ExternalEditor,
            Self::ToggleTheme => Action::ToggleTheme,
            Self::ToggleMouse => Action::ToggleMouse,
            Self::OpenPalette => Action::OpenPalette,
            Self::ScreenDashboard => Action::ShowScreen(Screen::Dashboard),
            Self::ScreenSql => Action::ShowScreen(Screen::Sql),
            Self::ScreenModels => Action::ShowScreen(Screen::Models),
            Self::ScreenJobs => Action::ShowScreen(Screen::Jobs),
            Self::ScreenStream => Action::ShowScreen(Screen::Stream),
            Self::ScreenMl => Action::ShowScreen(Screen::Ml),
            Self::ScreenQuality => Action::ShowScreen(Screen::Quality),
            Self::ToggleTail => Action::ToggleTail,
            Self::RunMlSegment => Action::RunMl(MlModel::Segment),
            Self::RunMlRecommend => Action::RunMl(MlModel::Recommend),
            Self::RunMlAnomalies => Action::RunMl(MlModel::Anomalies),
            Self::StartLookup => Action::StartLookup,
            Self::BuildAll => Action::BuildModels(BuildScope::All),
            Self::BuildNode => Action::BuildModels(BuildScope::Node),
            Self::BuildWithParents => Action::BuildModels(BuildScope::WithParents),
            Self::BuildWithChildren => Action::BuildModels(BuildScope::WithChildren),
            Self::CancelJob => Action::CancelJob,
            Self::ToggleHelp => Action::ToggleHelp,
            Self::FocusNext => Action::FocusNext,
            Self::FocusPrev => Action::FocusPrev,
            Self::EnterInsert => Action::EnterInsert,
            Self::LoadSample => Action::LoadSample,
            Self::RefreshCatalog => Action::RefreshCatalog,
            Self::OpenRelation => Action::OpenRelation,
            Self::Down => Action::Move(1),
            Self::Up => Action::Move(-1),
            Self::PageDown => Action::MovePage(1),
            Self::PageUp => Action::MovePage(-1),
            Self::MoveToStart => Action::MoveToStart,
            Self::MoveToEnd => Action::MoveToEnd,
            Self::ColumnsRight => Action::ScrollColumns(1),
            Self::ColumnsLeft => Action::ScrollColumns(-1),
            Self::WidenColumn => Action::ResizeColumn(4),
            Self::NarrowColumn => Action::ResizeColumn(-4),
            Self::FindInResults => Action::FindInResults,
            Self::FindNextMatch => Action::FindMatch(true),
            Self::FindPreviousMatch => Action::FindMatch(false),
            Self::FilterEqual => Action::FilterCell(false),
            Self::FilterNotEqual => Action::FilterCell(true),
            Self::FilterExpression => Action::FilterExpression,
            Self::UndoFilter => Action::UndoView,
            Self::SortAscending => Action::SortColumn(false),
            Self::SortDescending => Action::SortColumn(true),
            Self::ProfileColumn => Action::ProfileColumn,
            Self::FreezeColumns => Action::FreezeColumns,
            Self::FitColumn => Action::FitColumns(false),
            Self::FitAllColumns => Action::FitColumns(true),
        }
    }
}
