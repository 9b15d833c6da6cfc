//! `GET /metrics`: requests by route and status, latency histograms, cache hits and
//! misses, open connections and the jobs this process runs, in the Prometheus text
//! format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::jobs::{Detail, JobRecord};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Latency {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's own counters that `/metrics` shows beside its requests.
pub struct Counts {
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub abandoned: u64,
}

/// The jobs of one name, as one series.
#[derive(Default)]
struct JobSeries<'a> {
    running: bool,
    runs: u64,
    failures: u64,
    last: Option<&'a crate::jobs::Progress>,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Latency>>,
    pub open_connections: AtomicI64,
    pub in_flight: AtomicI64,
}

impl Metrics {
    pub fn record(&self, route: &str, status: u16, took: Duration) {
        *self
            .requests
            .lock()
            .expect("metrics lock")
            .entry((route.to_string(), status))
            .or_default() += 1;
        let seconds = took.as_secs_f64();
        let mut latency = self.latency.lock().expect("metrics lock");
        let entry = latency.entry(route.to_string()).or_default();
        for (bucket, bound) in entry.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        entry.count += 1;
        entry.sum += seconds;
    }

    /// Everything in the Prometheus text format: the server's own figures, then the
    /// background `jobs` of the registry (and the tail's live figures, when one runs).
    pub fn render(&self, counts: Counts, jobs: &[JobRecord]) -> String {
        let Counts {
            cache_hits,
            cache_misses,
            abandoned,
        } = counts;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP ecom_http_requests_total HTTP requests answered, by route and status."
        );
        let _ = writeln!(out, "# TYPE ecom_http_requests_total counter");
        for ((route, status), count) in self.requests.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "ecom_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP ecom_http_request_duration_seconds Time to answer, by route."
        );
        let _ = writeln!(out, "# TYPE ecom_http_request_duration_seconds histogram");
        for (route, latency) in self.latency.lock().expect("metrics lock").iter() {
            for (count, bound) in latency.buckets.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "ecom_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "ecom_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                latency.count
            );
            let _ = writeln!(
                out,
                "ecom_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                latency.sum
            );
            let _ = writeln!(
                out,
                "ecom_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                latency.count
            );
        }
        let gauges = [
            (
                "ecom_cache_hits_total",
                "counter",
                "Answers served from the cache.",
                cache_hits as i64,
            ),
            (
                "ecom_cache_misses_total",
                "counter",
                "Answers computed because the cache had none.",
                cache_misses as i64,
            ),
            (
                "ecom_queries_abandoned_total",
                "counter",
                "Database calls interrupted because their client closed the connection before the answer.",
                abandoned as i64,
            ),
            (
                "ecom_http_open_connections",
                "gauge",
                "TCP connections open now.",
                self.open_connections.load(Ordering::Relaxed),
            ),
            (
                "ecom_http_in_flight_requests",
                "gauge",
                "Requests being answered now.",
                self.in_flight.load(Ordering::Relaxed),
            ),
            (
                "ecom_warehouse_generation",
                "counter",
                "Commits of new data since the server started.",
                crate::warehouse::generation() as i64,
            ),
        ];
        for (name, kind, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        let total = cache_hits + cache_misses;
        if total > 0 {
            let _ = writeln!(
                out,
                "# HELP ecom_cache_hit_ratio Share of cacheable requests answered from the cache.\n# TYPE ecom_cache_hit_ratio gauge\necom_cache_hit_ratio {}",
                cache_hits as f64 / total as f64
            );
        }
        // Jobs of one name (a client may start several builds) are one series each.
        let mut named: BTreeMap<&str, JobSeries> = BTreeMap::new();
        for job in jobs {
            let series = named.entry(job.name.as_str()).or_default();
            series.running |= job.is_running();
            series.runs += u64::from(!job.is_running());
            series.failures += u64::from(job.failure().is_some());
            if job.last.is_some() {
                series.last = job.last.as_ref();
            }
        }
        if !named.is_empty() {
            let _ = writeln!(
                out,
                "# HELP ecom_job_running Whether the job is running now.\n# TYPE ecom_job_running gauge"
            );
            for (name, series) in &named {
                let _ = writeln!(
                    out,
                    "ecom_job_running{{job=\"{name}\"}} {}",
                    u8::from(series.running)
                );
            }
            let _ = writeln!(
                out,
                "# HELP ecom_job_runs_total Runs of the job finished.\n# TYPE ecom_job_runs_total counter"
            );
            for (name, series) in &named {
                let _ = writeln!(out, "ecom_job_runs_total{{job=\"{name}\"}} {}", series.runs);
            }
            let _ = writeln!(
                out,
                "# HELP ecom_job_failures_total Runs of the job that failed.\n# TYPE ecom_job_failures_total counter"
            );
            for (name, series) in &named {
                let _ = writeln!(
                    out,
                    "ecom_job_failures_total{{job=\"{name}\"}} {}",
                    series.failures
                );
            }
            let _ = writeln!(
                out,
                "# HELP ecom_job_progress Units done in the job's current step (events, rows, steps).\n# TYPE ecom_job_progress gauge"
            );
            for (name, series) in &named {
                if let Some(progress) = series.last {
                    let _ = writeln!(
                        out,
                        "ecom_job_progress{{job=\"{name}\",step=\"{}\"}} {}",
                        progress.job.replace('"', "'"),
                        progress.done
                    );
                }
            }
        }
        for job in jobs.iter().filter(|j| j.is_running()) {
            if let Some(Detail::Tail(figures)) = job.last.as_ref().and_then(|p| p.detail.as_ref()) {
                out.push_str(&crate::stream::tail::exporter::render(figures));
            }
        }
        out
    }
}
