//! The topic browser (the job of kcat and yozefu), for any topic, not only the shop's
//! events: `ecom kafka topics` lists partitions, offsets and every group's lag;
//! `ecom kafka browse` reads messages from an offset, a time or the end, filtered and
//! decoded; `ecom kafka produce` sends JSON lines. No terminal code: the CLI and the
//! workbench's Stream screen both call these functions.
//!
//! End offsets come from the high watermarks of fetch responses ([`watermarks`]), and a
//! time is found by binary search over offsets ([`seek`]): Tansu answers ListOffsets and
//! OffsetsForTimes wrongly.

mod error;
pub mod filter;
pub mod message;
pub mod produce;
mod read;
pub mod seek;
pub mod topics;
pub mod watermarks;

pub use error::{BrowseError, Result};
pub use filter::{Filter, JsonPath};
pub use message::BrowsedMessage;
pub use produce::{ProduceOptions, ProduceSummary, produce};
pub use read::{BrowseOptions, BrowseSummary, Browser, browse};
pub use seek::StartAt;
pub use topics::{GroupLag, GroupPartition, TopicSummary, list_topics};
pub use watermarks::PartitionOffsets;
