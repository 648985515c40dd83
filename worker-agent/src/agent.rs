//! The running agent's shared handle: its configuration, chain view, outbox, metrics and
//! status, which every task (`daemon`) holds.
//!
//! Every task loops until shutdown and survives failures: a failed chain request is
//! counted, logged, and retried with a growing pause (up to 30 s), so an RPC outage
//! only delays work, which waits in the outbox.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gpunet_sdk::Pubkey;
use gpunet_sdk::client::{ClientError, GpunetClient};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tokio::sync::watch;

use crate::chain::Chain;
use crate::config::{Config, ServedModel};
use crate::hardware::Hardware;
use crate::metrics::Metrics;
use crate::outbox::Outbox;

/// How long one RPC request may take.
const RPC_TIMEOUT: Duration = Duration::from_secs(10);

/// What the agent reports about itself (health endpoint).
#[derive(Clone, Debug, Default)]
pub struct Status {
    pub last_error: Option<(String, i64)>,
    pub balance_lamports: u64,
}

pub struct Agent {
    pub config: Config,
    pub chain: Chain,
    pub outbox: Outbox,
    pub hardware: Hardware,
    pub metrics: Metrics,
    /// Development verifier keys that co-sign attestations (see the config).
    pub verifiers: Vec<Keypair>,
    pub models: HashMap<Pubkey, ServedModel>,
    /// One lock per session: a session's requests are charged one at a time.
    pub sessions: tokio::sync::Mutex<HashMap<Pubkey, Arc<tokio::sync::Mutex<()>>>>,
    pub status: Mutex<Status>,
    pub started: Instant,
    /// The most receipts per batch after a transaction turned out too large (normally the
    /// program's limit: batches are sized to fit).
    pub batch_cap: AtomicUsize,
    /// The measured batch capacity of each session or hire, and when it was measured.
    pub capacities: Mutex<HashMap<Pubkey, (usize, Instant)>>,
}

/// Failures that stop the agent from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Outbox(#[from] crate::outbox::OutboxError),
    #[error("cannot reach the chain: {0}")]
    Chain(#[from] ClientError),
}

impl Agent {
    /// Builds the agent: reads its keys, opens the outbox, connects to the chain and
    /// checks that the device exists and names this agent key.
    pub async fn start(config: Config, hardware: Hardware) -> Result<Arc<Agent>, StartError> {
        let keypair = gpunet_sdk::client::keyfile::read(
            &config.keypair,
            " (create it with `gpunet-agent init`)",
        )
        .map_err(StartError::Config)?;
        let verifiers = config
            .verifier_keypairs
            .iter()
            .map(|path| gpunet_sdk::client::keyfile::read(path, ""))
            .collect::<Result<Vec<_>, _>>()
            .map_err(StartError::Config)?;
        let outbox = Outbox::open(&config.outbox_path())?;
        let agent_key = keypair.pubkey();
        // A request the node does not answer gives up after 10 s (not the client's
        // default 30 s), so one stuck call cannot hold a task past an attestation window.
        let rpc = RpcClient::new_with_timeout_and_commitment(
            config.rpc_url.clone(),
            RPC_TIMEOUT,
            CommitmentConfig::confirmed(),
        );
        let client = GpunetClient::from_rpc_client(rpc, keypair);
        let chain = Chain::connect(client, config.device).await?;
        let network = chain.network();
        let quorum = usize::from(network.verifier_quorum);
        // Co-sign with just the quorum (each signature costs a fee), from the network's
        // verifiers.
        let verifiers: Vec<Keypair> = verifiers
            .into_iter()
            .filter(|v| network.verifiers.contains(&v.pubkey()))
            .take(quorum)
            .collect();
        if verifiers.len() < quorum {
            return Err(StartError::Config(format!(
                "the network requires {quorum} verifier co-signature(s) per attestation and \
                 the agent has {} of its verifiers' keys (verifier_keypairs); remote \
                 verifiers are not supported yet",
                verifiers.len()
            )));
        }
        let device = chain.device().await?;
        if device.agent != agent_key {
            return Err(StartError::Config(format!(
                "device {} names agent {}, not this agent's key {agent_key}: the owner sets \
                 it with `gpunet device update {} --agent {agent_key}`",
                config.device, device.agent, config.device
            )));
        }
        let (on_chain, here) = (&device.specs, &hardware.specs);
        if (on_chain.gpu_model, on_chain.gpu_count) != (here.gpu_model, here.gpu_count) {
            eprintln!(
                "gpunet-agent: WARNING: the device is registered with {} GPU(s) of model {} but \
                 this machine has {} of model {} ({}): renters get what is registered; the \
                 owner can fix it with `gpunet device update`",
                on_chain.gpu_count,
                on_chain.gpu_model,
                here.gpu_count,
                here.gpu_model,
                hardware.source
            );
        }
        let models = config
            .models
            .iter()
            .map(|m| (m.address, m.clone()))
            .collect();
        Ok(Arc::new(Agent {
            chain,
            outbox,
            hardware,
            metrics: Metrics::default(),
            verifiers,
            models,
            sessions: tokio::sync::Mutex::new(HashMap::new()),
            status: Mutex::new(Status::default()),
            started: Instant::now(),
            batch_cap: AtomicUsize::new(config.batch_max),
            capacities: Mutex::new(HashMap::new()),
            config,
        }))
    }

    pub fn agent_key(&self) -> Pubkey {
        self.chain.client.pubkey()
    }

    /// Counts and logs a failure of `what`.
    pub fn failed(&self, what: &str, error: &dyn std::fmt::Display) {
        self.metrics.rpc_errors.fetch_add(1, Relaxed);
        let message = format!("{what}: {error}");
        eprintln!("gpunet-agent: {message}");
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .last_error = Some((message, self.chain.now()));
    }

    /// The pause after `failures` consecutive failures: doubling from the poll interval, at
    /// most an eighth of an epoch (so an outage shorter than an epoch never makes the agent
    /// sleep through an attestation window) and at most 30 s.
    pub fn backoff(&self, failures: u32) -> Duration {
        let eighth = Duration::from_millis(u64::from(self.chain.epoch_seconds()) * 125);
        backoff(
            self.config.poll,
            failures,
            eighth.min(Duration::from_secs(30)),
        )
    }

    /// Logs an event worth a line.
    pub fn log(&self, message: impl std::fmt::Display) {
        eprintln!("gpunet-agent: {message}");
    }
}

/// A pause that grows with consecutive failures: `poll`, doubled per failure, at most
/// `cap`.
pub fn backoff(poll: Duration, failures: u32, cap: Duration) -> Duration {
    let factor = 1u32 << failures.min(8);
    (poll * factor).min(cap.max(poll))
}

/// Sleeps for `pause` unless shutdown comes first; `false` when it is time to stop.
pub async fn pause(shutdown: &mut watch::Receiver<bool>, pause: Duration) -> bool {
    if *shutdown.borrow() {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep(pause) => !*shutdown.borrow(),
        _ = shutdown.changed() => false,
    }
}

/// Test hook: with `GPUNET_AGENT_FAULT=<point>` the process kills itself with SIGKILL at
/// that point (as `kill -9` would), so tests can crash it exactly between two steps.
pub fn fault(point: &str) {
    if std::env::var("GPUNET_AGENT_FAULT").is_ok_and(|p| p == point) {
        eprintln!("gpunet-agent: fault injected at {point}: SIGKILL");
        // SAFETY: sends a signal to this process; no memory is touched.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_and_is_capped() {
        let (poll, cap) = (Duration::from_millis(500), Duration::from_secs(30));
        assert_eq!(backoff(poll, 0, cap), poll);
        assert_eq!(backoff(poll, 2, cap), Duration::from_secs(2));
        assert_eq!(backoff(poll, 20, cap), cap);
        assert_eq!(
            backoff(poll, 20, Duration::from_millis(100)),
            poll,
            "never below poll"
        );
    }
}
