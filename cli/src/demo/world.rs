//! What every step of the tour works with: its options, the network it runs on, the
//! suppliers, the amounts it moves, and the narration of each step.

use std::sync::Arc;

use gpunet_sdk::Pubkey;
use gpunet_sdk::client::{GpunetClient, Signature};
use gpunet_sdk::registry::{DeviceSpecs, NetworkConfig};
use gpunet_sdk::staking::StakingConfig;
use serde_json::{Value, json};
use solana_keypair::Keypair;

use crate::amount::{Amount, format_units};
use crate::fleet::{self, FleetOptions};
use crate::output::Output;
use crate::state::State;
use crate::{CliError, Result, keys};

/// SOL given to each party of the tour (fees and account rent).
pub(super) const PARTY_LAMPORTS: u64 = 2_000_000_000;

/// Whole USDC minted to the inference consumer.
pub(super) const CONSUMER_USDC: u64 = 100;

/// The model's price: USDC base units per compute unit (GPU-ms).
pub(super) const MODEL_PRICE_PER_UNIT: u64 = 3;

/// Compute units of the inference records and of the lease-job records.
pub(super) const INFERENCE_RECORDS: [u32; 3] = [1_200, 800, 1_500];

pub(super) const JOB_RECORDS: [u32; 2] = [60_000, 45_000];

/// Records of `units` compute units with result hashes standing for the outputs (distinct
/// from `salt` on).
pub(super) fn records(units: &[u32], salt: u8) -> Vec<(u32, [u8; 32])> {
    units
        .iter()
        .zip(salt..)
        .map(|(cu, h)| (*cu, [h; 32]))
        .collect()
}

/// What the tour needs besides the client.
pub struct DemoOptions {
    pub devices: u64,
    pub epochs: u64,
    /// Verifier keys, at least the network's quorum of them.
    pub verifiers: Vec<Keypair>,
    pub grpc_url: Option<String>,
    /// The explorer API following the chain, if one runs.
    pub explorer_url: Option<String>,
    /// Real `gpunet-agent` processes play the agents (`None`: the tour scripts them).
    pub agents: Option<FleetOptions>,
    /// The verifier keys' files (the agents co-sign with them on a development network).
    pub verifier_keypairs: Vec<std::path::PathBuf>,
}

impl DemoOptions {
    /// The tour's options with the development verifier keys listed in `state`.
    pub fn from_state(state: &State, devices: u64, epochs: u64) -> Result<Self> {
        let verifiers = state
            .verifiers
            .iter()
            .filter_map(|v| v.keypair.as_deref())
            .map(keys::read_keypair)
            .collect::<Result<Vec<_>>>()?;
        Ok(DemoOptions {
            devices,
            epochs,
            verifiers,
            grpc_url: state.grpc_url.clone(),
            explorer_url: None,
            agents: None,
            verifier_keypairs: state
                .verifiers
                .iter()
                .filter_map(|v| v.keypair.clone())
                .collect(),
        })
    }
}

/// Agents next to the state file (`<state dir>/agents/`), from `binary` or the default
/// `gpunet-agent`, listening from `base_port` on (any free port when `None`).
pub fn fleet_options(
    state: &std::path::Path,
    binary: Option<&std::path::Path>,
    base_port: Option<u16>,
) -> Result<FleetOptions> {
    Ok(FleetOptions {
        binary: fleet::agent_binary(binary)?,
        dir: state
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("agents"),
        base_port,
    })
}

/// The network as the tour sees it.
pub(super) struct Network {
    pub(super) config: NetworkConfig,
    pub(super) staking: StakingConfig,
    pub(super) payment_mint: Pubkey,
    pub(super) stake_mint: Pubkey,
    /// The mints' decimals, to print amounts and scale whole tokens.
    pub(super) payment_decimals: u8,
    pub(super) stake_decimals: u8,
    pub(super) verifiers: Arc<Vec<Keypair>>,
}

impl Network {
    /// `units` of the payment mint in whole USDC ("1.5").
    pub(super) fn usdc(&self, units: u64) -> String {
        format_units(units, self.payment_decimals)
    }

    /// `whole` USDC (or `cents` hundredths) in base units of the payment mint.
    pub(super) fn usdc_units(&self, cents: u64) -> Result<u64> {
        let amount = Amount::Tokens {
            whole: cents / 100,
            fraction: format!("{:02}", cents % 100),
        };
        Ok(amount.base_units(self.payment_decimals)?)
    }
}

/// One supplier: the owner's and the agent's clients and the device.
pub(super) struct Supplier {
    pub(super) owner: GpunetClient,
    pub(super) agent: Arc<GpunetClient>,
    pub(super) agent_key: Keypair,
    /// The simulated hardware profile its agent runs with (agents mode).
    pub(super) profile: Option<gpunet_agent_config::hardware::HardwareOverrides>,
    pub(super) device: Pubkey,
    pub(super) specs: DeviceSpecs,
    pub(super) price: u64,
    pub(super) stake: u64,
}

/// A new funded key acting through `client`'s connection.
pub(super) async fn party(client: &GpunetClient) -> Result<GpunetClient> {
    let party = client.with_signer(Keypair::new());
    client.airdrop(&party.pubkey(), PARTY_LAMPORTS).await?;
    Ok(party)
}

pub(super) fn step(steps: &mut Vec<Value>, out: &Output, what: String, signature: &Signature) {
    out.say(format!("   {what}\n     tx {signature}"));
    steps.push(json!({ "step": what, "signature": signature.to_string() }));
}

/// The demo lease's job: a short shell command for the worker agent (it reports the
/// compute it used as job receipts).
pub const DEMO_JOB: &str = "cmd:echo gpunet demo job on $GPUNET_GPUS GPUs; sleep 2; echo done";

/// The demo model's inference command: any program reading the request on stdin and
/// writing the answer on stdout plugs in here.
pub const MODEL_COMMAND: &str = "tr a-z A-Z";

/// A step an agent took by itself (its transaction is in the agent's log).
pub(super) fn note(steps: &mut Vec<Value>, out: &Output, what: String) {
    out.say(format!("   {what}"));
    steps.push(json!({ "step": what, "by": "agent" }));
}

/// Polls `check` every 250 ms for up to a minute.
pub(super) async fn wait_until<T, F, Fut>(what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if std::time::Instant::now() > deadline {
            return Err(CliError(format!("timed out waiting for {what}")));
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
