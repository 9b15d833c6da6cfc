//! What the check serves ([`SERVED_SCHEMAS`]) and its verdicts when a query may not
//! run: a [`Refusal`] (403) in a sentence for the client, or a [`CheckError`].

/// The schemas the query route reads. `meta` (tokens, ingested file paths, job errors)
/// and DuckDB's own catalogs are never among them.
pub const SERVED_SCHEMAS: [&str; 5] = ["raw", "staging", "marts", "ml", "stream"];

/// Why a query was refused (403), in a sentence for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("send one SELECT statement per request; this request holds {0}")]
    Statements(usize),
    #[error(
        "only a SELECT can run here: this statement writes, changes a setting or the session, \
         or reads outside the warehouse"
    )]
    NotSelect,
    #[error(
        "the table function `{0}` is not allowed here: the query route reads the warehouse's \
         tables and views only (range, generate_series, unnest and generate_subscripts are allowed)"
    )]
    TableFunction(String),
    #[error(
        "`{0}` is not a table or view of the schemas this route serves (raw, staging, marts, \
         ml, stream); GET /api/v1/tables lists what can be queried"
    )]
    Relation(String),
    #[error(
        "`{0}` is one of DuckDB's catalog views, which this route does not serve; \
         information_schema and SHOW TABLES list the served schemas"
    )]
    Catalog(String),
    #[error("the function `{0}` reads settings or changes state and is not allowed here")]
    Function(String),
    #[error(
        "SHOW here lists only the tables of the served schemas (SHOW TABLES, DESCRIBE \
         schema.table); settings, databases and other schemas are not served"
    )]
    Show,
    #[error("files and URLs cannot be read here: the query route reads the warehouse only")]
    Files,
    #[error("the query changes data, which this route never does")]
    Writes,
    #[error("the query uses something this route cannot inspect, so it is not run: {0}")]
    Uncheckable(String),
}

/// The check's verdict when the query may not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Refused: 403.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The SQL does not parse or bind: 400.
    #[error("{0}")]
    Invalid(String),
    /// The database failed to answer: 500.
    #[error("{0}")]
    Internal(String),
}

impl From<duckdb::Error> for CheckError {
    fn from(e: duckdb::Error) -> Self {
        Self::Internal(e.to_string())
    }
}
