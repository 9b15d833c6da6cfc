//! Where a partition resumes ([`Resume`]): its text form for the offset commit's
//! metadata and the checkpoint topic, and the warehouse's copy in `stream.offsets`.

use std::collections::HashMap;

use crate::stream::error::Result;
use chrono::NaiveDateTime;
use duckdb::Connection;

/// Where a partition resumes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct Resume {
    pub(super) rebuild_offset: i64,
    pub(super) next_offset: i64,
    pub(super) max_event_time: Option<NaiveDateTime>,
}

impl Resume {
    /// The point as text, for the offset commit's metadata and the checkpoint topic:
    /// `ecom1;rebuild;next;max_event_time`.
    pub(super) fn point(&self) -> String {
        let time = self
            .max_event_time
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.f").to_string());
        format!(
            "ecom1;{};{};{}",
            self.rebuild_offset,
            self.next_offset,
            time.unwrap_or_default()
        )
    }

    pub(super) fn from_point(text: &str) -> Option<Resume> {
        let mut parts = text.split(';');
        if parts.next() != Some("ecom1") {
            return None;
        }
        let rebuild_offset = parts.next()?.parse().ok()?;
        let next_offset = parts.next()?.parse().ok()?;
        let max_event_time = parts
            .next()
            .filter(|t| !t.is_empty())
            .and_then(|t| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").ok());
        Some(Resume {
            rebuild_offset,
            next_offset,
            max_event_time,
        })
    }
}

pub(super) fn load_offsets(conn: &Connection, topic: &str) -> Result<HashMap<i32, Resume>> {
    let mut stmt = conn.prepare(
        "SELECT \"partition\", rebuild_offset, next_offset, max_event_time FROM stream.offsets WHERE topic = ?",
    )?;
    let rows = stmt
        .query_map([topic], |r| {
            Ok((
                r.get::<_, i32>(0)?,
                Resume {
                    rebuild_offset: r.get(1)?,
                    next_offset: r.get(2)?,
                    max_event_time: r.get(3)?,
                },
            ))
        })?
        .collect::<Result<HashMap<_, _>, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_points_round_trip_through_commit_metadata() {
        let resume = Resume {
            rebuild_offset: 120,
            next_offset: 180,
            max_event_time: NaiveDateTime::parse_from_str(
                "2011-03-01 10:15:00",
                "%Y-%m-%d %H:%M:%S",
            )
            .ok(),
        };
        assert_eq!(Resume::from_point(&resume.point()), Some(resume));
        assert_eq!(Resume::from_point(""), None);
    }
}
