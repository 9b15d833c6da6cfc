//! Why a column mapping or preset does not do: a mapping file that does not parse or
//! check, a preset name or header no preset knows, or a mapping that does not fit a
//! file (a column it names is missing, its SQL does not run on it).

use super::values::UnknownZone;

/// How many header names an error lists.
const LISTED_COLUMNS: usize = 40;

/// A mapping or shape problem, phrased for the user.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("cannot read the mapping {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// TOML that does not parse; `origin` names the file (the error gives the line).
    #[error("{origin}: {source}")]
    Toml {
        origin: String,
        source: toml::de::Error,
    },
    /// A mapping that parses but does not check.
    #[error("{origin}: {source}")]
    Invalid {
        origin: String,
        source: Box<MappingError>,
    },
    #[error(
        "[columns] must name {} (a column name, {{ sql = \"…\" }} or {{ value = \"…\" }})",
        .0.join(", ")
    )]
    MissingFields(Vec<&'static str>),
    #[error("[columns] names both customer_id and customer_email: keep one")]
    BothCustomers,
    #[error("format.{what} must be one character, not `{value}`")]
    NotOneCharacter { what: &'static str, value: String },
    #[error("format.decimal must be \".\" or \",\"")]
    DecimalMark,
    #[error("format.decimal and format.thousands must differ")]
    SameMarks,
    #[error("format.timezone: {0}")]
    Timezone(#[source] UnknownZone),
    #[error("no preset `{name}` (presets: {})", .presets.join(", "))]
    UnknownPreset {
        name: String,
        presets: Vec<&'static str>,
    },
    #[error(
        "not a known shape of order export (presets: uci, uci-ii, shopify, woocommerce); \
         its columns are {}. Write a column mapping for it: `ecom ingest --suggest-mapping FILE > shop.toml`, \
         check it, then `ecom ingest --mapping shop.toml FILE` (docs/INGEST.md)",
        unknown_columns(.0)
    )]
    UnknownShape(Vec<String>),
    #[error("the header fits several presets ({}): name one with --preset", .0.join(", "))]
    SeveralPresets(Vec<&'static str>),
    #[error(
        "the mapping reads {field} from a column `{name}` the file does not have (its columns: {})",
        quoted(.header).join(", ")
    )]
    MissingColumn {
        field: &'static str,
        name: String,
        header: Vec<String>,
    },
    #[error("could not stage the file: {0}")]
    Stage(#[source] duckdb::Error),
    /// The in-memory engine that runs the mapping could not be set up.
    #[error("{0}")]
    Engine(#[source] duckdb::Error),
    #[error("the mapping's SQL does not run on this file: {0}")]
    Sql(#[source] duckdb::Error),
    /// The mapping's `format.timezone`, when it was not checked before.
    #[error(transparent)]
    SourceZone(UnknownZone),
}

/// The first header names, each in backticks.
fn quoted(header: &[String]) -> Vec<String> {
    header
        .iter()
        .take(LISTED_COLUMNS)
        .map(|h| format!("`{h}`"))
        .collect()
}

/// The columns of a header no preset knows, and how many more there are.
fn unknown_columns(header: &[String]) -> String {
    let mut found = quoted(header);
    if header.len() > LISTED_COLUMNS {
        found.push(format!("and {} more", header.len() - LISTED_COLUMNS));
    }
    found.join(", ")
}
