//! Network initialisation, shared by `gpunet network init` and `gpunet localnet`: mints,
//! verifiers, `initialize_network` + `initialize_staking`, emission funding, state file.

use std::path::{Path, PathBuf};

use clap::Args;
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::{GpunetClient, NetworkInit};
use gpunet_sdk::escrow;
use gpunet_sdk::registry::{FeeSchedule, InitializeNetworkArgs};
use gpunet_sdk::staking::{EmissionSchedule, HardwareMultiplier, SlashPolicy, StakingParams};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::amount::Amount;
use crate::keys::parse_pubkey;
use crate::output::Output;
use crate::state::{State, VerifierEntry};
use crate::{CliError, Result, keys};

/// The network parameters; unset values take the production defaults for `network init`
/// and the local ones for `localnet` (short epochs, short cooldowns, dev verifiers).
#[derive(Debug, Args)]
pub struct NetworkInitArgs {
    /// Where to write the created addresses (JSON)
    #[arg(long, default_value = ".gpunet/localnet.json")]
    pub state: PathBuf,
    /// Payment mint [default: create a 6-decimal USDC-like mint, --keypair its authority]
    #[arg(long, value_parser = parse_pubkey)]
    pub payment_mint: Option<Pubkey>,
    /// Network-token mint [default: create a 9-decimal mint, --keypair its authority]
    #[arg(long, value_parser = parse_pubkey)]
    pub stake_mint: Option<Pubkey>,
    /// Epoch length in seconds [default: 3600; localnet: 4]
    #[arg(long)]
    pub epoch_seconds: Option<u32>,
    /// Wallet receiving fees and slashes [default: --keypair's address]
    #[arg(long, value_parser = parse_pubkey)]
    pub treasury: Option<Pubkey>,
    /// Renter fee, basis points of the price
    #[arg(long, default_value_t = 25)]
    pub renter_fee_bps: u16,
    /// Supplier fee, basis points of the price
    #[arg(long, default_value_t = 50)]
    pub supplier_fee_bps: u16,
    /// Inference fee, basis points of each payment
    #[arg(long, default_value_t = 200)]
    pub inference_fee_bps: u16,
    /// A verifier's address (repeat for several)
    #[arg(long = "verifier", value_parser = parse_pubkey)]
    pub verifiers: Vec<Pubkey>,
    /// Generate this many development verifier keys into `verifiers/` next to the state
    /// file, written once the network is initialised [localnet: 3]
    #[arg(long)]
    pub generate_verifiers: Option<u8>,
    /// Verifier signatures required per attestation [default: a majority of the verifiers;
    /// 0 without verifiers]
    #[arg(long)]
    pub quorum: Option<u8>,
    /// Minimum stake per GPU of multiplier 1×, in network tokens
    #[arg(long, default_value = "200")]
    pub base_stake_per_gpu: Amount,
    /// Block rewards per epoch, in network tokens
    #[arg(long, default_value = "4566")]
    pub emission_per_epoch: Amount,
    /// Network tokens minted into the emission vault (only when the stake mint is created
    /// here)
    #[arg(long, default_value = "1000000")]
    pub fund_emission: Amount,
    /// Epochs after an epoch's end during which its reward weight may still be registered
    /// [default: 2; localnet: 1]
    #[arg(long)]
    pub grace_epochs: Option<u32>,
    /// Unstake cooldown in seconds [default: 14 days; localnet: 60]
    #[arg(long)]
    pub cooldown_seconds: Option<u32>,
    /// Slash challenge window in seconds (shorter than the cooldown) [default: 3 days;
    /// localnet: 30]
    #[arg(long)]
    pub challenge_window_seconds: Option<u32>,
}

/// USDC's decimals, for the payment mint created here.
pub const PAYMENT_DECIMALS: u8 = 6;
/// The network token's decimals, for the stake mint created here.
pub const STAKE_DECIMALS: u8 = 9;
/// The GPU model code of an H100, which weighs 4× in the staking config created here.
pub const H100: u16 = 100;
/// The most verifiers the registry accepts.
const MAX_VERIFIERS: usize = 16;

/// The parameters `network init` leaves to its context.
#[derive(Clone, Copy, Debug)]
pub struct Defaults {
    pub epoch_seconds: u32,
    pub generate_verifiers: u8,
    pub grace_epochs: u32,
    pub cooldown_seconds: u32,
    pub challenge_window_seconds: u32,
}

impl Defaults {
    /// One-hour epochs and the documented production cooldowns.
    pub const PRODUCTION: Defaults = Defaults {
        epoch_seconds: 3600,
        generate_verifiers: 0,
        grace_epochs: 2,
        cooldown_seconds: 14 * 24 * 3600,
        challenge_window_seconds: 3 * 24 * 3600,
    };

    /// A local chain: short epochs so a tour finishes in a minute, a 2-of-3 development
    /// verifier quorum so attestations show the real co-signing.
    pub const LOCAL: Defaults = Defaults {
        epoch_seconds: 4,
        generate_verifiers: 3,
        grace_epochs: 1,
        cooldown_seconds: 60,
        challenge_window_seconds: 30,
    };
}

/// Endpoints recorded in the state file.
#[derive(Clone, Debug, Default)]
pub struct Endpoints {
    pub rpc_url: String,
    pub ws_url: Option<String>,
    pub grpc_url: Option<String>,
}

/// Initialises the network with the client's wallet as admin (it must be the programs'
/// upgrade authority) and writes the state file. Narrates each step through `out`.
///
/// Nothing is created before the arguments are checked (at most 16 verifiers, no
/// verifier key file to overwrite unless `overwrite_keys`) and the network is known to be
/// uninitialised. Generated verifier keys are written under temporary names before the
/// initialising transaction (so a directory that cannot take them stops everything before
/// it) and get their names only once it succeeded.
pub async fn init_network(
    client: &GpunetClient,
    args: &NetworkInitArgs,
    defaults: Defaults,
    endpoints: Endpoints,
    overwrite_keys: bool,
    out: &Output,
) -> Result<State> {
    let generate = args
        .generate_verifiers
        .unwrap_or(defaults.generate_verifiers);
    let verifiers = Verifiers::new(&args.verifiers, generate, &args.state)?;
    if !overwrite_keys {
        verifiers.refuse_to_overwrite()?;
    }
    client.require_uninitialised().await?;

    let (payment_mint, _) = mint_or_create(client, args.payment_mint, PAYMENT_DECIMALS).await?;
    out.say(format!("payment mint (USDC-like): {payment_mint}"));
    let (stake_mint, stake_created) =
        mint_or_create(client, args.stake_mint, STAKE_DECIMALS).await?;
    out.say(format!("stake mint (network token): {stake_mint}"));
    let stake_decimals = client.mint_info(&stake_mint).await?.0;

    let keys = verifiers.pubkeys();
    let quorum = args.quorum.unwrap_or(majority(keys.len()));
    let epoch_seconds = args.epoch_seconds.unwrap_or(defaults.epoch_seconds);
    let treasury = args.treasury.unwrap_or(client.pubkey());
    let init = NetworkInit {
        payment_mint,
        stake_mint,
        network: InitializeNetworkArgs {
            fees: FeeSchedule {
                renter_fee_bps: args.renter_fee_bps,
                supplier_fee_bps: args.supplier_fee_bps,
                inference_fee_bps: args.inference_fee_bps,
            },
            epoch_seconds,
            treasury,
            verifiers: keys,
            verifier_quorum: quorum,
        },
        staking: staking_params(args, defaults, stake_decimals)?,
    };
    let pending = verifiers.write_pending()?;
    let created = match client.initialize_network(&init).await {
        Ok(created) => created,
        Err(e) => {
            pending.discard();
            return Err(e.into());
        }
    };
    let verifiers = pending.commit()?;
    out.say(format!(
        "network initialised: epochs of {epoch_seconds} s, {} verifier(s), quorum {quorum} \
         (tx {})",
        verifiers.len(),
        created.signature
    ));
    if stake_created {
        let amount = args.fund_emission.base_units(stake_decimals)?;
        client.fund_emission(amount).await?;
        out.say(format!(
            "emission vault funded with {} network tokens",
            crate::amount::format_units(amount, stake_decimals)
        ));
    }
    let state = State {
        rpc_url: endpoints.rpc_url,
        ws_url: endpoints.ws_url,
        grpc_url: endpoints.grpc_url,
        admin: client.pubkey().to_string(),
        payment_mint: payment_mint.to_string(),
        stake_mint: stake_mint.to_string(),
        treasury: treasury.to_string(),
        treasury_payment_token: created.treasury_payment_token.to_string(),
        treasury_stake_token: created.treasury_stake_token.to_string(),
        network_config: created.config.to_string(),
        staking_config: created.staking_config.to_string(),
        emission_vault: created.emission_vault.to_string(),
        epoch_seconds,
        verifier_quorum: quorum,
        verifiers,
    };
    state.write(&args.state)?;
    Ok(state)
}

/// The given mint, or a new one with `decimals` (the client's wallet its authority);
/// `true` when created.
async fn mint_or_create(
    client: &GpunetClient,
    given: Option<Pubkey>,
    decimals: u8,
) -> Result<(Pubkey, bool)> {
    match given {
        Some(mint) => {
            client.mint_info(&mint).await?;
            Ok((mint, false))
        }
        None => Ok((client.create_mint(decimals).await?.0, true)),
    }
}

/// More than half of `n` verifiers (0 without verifiers).
fn majority(n: usize) -> u8 {
    if n == 0 { 0 } else { (n / 2 + 1) as u8 }
}

/// The network's verifiers: the given addresses, and development keys generated in
/// memory that are written next to the state file only for a network that uses them.
struct Verifiers {
    given: Vec<Pubkey>,
    /// Each generated key and the file it belongs in.
    generated: Vec<(Keypair, PathBuf)>,
}

impl Verifiers {
    /// The given addresses and `generate` new keys for
    /// `<state dir>/verifiers/verifier-<i>.json`; at most 16 in all (the registry's limit).
    fn new(given: &[Pubkey], generate: u8, state: &Path) -> Result<Self> {
        let total = given.len() + usize::from(generate);
        if total > MAX_VERIFIERS {
            return Err(CliError(format!(
                "at most {MAX_VERIFIERS} verifiers: {} given and {generate} to generate",
                given.len()
            )));
        }
        let dir = state
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("verifiers");
        let generated = (0..generate)
            .map(|i| (Keypair::new(), dir.join(format!("verifier-{i}.json"))))
            .collect();
        Ok(Verifiers {
            given: given.to_vec(),
            generated,
        })
    }

    /// Fails when a generated key would replace an existing file (another network's key).
    fn refuse_to_overwrite(&self) -> Result<()> {
        let existing: Vec<String> = self
            .generated
            .iter()
            .filter(|(_, path)| path.exists())
            .map(|(_, path)| path.display().to_string())
            .collect();
        if existing.is_empty() {
            return Ok(());
        }
        Err(CliError(format!(
            "verifier key file(s) exist already: {}; they may hold the keys of another \
             network: move them away, pass another --state, or pass --force to overwrite them",
            existing.join(", ")
        )))
    }

    fn pubkeys(&self) -> Vec<Pubkey> {
        self.given
            .iter()
            .copied()
            .chain(self.generated.iter().map(|(k, _)| k.pubkey()))
            .collect()
    }

    /// Writes the generated keys under temporary names.
    fn write_pending(self) -> Result<PendingKeys> {
        let mut pending = PendingKeys {
            given: self.given,
            written: Vec::new(),
        };
        for (keypair, path) in self.generated {
            let temporary = path.with_extension(format!("json.pending-{}", std::process::id()));
            if let Err(e) = keys::write_keypair(&keypair, &temporary) {
                pending.discard();
                return Err(e);
            }
            pending.written.push((keypair.pubkey(), temporary, path));
        }
        Ok(pending)
    }
}

/// Generated verifier keys written under temporary names, waiting for the network that
/// uses them.
struct PendingKeys {
    given: Vec<Pubkey>,
    /// Each key's address, temporary file and final file.
    written: Vec<(Pubkey, PathBuf, PathBuf)>,
}

impl PendingKeys {
    /// Gives every key file its name; returns the state file's verifier entries.
    fn commit(self) -> Result<Vec<VerifierEntry>> {
        let mut entries: Vec<VerifierEntry> = self
            .given
            .iter()
            .map(|k| VerifierEntry {
                pubkey: k.to_string(),
                keypair: None,
            })
            .collect();
        for (pubkey, temporary, path) in self.written {
            std::fs::rename(&temporary, &path).map_err(|e| {
                CliError(format!(
                    "the network is initialised, but its verifier key {pubkey} could not be \
                     moved from {} to {}: {e}",
                    temporary.display(),
                    path.display()
                ))
            })?;
            entries.push(VerifierEntry {
                pubkey: pubkey.to_string(),
                keypair: Some(path),
            });
        }
        Ok(entries)
    }

    /// Removes the temporary files (the network was not initialised with these keys).
    fn discard(self) {
        for (_, temporary, _) in self.written {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

fn staking_params(
    args: &NetworkInitArgs,
    defaults: Defaults,
    stake_decimals: u8,
) -> Result<StakingParams> {
    Ok(StakingParams {
        base_stake_per_gpu: args.base_stake_per_gpu.base_units(stake_decimals)?,
        default_multiplier_bps: 10_000,
        multipliers: vec![HardwareMultiplier {
            gpu_model: H100,
            multiplier_bps: 40_000,
        }],
        cooldown_seconds: args.cooldown_seconds.unwrap_or(defaults.cooldown_seconds),
        challenge_window_seconds: args
            .challenge_window_seconds
            .unwrap_or(defaults.challenge_window_seconds),
        slash: SlashPolicy {
            missed_epoch_bps: 100,
            renter_share_bps: 5_000,
        },
        emission: EmissionSchedule {
            start_epoch: 0,
            per_epoch: args.emission_per_epoch.base_units(stake_decimals)?,
            decay_bps: 0,
            decay_period_epochs: 1,
            cap: u64::MAX,
        },
        grace_epochs: args.grace_epochs.unwrap_or(defaults.grace_epochs),
        escrow_authority: escrow::slasher_address(),
    })
}
