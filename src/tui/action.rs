//! The one language between input, background work and the app state.

use ratatui::crossterm::event::KeyEvent;

use crate::ingest::IngestSummary;
use crate::jobs::Progress;
use crate::warehouse::catalog::Relation;

use super::grid::GridResult;
use super::grid::jobs::GridAnswer;
use super::screen::Screen;
use crate::models::overview::ModelRow;
use crate::tui::failure::Reported;
use crate::warehouse::catalog::QualitySummary;

/// Everything that can change the app state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    ToggleHelp,
    /// Help overlay: scroll its text.
    ScrollHelp(HelpScroll),
    ToggleMouse,
    /// Dark or light colours.
    ToggleTheme,
    /// Results: sort by the current column (ascending, descending, off).
    SortResults,
    /// Results: sort by the current column, descending (true) or ascending.
    SortColumn(bool),
    /// Results: open the prompt that finds text in the whole result.
    FindInResults,
    /// Results: the next (true) or previous match of the last search.
    FindMatch(bool),
    /// Results: keep the rows whose current column equals the current cell (`true`:
    /// the rows that differ).
    FilterCell(bool),
    /// Results: open the prompt for a filter's SQL condition.
    FilterExpression,
    /// Results: undo the view's last filter or sort.
    UndoView,
    /// Results: the profile of the current column.
    ProfileColumn,
    /// Results: freeze the columns up to the current one, or unfreeze.
    FreezeColumns,
    /// Results: fit the current column's width (false) or every column's (true).
    FitColumns(bool),
    /// A key typed into the grid's find or filter prompt.
    GridPromptKey(KeyEvent),
    /// A grid job's answer (a view, a match, a profile).
    GridJobDone(u64, Reported<GridAnswer>),
    /// Results: show every column of the selected row.
    ToggleRowDetail,
    /// Results: copy the selected row (tab-separated) to the clipboard via OSC 52.
    CopyRow,
    /// Results: copy the current cell via OSC 52.
    CopyCell,
    /// Results: write the whole result to a file (`csv` or `parquet`).
    ExportResult(&'static str),
    /// The worker wrote an exported result.
    ResultExported(Reported<String>),
    /// Dashboard: the next period preset.
    DashboardPeriod,
    /// Dashboard: the next value of the first text variable (the country: all, then
    /// each of its choices).
    DashboardCountry,
    /// Dashboard: open the picker of dashboards.
    OpenDashboards,
    /// Dashboard: choose a variable, then its value, from lists.
    ChooseVariable,
    /// Dashboard: read the file again and run every panel.
    ReloadDashboard,
    /// A key typed while the dashboard's picker or a variable's list is open.
    DashboardMenuKey(KeyEvent),
    /// Step through the query history (-1 older, +1 newer).
    History(i64),
    /// Ctrl+E: edit the SQL in `$VISUAL`/`$EDITOR`.
    ExternalEditor,
    /// The text came back from the external editor.
    EditorText(String),
    /// Ctrl+Z: stop like a shell job until `fg`.
    Suspend,
    /// `:` or Ctrl+P: the command palette over every action of the keymap.
    OpenPalette,
    PaletteKey(KeyEvent),
    ShowScreen(Screen),
    FocusNext,
    FocusPrev,
    EnterInsert,
    /// `Esc`: cancels a running query first, else leaves insert mode or closes an overlay.
    Escape,
    EditorKey(KeyEvent),
    /// An editor command (undo, find, format…), from its key or the palette.
    Edit(EditCommand),
    /// Text the terminal pasted (bracketed paste): inserted as one undo step.
    Paste(String),
    /// A key typed into the editor's find, replace or go-to-line prompt.
    PromptKey(KeyEvent),
    /// Run every statement of the editor, in order, one result each.
    RunQuery,
    /// Run the statement under the editor's cursor, or the selected SQL.
    RunStatement,
    /// SQL screen: the next (1) or previous (-1) result of the statements that ran.
    SwitchResult(i32),
    /// SQL screen: open a tab with its own editor and result.
    NewSqlTab,
    /// SQL screen: close the tab in front (never the last).
    CloseSqlTab,
    /// SQL screen: the next (1) or previous (-1) tab.
    SwitchSqlTab(i32),
    /// SQL screen: re-run the front tab's last run every N (`5`, `5s`, `1m`), or `off`
    /// (the palette's `auto-refresh N`).
    SetAutoRefresh(String),
    /// SQL screen: auto-refresh the front tab every 5 s, or stop.
    ToggleAutoRefresh,
    LoadSample,
    RefreshCatalog,
    /// Move the selection of the focused list or grid.
    Move(i64),
    MovePage(i64),
    MoveToStart,
    MoveToEnd,
    /// Results: move the current column right (positive) or left.
    ScrollColumns(i32),
    /// Results: widen (positive) or narrow the current column.
    ResizeColumn(i32),
    /// Query the selected catalog relation.
    OpenRelation,
    /// Results: chart the result (the kind chosen from the column types).
    OpenChart,
    /// Chart: change the kind, the x column, the y column, or add a series.
    ChangeChart(crate::tui::chart::ChartChange),
    /// Chart: save it as PNG and SVG.
    SaveChart,
    /// The worker computed the chart of request `id`.
    ChartLoaded(u64, Box<Reported<crate::warehouse::chart_data::ChartData>>),
    /// The chart was saved (the paths written).
    ChartSaved(Reported<String>),
    /// Open a new SQL tab with this SQL and run it (a drill-down).
    OpenSqlTab(String),
    /// Open a dashboard panel's query (`dashboards::run::tab_sql`) like
    /// [`Action::OpenSqlTab`], showing its last statement's result: the panel's rows.
    OpenPanelQuery(String),
    /// Dashboard: open the selected panel's query in a new SQL tab; ML, Stream: the
    /// rows behind the selected figure.
    DrillDown,
    /// A left click at (column, row) of the terminal.
    Click(u16, u16),
    /// The left button dragged to a cell: in the SQL editor it selects text.
    Drag(u16, u16),
    Tick,
    /// Something the user should know that is no failure (a remote answer was cut).
    Notice(String),
    Resize(u16, u16),
    // Reports from background work:
    CatalogLoaded(Reported<Vec<Relation>>),
    QueryFinished(u64, Reported<GridResult>),
    PageLoaded {
        query_id: u64,
        start: u64,
        rows: Vec<Vec<String>>,
    },
    IngestProgress(Progress),
    /// Files opened as views (`ecom open PATH...` at the start, the palette's `open PATH`).
    Opened(Reported<crate::open::OpenReport>),
    /// An opened view was copied into a table (the table's name and rows).
    Imported(Reported<String>),
    IngestFinished(Reported<IngestSummary>),
    /// The variables of dashboard generation `generation`, resolved.
    DashboardBound {
        generation: u64,
        bound: Box<Reported<crate::tui::panels::BoundVariables>>,
    },
    /// Panel `index` of dashboard generation `generation` ran.
    PanelLoaded {
        generation: u64,
        index: usize,
        figure: Box<Reported<crate::dashboards::Figure>>,
    },
    /// Dashboard work that has no panel to show its failure in (a panel's SQL tab).
    DashboardFailed(crate::tui::failure::Failure),
    QualityLoaded(Reported<QualitySummary>),
    /// The alert rules' state (`None`: there is no alerts file).
    AlertsLoaded(Box<Reported<Option<crate::tui::screens::alerts::AlertsView>>>),
    /// Alerts screen: evaluate every rule now, as a job.
    CheckAlerts,
    /// Alerts screen: silence the selected rule for an hour (`true`: a day).
    SilenceAlert(bool),
    UnsilenceAlert,
    MlLoaded(Box<Reported<crate::ml::summary::MlSummary>>),
    /// Run an ML job from the ML screen.
    RunMl(crate::ml::MlModel),
    /// ML screen: open the box that looks up a customer's or a product's suggestions.
    StartLookup,
    LookupKey(KeyEvent),
    /// The suggestions for what was looked up, under a title.
    LookupAnswered(Reported<(String, Vec<crate::ml::recommend::Suggestion>)>),
    /// Stream screen: start the tail, or stop the one running.
    ToggleTail,
    /// The running tail's latest figures.
    TailStatus(Box<crate::stream::tail::TailStatus>),
    StreamLoaded(Reported<crate::stream::recent::StreamRecent>),
    /// Stream screen: a command of the topic browser (`b` opens it).
    Browse(crate::tui::screens::browser::BrowseCommand),
    /// A key typed into the topic browser's prompt (filter, start, export file).
    BrowseKey(KeyEvent),
    /// What the topic browser's background reads report.
    Browsed(crate::tui::topic_reader::BrowseReport),
    ModelsLoaded(Reported<Vec<ModelRow>>),
    RecentRunsLoaded(Reported<Vec<crate::warehouse::history::RecentRun>>),
    BuildModels(BuildScope),
    /// Cancel the job selected on the Jobs screen.
    CancelJob,
    JobProgress(u64, Progress),
    JobFinished(u64, Reported<String>),
}

/// How far the help overlay scrolls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpScroll {
    Lines(i32),
    Pages(i32),
    Start,
    End,
}

/// What the editor's commands do (see `tui/editor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditCommand {
    Undo,
    Redo,
    SelectAll,
    Copy,
    Cut,
    Paste,
    Find,
    FindNext,
    FindPrevious,
    Replace,
    GoToLine,
    ToggleComment,
    FormatSql,
}

/// Which nodes a build from the Models screen covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildScope {
    All,
    Node,
    WithParents,
    WithChildren,
}
