//! Prometheus metrics of the indexer, in the text exposition format at `/metrics`: slot
//! lag, updates received, database commit latency, API requests and latency.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let own = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {}",
                bucket.load(Relaxed)
            );
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum{own} {}",
            self.sum_micros.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count{own} {count}");
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    /// Highest slot the stream has told about (any commitment).
    pub chain_slot: AtomicU64,
    /// Last slot whose updates are committed.
    pub indexed_slot: AtomicU64,
    pub account_updates: AtomicU64,
    pub transaction_updates: AtomicU64,
    pub reconnects: AtomicU64,
    /// One database transaction per confirmed slot.
    pub db_commit: Histogram,
    /// Per (route, status): latency.
    api: Mutex<BTreeMap<(String, u16), Histogram>>,
    pub rate_limited: AtomicU64,
}

impl Metrics {
    pub fn saw_slot(&self, slot: u64) {
        self.chain_slot.fetch_max(slot, Relaxed);
    }

    pub fn api_request(&self, route: &str, status: u16, elapsed: Duration) {
        let mut api = self.api.lock().unwrap_or_else(|p| p.into_inner());
        api.entry((route.to_string(), status))
            .or_default()
            .observe(elapsed);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let chain = self.chain_slot.load(Relaxed);
        let indexed = self.indexed_slot.load(Relaxed);
        let gauge = |out: &mut String, name: &str, help: &str, kind: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        gauge(
            &mut out,
            "gpunet_indexer_chain_slot",
            "Highest slot seen on the stream.",
            "gauge",
            chain,
        );
        gauge(
            &mut out,
            "gpunet_indexer_indexed_slot",
            "Last slot committed to the database.",
            "gauge",
            indexed,
        );
        gauge(
            &mut out,
            "gpunet_indexer_slot_lag",
            "Slots seen but not yet committed (chain_slot - indexed_slot).",
            "gauge",
            chain.saturating_sub(indexed),
        );
        gauge(
            &mut out,
            "gpunet_indexer_account_updates_total",
            "Account updates received (rate() gives updates/s).",
            "counter",
            self.account_updates.load(Relaxed),
        );
        gauge(
            &mut out,
            "gpunet_indexer_transaction_updates_total",
            "Transaction updates received.",
            "counter",
            self.transaction_updates.load(Relaxed),
        );
        gauge(
            &mut out,
            "gpunet_indexer_reconnects_total",
            "Ingest sessions ended by a failure and resumed.",
            "counter",
            self.reconnects.load(Relaxed),
        );
        gauge(
            &mut out,
            "gpunet_indexer_rate_limited_total",
            "API requests refused by the per-client rate limit.",
            "counter",
            self.rate_limited.load(Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP gpunet_indexer_db_commit_seconds One slot's database transaction.\n# TYPE gpunet_indexer_db_commit_seconds histogram"
        );
        self.db_commit
            .render(&mut out, "gpunet_indexer_db_commit_seconds", "");
        let _ = writeln!(
            out,
            "# HELP gpunet_indexer_api_request_seconds API latency by route and status.\n# TYPE gpunet_indexer_api_request_seconds histogram"
        );
        let api = self.api.lock().unwrap_or_else(|p| p.into_inner());
        for ((route, status), histogram) in api.iter() {
            let labels = format!("route=\"{route}\",status=\"{status}\"");
            histogram.render(&mut out, "gpunet_indexer_api_request_seconds", &labels);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_lag_is_the_difference() {
        let m = Metrics::default();
        m.saw_slot(120);
        m.saw_slot(100);
        m.indexed_slot.store(117, Relaxed);
        m.db_commit.observe(Duration::from_micros(700));
        m.db_commit.observe(Duration::from_millis(30));
        m.api_request("/v1/devices", 200, Duration::from_millis(2));
        let text = m.render();
        assert!(text.contains("\ngpunet_indexer_slot_lag 3\n"), "{text}");
        assert!(text.contains("gpunet_indexer_db_commit_seconds_bucket{le=\"0.0005\"} 0\n"));
        assert!(text.contains("gpunet_indexer_db_commit_seconds_bucket{le=\"0.001\"} 1\n"));
        assert!(text.contains("gpunet_indexer_db_commit_seconds_bucket{le=\"0.05\"} 2\n"));
        assert!(text.contains("gpunet_indexer_db_commit_seconds_count 2\n"));
        assert!(text.contains(
            "gpunet_indexer_api_request_seconds_bucket{route=\"/v1/devices\",status=\"200\",le=\"0.0025\"} 1\n"
        ));
    }
}
