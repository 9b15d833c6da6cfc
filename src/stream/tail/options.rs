//! What `ecom tail` is asked to do: the consumer group, the windows, the batching and
//! where the live figures go.

use std::time::Duration as StdDuration;

use chrono::Duration;

use crate::stream::event::TimeBounds;
use crate::stream::window::WindowSpec;

#[derive(Debug, Clone)]
pub struct TailOptions {
    pub brokers: String,
    pub topic: String,
    pub group: String,
    pub windows: Vec<WindowSpec>,
    pub allowed_lateness: Duration,
    /// How far event times may stray from their messages' Kafka timestamps.
    pub time_bounds: TimeBounds,
    pub metrics_topic: Option<String>,
    pub dlq_topic: Option<String>,
    pub until_idle: Option<StdDuration>,
    /// A partition without messages this long stops holding its windows open
    /// (`windows_state::close_idle`); `None` waits for traffic forever.
    pub idle_timeout: Option<StdDuration>,
    pub max_messages: Option<u64>,
    /// librdkafka consumer settings over ecom's defaults.
    pub consumer_settings: Vec<(String, String)>,
    /// Messages per warehouse transaction (a batch also ends after `commit_interval`).
    pub batch_messages: usize,
    pub commit_interval: StdDuration,
    /// Serve the live figures in the Prometheus text format at `GET /metrics` here.
    pub metrics_addr: Option<std::net::SocketAddr>,
}

impl TailOptions {
    pub fn new(brokers: &str, topic: &str, group: &str) -> Self {
        Self {
            brokers: brokers.into(),
            topic: topic.into(),
            group: group.into(),
            windows: vec![WindowSpec::tumbling(Duration::minutes(1))],
            allowed_lateness: Duration::minutes(5),
            time_bounds: TimeBounds::default(),
            metrics_topic: Some("uk-retail-metrics".into()),
            dlq_topic: None,
            until_idle: None,
            idle_timeout: Some(StdDuration::from_secs(60)),
            max_messages: None,
            consumer_settings: Vec::new(),
            batch_messages: BATCH_MESSAGES,
            commit_interval: StdDuration::from_millis(500),
            metrics_addr: None,
        }
    }
}

/// Messages per warehouse transaction by default: one DuckDB row group (122,880 rows).
/// A transaction that fills whole row groups has DuckDB write them compressed straight
/// to the file instead of through the WAL and again at the next checkpoint; on the full
/// data that halved the commit's CPU time. Live, `commit_interval` seals batches long
/// before they are this large.
pub const BATCH_MESSAGES: usize = 122_880;
