//! Stable whole-number customer keys for exports that know customers by e-mail only
//! (Shopify): each lower-cased address gets the next free id the first time it is
//! seen, recorded in `meta.customer_keys` in the transaction that stores its rows, so
//! the same customer has the same `customer_id` in every file and every run. Only a
//! BLAKE3 hash of the address is kept, unless the mapping asks for the address.

use std::collections::HashMap;
use std::sync::Arc;

use duckdb::arrow::array::{ArrayRef, Int32Array};
use duckdb::arrow::record_batch::RecordBatch;

use super::rows::CUSTOMER_ID_COLUMN;

/// The e-mail of each row of a parsed file (`None`: a guest).
#[derive(Debug, Clone, Default)]
pub struct EmailKeys {
    /// One per row of the file's batch: the hash of the lower-cased address.
    pub hashes: Vec<Option<String>>,
    /// The addresses themselves, by hash, when the mapping keeps them.
    pub emails: Option<HashMap<String, String>>,
}

impl EmailKeys {
    pub fn new(keep_emails: bool) -> Self {
        Self {
            hashes: Vec::new(),
            emails: keep_emails.then(HashMap::new),
        }
    }

    /// Adds the next row's address (trimmed and lower-cased; empty is a guest).
    pub fn push(&mut self, email: Option<&str>) {
        let email = email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty());
        let hash = email
            .as_ref()
            .map(|e| blake3::hash(e.as_bytes()).to_hex().to_string());
        if let (Some(emails), Some(hash), Some(email)) = (&mut self.emails, &hash, email) {
            emails.entry(hash.clone()).or_insert(email);
        }
        self.hashes.push(hash);
    }
}

/// The customer keys known to the warehouse, read once per commit and grown as new
/// addresses are given ids (recorded in the same transaction).
pub(super) struct KnownKeys {
    ids: HashMap<String, i32>,
    next: i32,
}

impl KnownKeys {
    pub fn load(tx: &duckdb::Transaction<'_>) -> Result<Self, duckdb::Error> {
        let mut stmt = tx.prepare("SELECT email_hash, customer_id FROM meta.customer_keys")?;
        let ids: HashMap<String, i32> = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i32>(1)?)))?
            .collect::<Result<_, _>>()?;
        let next = ids.values().copied().max().unwrap_or(0) + 1;
        Ok(Self { ids, next })
    }

    /// Gives each address of `keys` its customer id (recording new ones in `tx`) and
    /// returns `batch` with its `customer_id` column filled.
    pub fn assign(
        &mut self,
        tx: &duckdb::Transaction<'_>,
        batch: &RecordBatch,
        keys: &EmailKeys,
        ingest_id: i64,
    ) -> Result<RecordBatch, duckdb::Error> {
        let mut appender = tx.appender_to_db("customer_keys", "meta")?;
        let mut ids = Vec::with_capacity(keys.hashes.len());
        for hash in &keys.hashes {
            let Some(hash) = hash else {
                ids.push(None);
                continue;
            };
            let id = match self.ids.get(hash) {
                Some(&id) => id,
                None => {
                    let id = self.next;
                    self.next += 1;
                    self.ids.insert(hash.clone(), id);
                    let email = keys.emails.as_ref().and_then(|e| e.get(hash));
                    appender.append_row(duckdb::params![hash, id, email, ingest_id])?;
                    id
                }
            };
            ids.push(Some(id));
        }
        appender.flush()?;
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        columns[CUSTOMER_ID_COLUMN] = Arc::new(Int32Array::from(ids));
        Ok(RecordBatch::try_new(batch.schema(), columns).expect("same schema, same length"))
    }
}
