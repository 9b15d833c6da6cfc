//! The bundled sample: a slice of the real data compiled into the binary, so `ecom --demo`
//! and the empty-warehouse screen can load data with nothing else on the machine.

use crate::ingest::Source;

/// Every 120th invoice of the full data set (plus the lines with `£`), by-day dialect.
pub const SAMPLE_CSV: &[u8] = include_bytes!("../sample_data/online-retail-sample.csv");

/// The name recorded as `source_file` for the bundled sample.
pub const SAMPLE_NAME: &str = "sample_data/online-retail-sample.csv";

/// The bundled sample as an ingest source.
pub fn source() -> Source {
    Source::embedded(SAMPLE_NAME, SAMPLE_CSV)
}
