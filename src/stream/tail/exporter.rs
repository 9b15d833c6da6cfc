//! `ecom tail --metrics-addr ADDR`: the tail's live figures in the Prometheus text
//! format at `GET /metrics`, served from a thread of its own so scraping never slows the
//! consumer loop.

use std::fmt::Write;
use std::net::SocketAddr;

use std::sync::{Arc, Mutex};

use super::status::TailStatus;
use crate::stream::error::{Result, StreamError};

/// The exporter's copy of the latest figures: the tail hands it each publication, the
/// server thread renders it on every scrape.
#[derive(Clone, Default)]
pub struct Exported(Arc<Mutex<TailStatus>>);

impl Exported {
    pub fn publish(&self, status: &TailStatus) {
        if let Ok(mut latest) = self.0.lock() {
            latest.clone_from(status);
        }
    }

    fn latest(&self) -> TailStatus {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Binds `addr` (failing at once when it cannot) and serves until the process ends.
pub fn serve(addr: SocketAddr) -> Result<Exported> {
    let status = Exported::default();
    let exported = status.clone();
    let listener = std::net::TcpListener::bind(addr).map_err(|source| StreamError::Io {
        doing: format!("--metrics-addr {addr}: cannot listen there"),
        source,
    })?;
    listener.set_nonblocking(true)?;
    std::thread::Builder::new()
        .name("tail-metrics".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => return tracing::error!(error = %e, "metrics server"),
            };
            runtime.block_on(async move {
                let app = axum::Router::new().route(
                    "/metrics",
                    axum::routing::get(move || {
                        let text = render(&status.latest());
                        async move { ([("content-type", "text/plain; version=0.0.4")], text) }
                    }),
                );
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => {
                        if let Err(e) = axum::serve(listener, app).await {
                            tracing::error!(error = %e, "metrics server stopped");
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "metrics server"),
                }
            });
        })?;
    Ok(exported)
}

/// The figures as Prometheus text.
pub fn render(status: &TailStatus) -> String {
    let mut out = String::new();
    let counters = [
        (
            "messages",
            "Messages consumed (live, not replays).",
            status.messages,
        ),
        (
            "events",
            "Valid events accepted (after deduplication).",
            status.events,
        ),
        (
            "duplicates",
            "Events dropped as already seen.",
            status.duplicates,
        ),
        (
            "late_events",
            "Events that missed a closed window.",
            status.late_events,
        ),
        (
            "dead_letters",
            "Messages that were not valid events.",
            status.dead_letters,
        ),
        (
            "windows_emitted",
            "Closed window rows written.",
            status.windows_emitted,
        ),
        (
            "batches_committed",
            "Warehouse transactions committed, each a batch with its offsets.",
            status.batches_committed,
        ),
        (
            "replayed",
            "Messages replayed to rebuild open windows.",
            status.replayed,
        ),
        (
            "broker_errors",
            "Errors reported by the Kafka client.",
            status.broker_errors,
        ),
        (
            "rebalances",
            "Partition assignments and revocations.",
            status.rebalances,
        ),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(out, "# HELP ecom_tail_{name}_total {help}");
        let _ = writeln!(out, "# TYPE ecom_tail_{name}_total counter");
        let _ = writeln!(out, "ecom_tail_{name}_total {value}");
    }
    let _ = writeln!(
        out,
        "# HELP ecom_tail_events_per_second Messages per second, lately."
    );
    let _ = writeln!(out, "# TYPE ecom_tail_events_per_second gauge");
    let _ = writeln!(
        out,
        "ecom_tail_events_per_second {}",
        status.events_per_second
    );
    let _ = writeln!(
        out,
        "# HELP ecom_tail_lag Messages behind the partition's high watermark."
    );
    let _ = writeln!(out, "# TYPE ecom_tail_lag gauge");
    for p in &status.partitions {
        if let Some(lag) = p.lag {
            let _ = writeln!(out, "ecom_tail_lag{{partition=\"{}\"}} {lag}", p.partition);
        }
    }
    let _ = writeln!(
        out,
        "# HELP ecom_tail_watermark_seconds The partition's watermark (event time, Unix seconds)."
    );
    let _ = writeln!(out, "# TYPE ecom_tail_watermark_seconds gauge");
    for p in &status.partitions {
        if let Some(w) = p.watermark {
            let _ = writeln!(
                out,
                "ecom_tail_watermark_seconds{{partition=\"{}\"}} {}",
                p.partition,
                w.and_utc().timestamp()
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::status::PartitionStatus;
    use super::*;

    #[test]
    fn renders_counters_and_per_partition_gauges() {
        let status = TailStatus {
            messages: 12,
            dead_letters: 2,
            partitions: vec![PartitionStatus {
                partition: 1,
                next_offset: 40,
                lag: Some(3),
                watermark: chrono::NaiveDateTime::parse_from_str(
                    "2011-11-01 10:00:00",
                    "%Y-%m-%d %H:%M:%S",
                )
                .ok(),
            }],
            ..TailStatus::default()
        };
        let text = render(&status);
        assert!(
            text.contains("# TYPE ecom_tail_messages_total counter\necom_tail_messages_total 12\n"),
            "{text}"
        );
        assert!(text.contains("ecom_tail_dead_letters_total 2\n"));
        assert!(text.contains("ecom_tail_lag{partition=\"1\"} 3\n"));
        assert!(text.contains("ecom_tail_watermark_seconds{partition=\"1\"} 1320141600\n"));
    }
}
