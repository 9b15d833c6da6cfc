//! dbt snapshots: type-2 history of a query, kept in a table that each run brings up
//! to date, with dbt-duckdb 1.9's exact results.
//!
//! The first run creates the table from the query plus dbt's meta columns
//! (`dbt_scd_id`, `dbt_updated_at`, `dbt_valid_from`, `dbt_valid_to`, and
//! `dbt_is_deleted` when deletions are recorded as rows). Later runs, in one
//! transaction (so every `now()` is the same instant): stage the changes (new keys,
//! changed rows by the `timestamp` or `check` strategy, and deleted keys when
//! `hard_deletes` says so) in a temporary table, add columns the query gained, close
//! the changed rows, insert the new versions, drop the staging table. Nothing else is
//! left in the warehouse.

use duckdb::Connection;
use serde_json::Value;

use super::catalog::{RelationKind, query_columns, relation_columns, relation_kind};
use super::config::NodeConfig;
use crate::warehouse::commit::{commit_batch, in_transaction};
use crate::warehouse::quote_ident;

/// The snapshot time of dbt-duckdb: the transaction's start, as a local timestamp.
const NOW: &str = "now()::timestamp";

/// Why a snapshot does not run, in dbt's sentences.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("Snapshots must be configured with a 'strategy' and 'unique_key'.")]
    NoStrategyOrKey,
    #[error("A 'timestamp' snapshot should not have 'check_cols'")]
    TimestampWithCheckCols,
    #[error(
        "A snapshot configured with the timestamp strategy must specify an updated_at configuration."
    )]
    NoUpdatedAt,
    #[error("Invalid value for 'check_cols': {0}. Expected 'all' or a list of strings.")]
    InvalidCheckCols(String),
    #[error(
        "A snapshot configured with the check strategy must specify a check_cols configuration."
    )]
    NoCheckCols,
    #[error("The specified strategy macro '{0}' was not found in package 'None'")]
    UnknownStrategy(String),
    #[error(
        "You cannot set both the invalidate_hard_deletes and hard_deletes config properties on the same snapshot."
    )]
    BothHardDeletes,
    #[error("Invalid setting for property hard_deletes.")]
    InvalidHardDeletes,
    #[error(
        "Trying to create table {0}, but it currently exists as a view. Either drop {0} manually, or run with --full-refresh."
    )]
    ExistsAsView(String),
    #[error("Snapshot target is missing configured columns (missing {0}).")]
    MissingColumns(String),
    #[error("{0}")]
    Database(#[from] duckdb::Error),
}

#[derive(Debug, Clone, PartialEq)]
enum Strategy {
    Timestamp {
        updated_at: String,
    },
    Check {
        columns: Option<Vec<String>>,
        updated_at: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum HardDeletes {
    Ignore,
    Invalidate,
    NewRecord,
}

/// The names of the meta columns (`snapshot_meta_column_names`).
#[derive(Debug, Clone, PartialEq)]
struct MetaNames {
    scd_id: String,
    updated_at: String,
    valid_from: String,
    valid_to: String,
    is_deleted: String,
}

/// A snapshot's configuration, checked as dbt checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    strategy: Strategy,
    unique_key: Vec<String>,
    hard_deletes: HardDeletes,
    valid_to_current: Option<String>,
    names: MetaNames,
}

fn text(config: &NodeConfig, key: &str) -> Option<String> {
    config
        .extra
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
}

impl Snapshot {
    /// Reads the config, with dbt's sentences for what it refuses.
    pub fn from_config(config: &NodeConfig) -> Result<Self, SnapshotError> {
        let strategy = text(config, "strategy");
        if strategy.is_none() || config.unique_key.is_empty() {
            return Err(SnapshotError::NoStrategyOrKey);
        }
        let updated_at = text(config, "updated_at");
        let check_cols = config.extra.get("check_cols");
        let strategy = match strategy.as_deref() {
            Some("timestamp") => {
                if check_cols.is_some_and(|c| !c.is_null()) {
                    return Err(SnapshotError::TimestampWithCheckCols);
                }
                Strategy::Timestamp {
                    updated_at: updated_at.ok_or(SnapshotError::NoUpdatedAt)?,
                }
            }
            Some("check") => {
                let columns = match check_cols {
                    Some(Value::String(all)) if all == "all" => None,
                    Some(Value::Array(items)) => Some(
                        items
                            .iter()
                            .filter_map(|i| i.as_str().map(str::to_string))
                            .collect(),
                    ),
                    Some(Value::String(other)) => {
                        return Err(SnapshotError::InvalidCheckCols(other.clone()));
                    }
                    _ => {
                        return Err(SnapshotError::NoCheckCols);
                    }
                };
                Strategy::Check {
                    columns,
                    updated_at,
                }
            }
            Some(other) => {
                return Err(SnapshotError::UnknownStrategy(other.to_string()));
            }
            None => unreachable!("checked above"),
        };
        let legacy = config
            .extra
            .get("invalidate_hard_deletes")
            .is_some_and(|v| v.as_bool().unwrap_or(false));
        let hard_deletes = match (text(config, "hard_deletes").as_deref(), legacy) {
            (Some(_), true) => {
                return Err(SnapshotError::BothHardDeletes);
            }
            (None, true) | (Some("invalidate"), false) => HardDeletes::Invalidate,
            (Some("new_record"), false) => HardDeletes::NewRecord,
            (None | Some("ignore"), false) => HardDeletes::Ignore,
            (Some(_), false) => return Err(SnapshotError::InvalidHardDeletes),
        };
        let renamed = config.extra.get("snapshot_meta_column_names");
        let name = |key: &str| {
            renamed
                .and_then(|m| m.get(key))
                .and_then(Value::as_str)
                .unwrap_or(key)
                .to_string()
        };
        Ok(Self {
            strategy,
            unique_key: config.unique_key.clone(),
            hard_deletes,
            valid_to_current: text(config, "dbt_valid_to_current"),
            names: MetaNames {
                scd_id: name("dbt_scd_id"),
                updated_at: name("dbt_updated_at"),
                valid_from: name("dbt_valid_from"),
                valid_to: name("dbt_valid_to"),
                is_deleted: name("dbt_is_deleted"),
            },
        })
    }

    /// The `updated_at` expression: the column (timestamp, or check with one), else
    /// the snapshot time.
    fn updated_at(&self) -> String {
        match &self.strategy {
            Strategy::Timestamp { updated_at }
            | Strategy::Check {
                updated_at: Some(updated_at),
                ..
            } => updated_at.clone(),
            Strategy::Check { .. } => NOW.into(),
        }
    }

    fn new_record(&self) -> bool {
        self.hard_deletes == HardDeletes::NewRecord
    }

    /// Where a row is still current.
    fn current(&self, table: &str) -> String {
        let to = format!("{table}{}", self.names.valid_to);
        match &self.valid_to_current {
            Some(value) => format!("(({to} = {value}) or {to} is null)"),
            None => format!("{to} is null"),
        }
    }

    /// The first run: the query and its meta columns.
    pub fn create_sql(&self, target: &str, query: &str) -> String {
        let u = self.updated_at();
        let mut hashed = self.unique_key.clone();
        hashed.push(u.clone());
        let mut meta = vec![
            format!("{} as {}", hash(&hashed), self.names.scd_id),
            format!("{u} as {}", self.names.updated_at),
            format!("{u} as {}", self.names.valid_from),
            format!(
                "coalesce(nullif({u}, {u}), {}) as {}",
                self.valid_to_current.as_deref().unwrap_or("null"),
                self.names.valid_to
            ),
        ];
        if self.new_record() {
            meta.push(format!("'False' as {}", self.names.is_deleted));
        }
        format!(
            "create table {target} as (\n    select *,\n        {}\n    from (\n{query}\n    ) sbq\n)",
            meta.join(",\n        ")
        )
    }

    /// `k as dbt_unique_key` (or `_1`, `_2`… for a list key) over `table`.
    fn key_columns(&self, table: &str) -> String {
        self.key_names()
            .iter()
            .zip(&self.unique_key)
            .map(|(alias, key)| format!("{table}{key} as {alias}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn key_names(&self) -> Vec<String> {
        if self.unique_key.len() == 1 {
            vec!["dbt_unique_key".into()]
        } else {
            (1..=self.unique_key.len())
                .map(|i| format!("dbt_unique_key_{i}"))
                .collect()
        }
    }

    fn keys_equal(&self) -> String {
        self.key_names()
            .iter()
            .map(|k| format!("(snapshotted_data.{k} = source_data.{k})"))
            .collect::<Vec<_>>()
            .join(" and ")
    }

    /// Whether a current row changed: the timestamp moved on, or a checked column
    /// differs (NULL against a value counts); every row when the query has a column
    /// the table lacks and all columns are checked.
    fn changed(&self, query_columns: &[String], target_columns: &[String]) -> String {
        let changed = match &self.strategy {
            Strategy::Timestamp { updated_at } => {
                format!(
                    "(snapshotted_data.{} < source_data.{updated_at})",
                    self.names.valid_from
                )
            }
            Strategy::Check { columns, .. } => {
                let in_target =
                    |c: &String| target_columns.iter().any(|t| t.eq_ignore_ascii_case(c));
                let new_column = query_columns.iter().any(|c| !in_target(c));
                if columns.is_none() && new_column {
                    "(TRUE)".to_string()
                } else {
                    let checked: Vec<&String> = match columns {
                        Some(list) => list.iter().filter(|c| in_target(c)).collect(),
                        None => query_columns.iter().collect(),
                    };
                    let each: Vec<String> = checked
                        .iter()
                        .map(|c| {
                            let (s, n) = (
                                format!("snapshotted_data.{}", quote_ident(c)),
                                format!("source_data.{}", quote_ident(c)),
                            );
                            format!(
                                "{s} != {n} or ((({s} is null) and not ({n} is null)) or ((not {s} is null) and ({n} is null)))"
                            )
                        })
                        .collect();
                    if each.is_empty() {
                        "(FALSE)".to_string()
                    } else {
                        format!("({})", each.join(" or "))
                    }
                }
            }
        };
        if self.new_record() {
            format!(
                "({changed} or snapshotted_data.{} = 'True')",
                self.names.is_deleted
            )
        } else {
            format!("({changed})")
        }
    }

    /// The changes since the last run, one row per change (`dbt_change_type` insert,
    /// update or delete), in the columns the merge reads.
    pub fn staging_sql(
        &self,
        target: &str,
        query: &str,
        query_columns: &[String],
        target_columns: &[String],
    ) -> String {
        let n = &self.names;
        let u = self.updated_at();
        let mut hashed = self.unique_key.clone();
        hashed.push(u.clone());
        let first_key = &self.key_names()[0];
        let deleted_flag = |value: &str| {
            if self.new_record() {
                format!(", {value} as {}", n.is_deleted)
            } else {
                String::new()
            }
        };
        let mut ctes = vec![
            format!("snapshot_query as (\n{query}\n)"),
            format!(
                "snapshotted_data as (\n    select *, {} from {target} where {}\n)",
                self.key_columns(""),
                self.current("")
            ),
            format!(
                "insertions_source_data as (\n    select *, {}, {u} as {}, {u} as {}, coalesce(nullif({u}, {u}), {}) as {}, {} as {} from snapshot_query\n)",
                self.key_columns(""),
                n.updated_at,
                n.valid_from,
                self.valid_to_current.as_deref().unwrap_or("null"),
                n.valid_to,
                hash(&hashed),
                n.scd_id
            ),
            format!(
                "updates_source_data as (\n    select *, {}, {u} as {}, {u} as {}, {u} as {} from snapshot_query\n)",
                self.key_columns(""),
                n.updated_at,
                n.valid_from,
                n.valid_to
            ),
        ];
        let changed = self.changed(query_columns, target_columns);
        ctes.push(format!(
            "insertions as (\n    select 'insert' as dbt_change_type, source_data.*{}\n    from insertions_source_data as source_data\n    left outer join snapshotted_data on {}\n    where snapshotted_data.{first_key} is null or (snapshotted_data.{first_key} is not null and {changed})\n)",
            deleted_flag("'False'"),
            self.keys_equal()
        ));
        ctes.push(format!(
            "updates as (\n    select 'update' as dbt_change_type, source_data.*, snapshotted_data.{}{}\n    from updates_source_data as source_data\n    join snapshotted_data on {}\n    where {changed}\n)",
            n.scd_id,
            deleted_flag(&format!("snapshotted_data.{}", n.is_deleted)),
            self.keys_equal()
        ));
        let mut parts = vec!["select * from insertions", "select * from updates"];
        if self.hard_deletes != HardDeletes::Ignore {
            let still_deleted = if self.new_record() {
                format!(
                    " and not (snapshotted_data.{} = 'True' and snapshotted_data.{} is null)",
                    n.is_deleted, n.valid_to
                )
            } else {
                String::new()
            };
            ctes.push(format!(
                "deletes_source_data as (\n    select *, {} from snapshot_query\n)",
                self.key_columns("")
            ));
            ctes.push(format!(
                "deletes as (\n    select 'delete' as dbt_change_type, source_data.*, {NOW} as {}, {NOW} as {}, {NOW} as {}, snapshotted_data.{}{}\n    from snapshotted_data\n    left join deletes_source_data as source_data on {}\n    where source_data.{first_key} is null{still_deleted}\n)",
                n.valid_from,
                n.updated_at,
                n.valid_to,
                n.scd_id,
                deleted_flag(&format!("snapshotted_data.{}", n.is_deleted)),
                self.keys_equal()
            ));
            parts.push("select * from deletes");
            if self.new_record() {
                let copied: Vec<String> = query_columns
                    .iter()
                    .map(|c| {
                        let from = if target_columns.iter().any(|t| t.eq_ignore_ascii_case(c)) {
                            "snapshotted_data"
                        } else {
                            "source_data"
                        };
                        format!("{from}.{}", quote_ident(c))
                    })
                    .collect();
                let keys: Vec<String> = self
                    .key_names()
                    .iter()
                    .map(|k| format!("snapshotted_data.{k} as {k}"))
                    .collect();
                ctes.push(format!(
                    "deletion_records as (\n    select 'insert' as dbt_change_type, {}, {}, {NOW} as {}, {NOW} as {}, snapshotted_data.{} as {}, {} as {}, 'True' as {}\n    from snapshotted_data\n    left join deletes_source_data as source_data on {}\n    where source_data.{first_key} is null{still_deleted}\n)",
                    copied.join(", "),
                    keys.join(", "),
                    n.valid_from,
                    n.updated_at,
                    n.valid_to,
                    n.valid_to,
                    hash(&[format!("snapshotted_data.{}", n.scd_id), NOW.to_string()]),
                    n.scd_id,
                    n.is_deleted,
                    self.keys_equal()
                ));
                parts.push("select * from deletion_records");
            }
        }
        format!("with {}\n{}", ctes.join(",\n"), parts.join("\nunion all\n"))
    }

    /// Closes the changed rows and inserts the new versions from `staging`.
    pub fn merge_sql(&self, target: &str, staging: &str, insert_columns: &[String]) -> String {
        let n = &self.names;
        let current = self.current("DBT_INTERNAL_TARGET.");
        let columns: Vec<String> = insert_columns.iter().map(|c| quote_ident(c)).collect();
        let selected: Vec<String> = columns
            .iter()
            .map(|c| format!("DBT_INTERNAL_SOURCE.{c}"))
            .collect();
        format!(
            "update {target} as DBT_INTERNAL_TARGET set {to} = DBT_INTERNAL_SOURCE.{to} \
             from {staging} as DBT_INTERNAL_SOURCE \
             where DBT_INTERNAL_SOURCE.{scd}::text = DBT_INTERNAL_TARGET.{scd}::text \
             and DBT_INTERNAL_SOURCE.dbt_change_type::text in ('update'::text, 'delete'::text) \
             and {current};\n\
             insert into {target} ({}) select {} from {staging} as DBT_INTERNAL_SOURCE \
             where DBT_INTERNAL_SOURCE.dbt_change_type::text = 'insert'::text;",
            columns.join(", "),
            selected.join(", "),
            to = n.valid_to,
            scd = n.scd_id,
        )
    }
}

/// dbt's `snapshot_hash_arguments`.
fn hash(args: &[String]) -> String {
    let parts: Vec<String> = args
        .iter()
        .map(|a| format!("coalesce(cast({a} as varchar ), '')"))
        .collect();
    format!("md5({})", parts.join(" || '|' || "))
}

/// Brings the snapshot table `schema.identifier` up to date with `query`, creating it
/// on the first run.
pub fn run(
    conn: &Connection,
    snapshot: &Snapshot,
    schema: &str,
    identifier: &str,
    query: &str,
) -> Result<(), SnapshotError> {
    let target = format!("{}.{}", quote_ident(schema), quote_ident(identifier));
    let query = query.trim().trim_end_matches(';');
    let existing = relation_columns(conn, schema, identifier)?;
    if relation_kind(conn, schema, identifier) == Some(RelationKind::View) {
        return Err(SnapshotError::ExistsAsView(target));
    }
    conn.execute_batch(&format!(
        "CREATE SCHEMA IF NOT EXISTS {}",
        quote_ident(schema)
    ))?;
    if existing.is_empty() {
        return Ok(commit_batch(conn, &snapshot.create_sql(&target, query))?);
    }
    let names: Vec<String> = existing.iter().map(|(c, _)| c.clone()).collect();
    let n = &snapshot.names;
    let mut required = vec![&n.scd_id, &n.valid_from, &n.valid_to];
    if snapshot.new_record() {
        required.push(&n.is_deleted);
    }
    let missing: Vec<String> = required
        .into_iter()
        .filter(|c| !names.iter().any(|t| t.eq_ignore_ascii_case(c)))
        .map(|c| format!("\"{c}\""))
        .collect();
    if !missing.is_empty() {
        return Err(SnapshotError::MissingColumns(missing.join(", ")));
    }
    let source: Vec<String> = query_columns(conn, query)?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let staging = quote_ident(&format!("{identifier}__dbt_tmp"));
    let staged = snapshot.staging_sql(&target, query, &source, &names);
    let result = in_transaction(conn, |conn| -> duckdb::Result<()> {
        conn.execute_batch(&format!("CREATE TEMP TABLE {staging} AS (\n{staged}\n)"))?;
        let staged_columns = query_columns(conn, &format!("select * from {staging}"))?;
        // The staging table's own bookkeeping columns are not the snapshot's.
        let bookkeeping = snapshot.key_names();
        let mut inserted = Vec::new();
        for (column, ty) in &staged_columns {
            if column == "dbt_change_type" || bookkeeping.contains(column) {
                continue;
            }
            if !names.iter().any(|t| t.eq_ignore_ascii_case(column)) {
                conn.execute_batch(&format!(
                    "ALTER TABLE {target} ADD COLUMN {} {ty}",
                    quote_ident(column)
                ))?;
            }
            inserted.push(column.clone());
        }
        conn.execute_batch(&snapshot.merge_sql(&target, &staging, &inserted))
    });
    if let Err(e) = result {
        let _ = conn.execute_batch(&format!("DROP TABLE IF EXISTS {staging}"));
        return Err(e.into());
    }
    Ok(conn.execute_batch(&format!("DROP TABLE IF EXISTS {staging}"))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: serde_json::Value) -> NodeConfig {
        let mut config = NodeConfig::new("snapshot");
        config.apply(pairs.as_object().unwrap());
        config
    }

    #[test]
    fn configs_are_refused_with_dbts_sentences() {
        let err = |v| Snapshot::from_config(&config(v)).unwrap_err().to_string();
        assert!(
            err(serde_json::json!({"strategy": "timestamp"}))
                .contains("'strategy' and 'unique_key'")
        );
        assert!(
            err(serde_json::json!({"strategy": "check", "unique_key": "id"}))
                .contains("check_cols")
        );
        assert!(
            err(serde_json::json!({"strategy": "timestamp", "unique_key": "id"}))
                .contains("updated_at")
        );
        assert!(
            err(serde_json::json!({"strategy": "timestamp", "unique_key": "id", "updated_at": "u", "hard_deletes": "x"}))
                .contains("Invalid setting for property hard_deletes")
        );
    }

    #[test]
    fn the_scd_id_hashes_key_and_time_as_dbt_does() {
        assert_eq!(
            hash(&["id".into(), "updated_at".into()]),
            "md5(coalesce(cast(id as varchar ), '') || '|' || coalesce(cast(updated_at as varchar ), ''))"
        );
    }
}
