//! The status line's message: what the last thing done said, as information or as an
//! error. Every screen's update may set it.

#[derive(Debug, Clone, PartialEq)]
pub enum StatusKind {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub kind: StatusKind,
    pub text: String,
}

impl Status {
    pub fn info(&mut self, text: impl Into<String>) {
        *self = Self {
            kind: StatusKind::Info,
            text: text.into(),
        };
    }

    pub fn error(&mut self, text: impl Into<String>) {
        *self = Self {
            kind: StatusKind::Error,
            text: text.into(),
        };
    }
}

impl Default for Status {
    fn default() -> Self {
        Self {
            kind: StatusKind::Info,
            text: String::new(),
        }
    }
}

/// What a finished load says: rows loaded (and how the files were read), quarantined,
/// already loaded, and the first rejected file's reason.
pub fn ingest_message(s: &crate::ingest::IngestSummary) -> String {
    let mut presets: Vec<&str> = s.files.iter().filter_map(|f| f.preset.as_deref()).collect();
    presets.dedup();
    let rejected = s
        .files
        .iter()
        .find_map(|f| {
            f.reason
                .as_deref()
                .filter(|_| f.status == crate::ingest::FileStatus::Rejected)
        })
        .map(|reason| format!("; {} rejected: {reason}", s.files_rejected))
        .unwrap_or_default();
    format!(
        "loaded {} rows from {} file(s){}, {} quarantined, {} already loaded{rejected}",
        crate::format::thousands(s.rows_loaded),
        s.files_loaded,
        if presets.is_empty() {
            String::new()
        } else {
            format!(" read as {}", presets.join(", "))
        },
        s.rows_quarantined,
        s.files_duplicate
    )
}
