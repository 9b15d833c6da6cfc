//! Work `update` asks of the event loop instead of doing it (queries for the database
//! worker, jobs to start, terminal changes), so every update stays plain, testable logic.

/// One statement of a run: its own query id, its SQL and the result of the SQL tab it
/// fills (each statement's result has its own temporary table in the worker).
#[derive(Debug, Clone, PartialEq)]
pub struct StatementRun {
    pub id: u64,
    pub sql: String,
    pub result: u32,
}

/// Work the event loop must start on behalf of `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadCatalog,
    /// Run statements in order, as one job, into the results of the SQL tab whose result
    /// slot is `slot`; the first that fails (or is cancelled) stops the rest. `fresh`
    /// drops the tab's other results first (a new run rather than a re-sort of one).
    RunQuery {
        slot: u32,
        statements: Vec<StatementRun>,
        fresh: bool,
    },
    /// A SQL tab closed: drop its results.
    DiscardResult {
        slot: u32,
    },
    FetchPage {
        query_id: u64,
        start: u64,
        limit: u64,
    },
    /// Cancel query `id`: interrupted if it runs, skipped if it still waits its turn
    /// (another tab's query may be the one running).
    InterruptQuery(u64),
    LoadSample,
    /// `load PATH` in the palette: the user's own files, shape and format detected.
    LoadFiles(String),
    /// `open PATH` in the palette: the files as views (`crate::open`), as a job.
    OpenFiles(String),
    /// `import VIEW` in the palette: copy an opened view into a table, as a job.
    ImportView(String),
    /// Dashboard work: its variables, a panel, a panel's SQL (each in its own thread,
    /// on its own connection).
    Dashboard(crate::tui::panels::DashboardJob),
    LoadQuality,
    /// The alert rules of this file and their state in the warehouse.
    LoadAlerts(std::path::PathBuf),
    /// Evaluate the file's rules once and notify, as job `job`.
    StartAlertsCheck {
        job: u64,
        file: std::path::PathBuf,
    },
    /// Silence `rule` until then (`None` lifts its silence), then reload the rules.
    SilenceAlert {
        file: std::path::PathBuf,
        rule: String,
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// What ran in this warehouse (ingests, pipeline jobs, ML runs).
    LoadRecentRuns,
    LoadMl,
    /// The tail's latest windows, dead letters and late events from the warehouse.
    LoadStream,
    /// Suggestions for a customer id or a stock code.
    Lookup(String),
    /// The topic browser's work on `[tui.stream]`'s brokers (a list, a read, an export).
    Browse(crate::tui::topic_reader::BrowseJob),
    /// Start the tail of `[tui.stream]` as job `job`.
    StartTail {
        job: u64,
    },
    /// Run an ML job (default options) in the background.
    StartMl {
        job: u64,
        model: crate::ml::MlModel,
    },
    LoadModels,
    /// Build the selected nodes of the bundled project as a background job.
    StartModels {
        job: u64,
        select: Vec<String>,
    },
    CancelJob(u64),
    /// Mouse capture on or off.
    SetMouse(bool),
    /// Ctrl+Z: suspend to the shell.
    Suspend,
    /// Ctrl+E: open this SQL in the user's editor.
    EditExternally(String),
    /// Append a query to the history file.
    SaveHistory(String),
    /// Put text on the terminal's clipboard (OSC 52).
    Copy(String),
    /// Compute the chart `spec` of result `query_id` (cancellable as query `id`).
    ComputeChart {
        id: u64,
        query_id: u64,
        spec: crate::warehouse::chart_data::ChartSpec,
    },
    /// Draw a chart to `{stem}.png` and `{stem}.svg` in the background.
    SaveChart {
        data: Box<crate::warehouse::chart_data::ChartData>,
        stem: String,
    },
    /// Work on a grid's result (a view, a search, a profile) as cancellable query `id`.
    GridJob {
        id: u64,
        job: crate::tui::grid::jobs::GridJob,
    },
    /// Write the current result to a file.
    ExportResult {
        query_id: u64,
        path: String,
    },
}
