//! Work `update` asks of the event loop instead of doing it (queries for the database
//! worker, jobs to start, terminal changes), so every update stays plain, testable logic.

use crate::export::report::PeriodPreset;

/// Work the event loop must start on behalf of `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadCatalog,
    /// Run `sql` into the result slot of the SQL tab in front.
    RunQuery {
        id: u64,
        sql: String,
        slot: u32,
    },
    /// A SQL tab closed: drop its result.
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
    /// The dashboard's figures for a period and, optionally, one country.
    LoadDashboard {
        preset: PeriodPreset,
        country: Option<String>,
    },
    LoadQuality,
    /// What ran in this warehouse (ingests, pipeline jobs, ML runs).
    LoadRecentRuns,
    LoadMl,
    /// The tail's latest windows, dead letters and late events from the warehouse.
    LoadStream,
    /// Suggestions for a customer id or a stock code.
    Lookup(String),
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
