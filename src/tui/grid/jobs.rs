//! The grid's work for the database worker: a view (filters and sort), a search and a
//! column profile. Each runs as a worker request with its own id, so Esc interrupts
//! the DuckDB statement; a newer job of the same kind supersedes the one running.

use std::time::Instant;

use super::GridResult;
use crate::warehouse::find::Found;
use crate::warehouse::profile::ColumnProfile;
use crate::warehouse::view::ViewStep;

/// An `=` (or, negated, `!=`) filter on one cell of the result shown: the worker reads
/// the cell's value from DuckDB so the comparison is exact.
#[derive(Debug, Clone, PartialEq)]
pub struct CellFilter {
    pub query_id: u64,
    pub row: u64,
    pub column: String,
    pub negate: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GridJob {
    /// The view of `steps` (then `cell`'s filter) over the result of query `base`,
    /// materialised as a new result whose id is the job's; `steps` empty shows `base`.
    View {
        base: u64,
        steps: Vec<ViewStep>,
        cell: Option<CellFilter>,
    },
    /// The next row of result `query_id` after `from` (before it when not `forward`)
    /// holding `text`.
    Find {
        query_id: u64,
        text: String,
        from: u64,
        forward: bool,
    },
    /// The profile of one column of result `query_id`.
    Profile { query_id: u64, column: String },
}

impl GridJob {
    pub fn kind(&self) -> JobKind {
        match self {
            Self::View { .. } => JobKind::View,
            Self::Find { .. } => JobKind::Find,
            Self::Profile { .. } => JobKind::Profile,
        }
    }
}

/// What a grid job found.
#[derive(Debug, Clone, PartialEq)]
pub enum GridAnswer {
    /// The view's result and its steps (with the cell filter resolved).
    View {
        result: GridResult,
        steps: Vec<ViewStep>,
    },
    Found(Option<Found>),
    Profile(Box<ColumnProfile>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    View,
    Find,
    Profile,
}

impl JobKind {
    /// What the status line says while the job runs.
    pub fn doing(self) -> &'static str {
        match self {
            Self::View => "filtering and sorting",
            Self::Find => "finding",
            Self::Profile => "profiling",
        }
    }
}

/// A job the grid waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningJob {
    pub id: u64,
    pub kind: JobKind,
    pub started: Instant,
}
