//! Why one line or row of a file is quarantined. The `Display` of each variant is the
//! sentence stored in `raw.quarantine.reason` (users and `quarantine_cause` read it), so
//! the texts are part of the data's contract.

use super::dialect::Field;

/// A line or row that could not become a row of `raw.order_lines`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RowError {
    #[error("{} is empty", .0.header())]
    Empty(Field),
    #[error("{} `{text}` is not a whole number", .field.header())]
    NotWhole { field: Field, text: String },
    #[error("{} `{text}` is out of range", .field.header())]
    OutOfRange { field: Field, text: String },
    /// `form` is the file's date order or the mapping's pattern.
    #[error("InvoiceDate `{text}` is not a date and time in the file's form ({form})")]
    NotADate { text: String, form: String },
    #[error("UnitPrice `{0}` is not a decimal number")]
    NotDecimal(String),
    #[error("UnitPrice `{text}` has more than {scale} decimals")]
    TooManyDecimals { text: String, scale: u32 },
    /// An order's refunded amount that does not read.
    #[error("refund: {0}")]
    Refund(Box<RowError>),
    #[error("wrong number of fields: expected {expected}, found {found}")]
    FieldCount { expected: usize, found: usize },
    #[error("a line of {bytes} bytes, more than any order line holds ({max})")]
    Overlong { bytes: usize, max: usize },
    #[error("broken quoting: a quoted field is not closed on its line")]
    BrokenQuoting,
    #[error("too many fields (more than {0})")]
    TooManyFields(usize),
    /// csv-core's state when a line did not split (its `Debug` form).
    #[error("could not split the line into fields ({0})")]
    Unsplittable(String),
    #[error("the line is not valid text")]
    NotText,
    /// The csv crate's message for a record it could not read.
    #[error("could not read the record: {0}")]
    Record(String),
    /// serde_json's message for a line that is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a JSON object")]
    NotAnObject,
    #[error("its keys would make more than {0} columns")]
    TooManyKeys(usize),
}

impl RowError {
    /// The same reason naming `text` as the value read (a price as the file writes it,
    /// before its decimal comma and thousands separators were normalised).
    pub fn with_text(self, text: &str) -> Self {
        match self {
            Self::NotDecimal(_) => Self::NotDecimal(text.to_string()),
            Self::TooManyDecimals { scale, .. } => Self::TooManyDecimals {
                text: text.to_string(),
                scale,
            },
            other => other,
        }
    }
}
