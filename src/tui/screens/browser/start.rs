//! Where the browser starts reading a topic, as the user types it in the start prompt:
//! the same choices as `ecom kafka browse`'s `--from-offset`, `--from-time` and
//! `--from-end --follow`, plus the newest page the browser opens on.

use std::fmt;

use chrono::{DateTime, Utc};

use super::PAGE;
use crate::stream::browse::StartAt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The newest [`PAGE`] messages of the topic (shared among its partitions).
    Newest,
    Beginning,
    /// This offset in every partition.
    Offset(i64),
    /// The first message stamped at or after this time.
    Time(DateTime<Utc>),
    /// The end, following: new messages appear as they arrive.
    Follow,
}

impl Start {
    /// `newest`, `beginning`, `end` (or `follow`), an offset, or an RFC 3339 time.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        match text.to_lowercase().as_str() {
            "newest" | "latest" | "" => return Some(Self::Newest),
            "beginning" | "start" | "earliest" => return Some(Self::Beginning),
            "end" | "follow" => return Some(Self::Follow),
            _ => {}
        }
        if let Ok(offset) = text.parse::<i64>() {
            return (offset >= 0).then_some(Self::Offset(offset));
        }
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| Self::Time(t.to_utc()))
    }

    /// Where each of `partitions` partitions starts, and whether the read follows.
    pub fn at(self, partitions: usize) -> (StartAt, bool) {
        match self {
            Self::Newest => (
                StartAt::Last(PAGE.div_ceil(partitions.max(1) as u64)),
                false,
            ),
            Self::Beginning => (StartAt::Beginning, false),
            Self::Offset(offset) => (StartAt::Offset(offset), false),
            Self::Time(time) => (StartAt::Time(time), false),
            Self::Follow => (StartAt::End, true),
        }
    }
}

/// As the list's title says it: "from …".
impl fmt::Display for Start {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Newest => write!(f, "the newest {PAGE}"),
            Self::Beginning => write!(f, "the beginning"),
            Self::Offset(offset) => write!(f, "offset {offset}"),
            Self::Time(time) => write!(
                f,
                "{}",
                time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            ),
            Self::Follow => write!(f, "the end, following"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_starts() {
        assert_eq!(Start::parse(" Beginning "), Some(Start::Beginning));
        assert_eq!(Start::parse("end"), Some(Start::Follow));
        assert_eq!(Start::parse("120"), Some(Start::Offset(120)));
        assert_eq!(Start::parse("-1"), None);
        let time = Start::parse("2011-11-01T08:00:00+01:00").unwrap();
        assert_eq!(time.to_string(), "2011-11-01T07:00:00Z");
        assert_eq!(Start::parse("yesterday"), None);
        // The newest page is shared among the partitions, rounded up.
        assert_eq!(Start::Newest.at(3), (StartAt::Last(167), false));
        assert_eq!(Start::Follow.at(3), (StartAt::End, true));
    }
}
