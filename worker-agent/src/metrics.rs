//! Prometheus metrics of the agent, in the text exposition format at `/metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::outbox::Counts;

/// Why a voucher (or a request carrying one) was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Malformed,
    Forged,
    Replayed,
    OverLimit,
    TooSmall,
    UnknownSession,
}

impl Refusal {
    pub const ALL: [Refusal; 7] = [
        Refusal::Missing,
        Refusal::Malformed,
        Refusal::Forged,
        Refusal::Replayed,
        Refusal::OverLimit,
        Refusal::TooSmall,
        Refusal::UnknownSession,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Refusal::Missing => "missing",
            Refusal::Malformed => "malformed",
            Refusal::Forged => "forged",
            Refusal::Replayed => "replayed",
            Refusal::OverLimit => "over_limit",
            Refusal::TooSmall => "too_small",
            Refusal::UnknownSession => "unknown_session",
        }
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    pub current_epoch: AtomicU64,
    /// Hired epochs (and others) the chain shows this device did not attest, since the
    /// agent first ran.
    pub epochs_missed_on_chain: AtomicU64,
    pub attest_failures: AtomicU64,
    pub batches_sent: AtomicU64,
    pub batch_failures: AtomicU64,
    pub inferences_served: AtomicU64,
    pub inference_failures: AtomicU64,
    refused: [AtomicU64; Refusal::ALL.len()],
    pub jobs_started: AtomicU64,
    pub jobs_finished: AtomicU64,
    pub jobs_failed: AtomicU64,
    pub hires_active: AtomicU64,
    pub settlements: AtomicU64,
    pub claims: AtomicU64,
    pub rpc_errors: AtomicU64,
    pub sol_balance_lamports: AtomicU64,
    pub low_balance: AtomicU64,
}

impl Metrics {
    pub fn refused(&self, why: Refusal) {
        self.refused[why as usize].fetch_add(1, Relaxed);
    }

    pub fn refusals(&self, why: Refusal) -> u64 {
        self.refused[why as usize].load(Relaxed)
    }

    /// The exposition text, with the outbox's counts.
    pub fn render(&self, counts: &Counts) -> String {
        let mut out = String::new();
        let o = &mut out;
        let get = |a: &AtomicU64| a.load(Relaxed);
        metric(
            o,
            "current_epoch",
            "gauge",
            "The network's epoch by the chain's clock.",
            get(&self.current_epoch),
        );
        metric(
            o,
            "epochs_attested_total",
            "counter",
            "Epochs whose attestation is on chain.",
            counts.epochs_attested,
        );
        metric(
            o,
            "epochs_missed_total",
            "counter",
            "Epochs the agent could not attest (it was down, or too late).",
            counts.epochs_missed,
        );
        metric(
            o,
            "epochs_missed_on_chain",
            "gauge",
            "Epochs since the agent first ran that the chain shows unattested.",
            get(&self.epochs_missed_on_chain),
        );
        metric(
            o,
            "attest_failures_total",
            "counter",
            "Attestation transactions that failed (retried).",
            get(&self.attest_failures),
        );
        metric(
            o,
            "receipts_pending",
            "gauge",
            "Receipts in the outbox not yet on chain.",
            counts.receipts_pending,
        );
        metric(
            o,
            "receipts_confirmed_total",
            "counter",
            "Receipts recorded on chain.",
            counts.receipts_confirmed,
        );
        metric(
            o,
            "receipts_dropped_total",
            "counter",
            "Receipts that could no longer be recorded (their hire or session ended).",
            counts.receipts_dropped,
        );
        metric(
            o,
            "batches_confirmed_total",
            "counter",
            "Receipt batches recorded on chain.",
            counts.batches_confirmed,
        );
        metric(
            o,
            "batch_failures_total",
            "counter",
            "Receipt batch transactions that failed (retried).",
            get(&self.batch_failures),
        );
        metric(
            o,
            "inferences_served_total",
            "counter",
            "Inference requests answered.",
            get(&self.inferences_served),
        );
        metric(
            o,
            "inference_failures_total",
            "counter",
            "Inference commands that failed (not charged).",
            get(&self.inference_failures),
        );
        let _ = writeln!(
            o,
            "# HELP gpunet_agent_vouchers_refused_total Inference requests refused, by reason."
        );
        let _ = writeln!(o, "# TYPE gpunet_agent_vouchers_refused_total counter");
        for why in Refusal::ALL {
            let _ = writeln!(
                o,
                "gpunet_agent_vouchers_refused_total{{reason=\"{}\"}} {}",
                why.label(),
                self.refusals(why)
            );
        }
        metric(
            o,
            "jobs_started_total",
            "counter",
            "Lease jobs started.",
            get(&self.jobs_started),
        );
        metric(
            o,
            "jobs_finished_total",
            "counter",
            "Lease jobs that exited successfully.",
            get(&self.jobs_finished),
        );
        metric(
            o,
            "jobs_failed_total",
            "counter",
            "Lease jobs that failed or could not start.",
            get(&self.jobs_failed),
        );
        metric(
            o,
            "hires_active",
            "gauge",
            "Hires of this device running now.",
            get(&self.hires_active),
        );
        metric(
            o,
            "settlements_total",
            "counter",
            "Hire settlements sent by the agent.",
            get(&self.settlements),
        );
        metric(
            o,
            "claims_total",
            "counter",
            "Reward claims sent by the agent.",
            get(&self.claims),
        );
        metric(
            o,
            "rpc_errors_total",
            "counter",
            "Chain requests that failed (retried with backoff).",
            get(&self.rpc_errors),
        );
        metric(
            o,
            "sol_balance_lamports",
            "gauge",
            "The agent key's SOL balance, which pays the fees.",
            get(&self.sol_balance_lamports),
        );
        metric(
            o,
            "low_balance",
            "gauge",
            "1 when the SOL balance is below the configured warning level.",
            get(&self.low_balance),
        );
        out
    }
}

fn metric(out: &mut String, name: &str, kind: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP gpunet_agent_{name} {help}");
    let _ = writeln!(out, "# TYPE gpunet_agent_{name} {kind}");
    let _ = writeln!(out, "gpunet_agent_{name} {value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_has_every_metric_with_its_value() {
        let metrics = Metrics::default();
        metrics.refused(Refusal::Forged);
        metrics.refused(Refusal::Forged);
        metrics.sol_balance_lamports.store(42, Relaxed);
        let counts = Counts {
            receipts_pending: 3,
            epochs_attested: 5,
            ..Counts::default()
        };
        let text = metrics.render(&counts);
        assert!(text.contains("gpunet_agent_vouchers_refused_total{reason=\"forged\"} 2\n"));
        assert!(text.contains("gpunet_agent_vouchers_refused_total{reason=\"replayed\"} 0\n"));
        assert!(text.contains("gpunet_agent_receipts_pending 3\n"));
        assert!(text.contains("gpunet_agent_epochs_attested_total 5\n"));
        assert!(text.contains("gpunet_agent_sol_balance_lamports 42\n"));
        assert!(text.contains("# TYPE gpunet_agent_low_balance gauge\n"));
    }
}
