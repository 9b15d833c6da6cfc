//! The tail's live figures: [`TailStatus`] (defined with the other progress details in
//! `jobs::detail`, since they travel as one) and their one-line description. The loop
//! reports them as the detail of its progress records, twice a second; the workbench's
//! Stream screen, `ecom serve`'s `/metrics` and the `--metrics-addr` exporter read them
//! from there.

pub use crate::jobs::detail::{PartitionStatus, TailStages, TailStatus};

/// One line of live status.
pub fn describe(status: &TailStatus) -> String {
    let lag = status
        .partitions
        .iter()
        .map(|p| {
            format!(
                "p{}:{}",
                p.partition,
                p.lag.map_or("?".into(), |l| l.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let watermark = status
        .partitions
        .iter()
        .filter_map(|p| p.watermark)
        .min()
        .map_or("-".to_string(), |w| w.format("%Y-%m-%d %H:%M").to_string());
    format!(
        "{:.0} ev/s, lag [{lag}], watermark {watermark}, {} windows, {} late, {} dead letters, {} duplicates{}",
        status.events_per_second,
        status.windows_emitted,
        status.late_events,
        status.dead_letters,
        status.duplicates,
        status
            .last_broker_error
            .as_ref()
            .map(|e| format!(", broker: {e}"))
            .unwrap_or_default()
    )
}

/// Where the CPU time went, in one line (`ecom tail`'s last line).
pub fn describe_stages(stages: &TailStages) -> String {
    let parts = [
        ("poll", stages.poll),
        ("decode", stages.decode),
        ("window", stages.window),
        ("rows", stages.rows),
        ("append", stages.append),
        ("commit", stages.commit),
        ("kafka commit", stages.kafka_commit),
        ("bookkeeping", stages.consumer_other + stages.writer_other),
        ("other threads", stages.other_threads),
    ];
    let listed: Vec<String> = parts
        .iter()
        .map(|(name, seconds)| format!("{name} {seconds:.2}"))
        .collect();
    format!(
        "CPU seconds by stage: {} (total {:.2})",
        listed.join(", "),
        stages.total
    )
}
