//! The quarantine (`raw.quarantine`): appending a file's rejected lines with their
//! reasons, and telling the likely cause when most of a run's lines landed there.

use duckdb::Connection;

use super::parse::Rejected;

/// The likely cause when most of a run's lines were quarantined, as a sentence from
/// the commonest kind of reason among them (a decimal comma, a date order, a delimiter
/// or missing column), with one example; `None` when nothing was quarantined.
pub fn quarantine_cause(
    conn: &Connection,
    ingest_id: i64,
) -> Result<Option<String>, duckdb::Error> {
    let mut stmt = conn.prepare(
        "SELECT CASE
                  WHEN reason LIKE 'UnitPrice `%,%` is not a decimal number' THEN 'comma'
                  WHEN reason LIKE 'Quantity `%,%` is not a whole number' THEN 'comma'
                  WHEN reason LIKE 'InvoiceDate %' THEN 'date'
                  WHEN reason LIKE 'wrong number of fields%' THEN 'fields'
                  ELSE 'other' END AS cause,
                count(*) AS n, min(reason) AS example
         FROM raw.quarantine WHERE ingest_id = ? GROUP BY 1 ORDER BY n DESC, cause LIMIT 1",
    )?;
    let mut rows = stmt.query([ingest_id])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let (cause, count, example): (String, i64, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
    let count = crate::format::thousands(count as u64);
    Ok(Some(match cause.as_str() {
        "comma" => format!(
            "most of them ({count}) write numbers with a decimal comma, as in \"{example}\": \
             the file is a European-style export; read it with a mapping that says decimal = \",\" \
             (`ecom ingest --suggest-mapping FILE` writes one)"
        ),
        "date" => format!(
            "most of them ({count}) have dates that do not read in the file's form, as in \"{example}\": \
             check the date order and format (a mapping's date_format reads any pattern)"
        ),
        "fields" => format!(
            "most of them ({count}) have another number of fields than the header, as in \"{example}\": \
             a different delimiter in the rows, or a missing column"
        ),
        _ => format!("most of them ({count}) as in \"{example}\""),
    }))
}

/// Appends a file's rejected lines to `raw.quarantine` with their reasons.
pub(super) fn append_quarantined(
    quarantine: &mut duckdb::Appender<'_>,
    ingest_id: i64,
    name: &str,
    rejected: &[Rejected],
) -> Result<(), duckdb::Error> {
    let now = chrono::Utc::now().naive_utc();
    for r in rejected {
        quarantine.append_row(duckdb::params![
            ingest_id,
            r.part.as_deref().unwrap_or(name),
            r.line as i64,
            r.raw,
            r.reason,
            now
        ])?;
    }
    Ok(())
}
