//! `ecom kafka …`: the topic browser's commands. These names are contracts.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum KafkaAction {
    /// Topics with their partitions' offsets, and every consumer group's committed
    /// offsets and lag.
    Topics(TopicsArgs),
    /// Read a topic's messages from its beginning, an offset, a time or its end,
    /// filtered, decoded and pretty-printed (`--json`: one JSON line per message).
    Browse(BrowseArgs),
    /// Send JSON lines (one message per line) from FILE or standard input.
    Produce(ProduceArgs),
}

/// The broker and client settings every `ecom kafka` command takes.
#[derive(Debug, Args)]
pub struct Connection {
    /// Kafka bootstrap servers (host:port,…).
    #[arg(long, env = "ECOM_BROKERS", value_name = "HOST:PORT")]
    pub brokers: String,
    /// librdkafka client settings (key=value), over ecom's defaults.
    #[arg(long, value_name = "KEY=VALUE", num_args = 1..)]
    pub client_config: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TopicsArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Only this topic.
    #[arg(value_name = "TOPIC")]
    pub topic: Option<String>,
}

#[derive(Debug, Args)]
pub struct BrowseArgs {
    #[arg(value_name = "TOPIC")]
    pub topic: String,
    #[command(flatten)]
    pub connection: Connection,
    /// Only this partition.
    #[arg(long, value_name = "N")]
    pub partition: Option<i32>,
    /// Start at this offset in each partition.
    #[arg(long, value_name = "N", group = "from")]
    pub from_offset: Option<i64>,
    /// Start at the first message stamped at or after this time (RFC 3339,
    /// e.g. 2011-11-01T08:00:00Z).
    #[arg(long, value_name = "RFC3339", group = "from")]
    pub from_time: Option<String>,
    /// Start at the end: only messages produced from now on (with --follow).
    #[arg(long, group = "from")]
    pub from_end: bool,
    /// Keep reading new messages until Ctrl+C (without it, stop at the end offsets
    /// seen at the start).
    #[arg(long)]
    pub follow: bool,
    /// Keep only matching messages: `.country == "France"` (also !=, >, <, >=, <=,
    /// nested `.a.b`), `key == "…"`, `key ~ "…"`, or text (`~ "…"` or bare).
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Stop after N messages that pass --filter.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ProduceArgs {
    #[arg(value_name = "TOPIC")]
    pub topic: String,
    #[command(flatten)]
    pub connection: Connection,
    /// Key each message by this field of its JSON line (`.customer_id`, `a.b`).
    #[arg(long, value_name = "PATH")]
    pub key_field: Option<String>,
    /// JSON lines to send (standard input without it, or with -).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}
