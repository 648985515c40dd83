//! `gpunet device ...` and `gpunet stake ...`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::GpunetClient;
use gpunet_sdk::registry::{
    AttestUptimeArgs, DeviceSpecs, DeviceStatus, RegisterDeviceArgs, UpdateDeviceArgs,
};
use gpunet_sdk::staking;
use serde_json::{Value, json};
use solana_signer::Signer;

use super::wallet::{tokens, usdc};
use crate::amount::Amount;
use crate::error::absent_if_not_found;
use crate::help::AMOUNTS;
use crate::keys::{parse_hash, parse_pubkey};
use crate::{CliError, Context, Result, keys, signed, views};

/// A device's hardware, as flags (all optional on update).
#[derive(Debug, Args, Default)]
pub struct SpecArgs {
    /// GPU model code (0 = CPU only; the staking config maps codes to multipliers, e.g.
    /// 100 = H100, weighs 4× on localnet)
    #[arg(long)]
    pub gpu_model: Option<u16>,
    /// Number of GPUs (1..=1024) [register default: 1]
    #[arg(long)]
    pub gpus: Option<u16>,
    /// Memory per GPU, MiB [register default: 24576]
    #[arg(long)]
    pub vram_mib: Option<u32>,
    /// CPU cores [register default: 16]
    #[arg(long)]
    pub cpu_cores: Option<u16>,
    /// RAM, MiB [register default: 65536]
    #[arg(long)]
    pub ram_mib: Option<u32>,
    /// Download bandwidth, Mbit/s [register default: 1000]
    #[arg(long)]
    pub down_mbps: Option<u32>,
    /// Upload bandwidth, Mbit/s [register default: 1000]
    #[arg(long)]
    pub up_mbps: Option<u32>,
    /// Country, ISO 3166-1 alpha-2 [register default: US]
    #[arg(long)]
    pub country: Option<String>,
    /// Region code [register default: 0]
    #[arg(long)]
    pub region: Option<u16>,
    /// Supplier group code [register default: 0]
    #[arg(long)]
    pub supplier_group: Option<u8>,
    /// Security tier code [register default: 0]
    #[arg(long)]
    pub security_tier: Option<u8>,
    /// Runs on renewable energy [register default: no]
    #[arg(long, overrides_with = "no_green")]
    pub green: bool,
    /// Does not run on renewable energy (undoes --green on update)
    #[arg(long, overrides_with = "green")]
    pub no_green: bool,
}

impl SpecArgs {
    /// `--green` / `--no-green` (the last one given), `None` when neither is.
    pub fn green(&self) -> Option<bool> {
        match (self.green, self.no_green) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Register a device (signed by its owner, --keypair, who pays the rent and is paid
    /// for its work); prints the device address
    #[command(after_help = AMOUNTS)]
    Register {
        /// Device number, chosen by the owner (one owner can run many devices)
        #[arg(long)]
        id: u64,
        /// The agent key running on the machine (attests uptime, submits receipts)
        #[arg(long, value_parser = parse_pubkey)]
        agent: Pubkey,
        /// Price per GPU-hour in USDC (2.5 = 2.5 USDC)
        #[arg(long)]
        price: Amount,
        #[command(flatten)]
        specs: SpecArgs,
    },
    /// Change a device's price, agent key or specs (owner)
    #[command(after_help = AMOUNTS)]
    Update {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// New price per GPU-hour in USDC (applies to new hires)
        #[arg(long)]
        price: Option<Amount>,
        /// New agent key (the old one can no longer attest)
        #[arg(long, value_parser = parse_pubkey)]
        agent: Option<Pubkey>,
        #[command(flatten)]
        specs: SpecArgs,
    },
    /// Pause a device: it keeps its hires and attests, but takes no new hire (owner)
    Pause {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
    /// Make a paused device hireable again (owner)
    Resume {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
    /// Retire a device for good (owner)
    Retire {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
    /// Attest an epoch of uptime (signed by the device's agent key, --keypair), with the
    /// verifiers' co-signatures when the network requires a quorum
    Attest {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// Epoch to attest (the current or the previous one) [default: current]
        #[arg(long)]
        epoch: Option<u64>,
        /// Minutes of uptime in the epoch [default: the whole epoch]
        #[arg(long)]
        uptime_minutes: Option<u16>,
        /// Proof-of-work benchmark digest, 64 hex digits [default: zeros]
        #[arg(long, value_parser = parse_hash)]
        pow_digest: Option<[u8; 32]>,
        /// A verifier's keypair file that co-signs (repeat to reach the quorum)
        #[arg(long = "verifier-keypair")]
        verifier_keypairs: Vec<PathBuf>,
        /// Also register the epoch's block-reward weight in the same transaction
        #[arg(long)]
        register_weight: bool,
    },
    /// Show a device (specs, price, status, uptime) and its stake
    Show {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
}

#[derive(Debug, Subcommand)]
pub enum StakeCommand {
    /// Stake network tokens for a device from the owner's token account (owner)
    #[command(after_help = AMOUNTS)]
    Deposit {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// Network tokens (200 = 200 tokens)
        amount: Amount,
    },
    /// Start unstaking: the amount stops counting now and cools down (owner)
    #[command(after_help = AMOUNTS)]
    Unstake {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// Network tokens to unstake (200 = 200 tokens)
        amount: Amount,
    },
    /// Withdraw the cooled-down stake to the owner's token account (owner)
    Withdraw {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
    /// Register an attested epoch's block-reward weight (agent)
    RegisterWeight {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// The attested epoch whose weight to register (within the grace epochs after it)
        #[arg(long)]
        epoch: u64,
    },
    /// Claim the block rewards of final epochs (anyone; paid to the owner). Epochs named
    /// with --epochs that are not final yet are waited for
    Claim {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// Epochs to claim, waiting until the last is final [default: every registered
        /// epoch that is final now]
        #[arg(long, value_delimiter = ',')]
        epochs: Vec<u64>,
    },
    /// Show a device's stake account
    Show {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
}

pub async fn run(ctx: &Context, command: DeviceCommand) -> Result<Value> {
    match command {
        DeviceCommand::Register {
            id,
            agent,
            price,
            specs,
        } => {
            let client = ctx.client()?;
            let price = usdc(&client, &price).await?;
            let args = RegisterDeviceArgs {
                device_id: id,
                agent,
                specs: new_specs(&specs)?,
                price_per_gpu_hour: price.units,
            };
            let registered = client.register_device(args).await?;
            Ok(signed(
                registered.signature,
                json!({
                    "device": registered.address.to_string(),
                    "owner": client.pubkey().to_string(),
                    "price_per_gpu_hour": ctx.out.amount(price),
                }),
            ))
        }
        DeviceCommand::Update {
            device,
            price,
            agent,
            specs,
        } => {
            let client = ctx.client()?;
            let current = client.device(&device).await?;
            let price = match price {
                Some(p) => Some(usdc(&client, &p).await?),
                None => None,
            };
            let changed_specs = changed_specs(&current.specs, &specs)?;
            let args = UpdateDeviceArgs {
                specs: changed_specs,
                price_per_gpu_hour: price.map(|p| p.units),
                agent,
            };
            let signature = client.update_device(&device, args).await?;
            let mut value = json!({ "device": device.to_string() });
            if let Some(price) = price {
                value["price_per_gpu_hour"] = ctx.out.amount(price);
            }
            Ok(signed(signature, value))
        }
        DeviceCommand::Pause { device } => set_status(ctx, device, DeviceStatus::Paused).await,
        DeviceCommand::Resume { device } => set_status(ctx, device, DeviceStatus::Active).await,
        DeviceCommand::Retire { device } => set_status(ctx, device, DeviceStatus::Retired).await,
        DeviceCommand::Attest {
            device,
            epoch,
            uptime_minutes,
            pow_digest,
            verifier_keypairs,
            register_weight,
        } => {
            let client = ctx.client()?;
            let epoch = match epoch {
                Some(e) => e,
                None => client.current_epoch().await?,
            };
            let mut args = client
                .full_uptime(epoch, pow_digest.unwrap_or([0; 32]))
                .await?;
            if let Some(minutes) = uptime_minutes {
                args.uptime_minutes = minutes;
            }
            attest(&client, &device, args, &verifier_keypairs, register_weight).await
        }
        DeviceCommand::Show { device } => show(ctx, &device).await,
    }
}

async fn attest(
    client: &GpunetClient,
    device: &Pubkey,
    args: AttestUptimeArgs,
    verifier_keypairs: &[std::path::PathBuf],
    register_weight: bool,
) -> Result<Value> {
    let verifiers = verifier_keypairs
        .iter()
        .map(|p| keys::read_keypair(p))
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<_> = verifiers.iter().collect();
    let (epoch, minutes) = (args.epoch, args.uptime_minutes);
    let signature = client
        .attest_uptime_with_verifiers(device, args, &refs, register_weight)
        .await?;
    Ok(signed(
        signature,
        json!({
            "device": device.to_string(),
            "epoch": epoch,
            "uptime_minutes": minutes,
            "verifiers": verifiers.iter().map(|v| v.pubkey().to_string()).collect::<Vec<_>>(),
            "weight_registered": register_weight,
        }),
    ))
}

async fn set_status(ctx: &Context, device: Pubkey, status: DeviceStatus) -> Result<Value> {
    let client = ctx.client()?;
    let signature = client.set_device_status(&device, status).await?;
    Ok(signed(
        signature,
        json!({ "device": device.to_string(), "status": views::status(status) }),
    ))
}

async fn show(ctx: &Context, device: &Pubkey) -> Result<Value> {
    let client = ctx.reader();
    let account = client.device(device).await?;
    let mut value = views::device(device, &account);
    value["stake"] = match absent_if_not_found(client.stake_account(device).await)? {
        Some(stake) => views::stake(&staking::stake_address(device), &stake),
        None => Value::Null,
    };
    Ok(value)
}

/// The specs of a new device: the flags given, defaults for the rest.
fn new_specs(s: &SpecArgs) -> Result<DeviceSpecs> {
    let base = DeviceSpecs {
        gpu_model: 0,
        gpu_count: 1,
        vram_mib: 24_576,
        cpu_cores: 16,
        ram_mib: 65_536,
        bandwidth_down_mbps: 1_000,
        bandwidth_up_mbps: 1_000,
        country: *b"US",
        region: 0,
        supplier_group: 0,
        security_tier: 0,
        green: false,
    };
    apply_specs(base, s)
}

/// The current specs with the flags given applied; `None` when no spec flag was given.
fn changed_specs(current: &DeviceSpecs, s: &SpecArgs) -> Result<Option<DeviceSpecs>> {
    let updated = apply_specs(*current, s)?;
    Ok((updated != *current).then_some(updated))
}

fn apply_specs(mut d: DeviceSpecs, s: &SpecArgs) -> Result<DeviceSpecs> {
    d.gpu_model = s.gpu_model.unwrap_or(d.gpu_model);
    d.gpu_count = s.gpus.unwrap_or(d.gpu_count);
    d.vram_mib = s.vram_mib.unwrap_or(d.vram_mib);
    d.cpu_cores = s.cpu_cores.unwrap_or(d.cpu_cores);
    d.ram_mib = s.ram_mib.unwrap_or(d.ram_mib);
    d.bandwidth_down_mbps = s.down_mbps.unwrap_or(d.bandwidth_down_mbps);
    d.bandwidth_up_mbps = s.up_mbps.unwrap_or(d.bandwidth_up_mbps);
    if let Some(country) = &s.country {
        d.country = country
            .as_bytes()
            .try_into()
            .map_err(|_| CliError(format!("country `{country}` is not two letters (e.g. DE)")))?;
    }
    d.region = s.region.unwrap_or(d.region);
    d.supplier_group = s.supplier_group.unwrap_or(d.supplier_group);
    d.security_tier = s.security_tier.unwrap_or(d.security_tier);
    d.green = s.green().unwrap_or(d.green);
    Ok(d)
}

pub async fn stake(ctx: &Context, command: StakeCommand) -> Result<Value> {
    let client = ctx.client_or_reader(matches!(command, StakeCommand::Show { .. }))?;
    let mut amount = None;
    let (signature, device) = match command {
        StakeCommand::Deposit {
            device,
            amount: typed,
        } => {
            let resolved = tokens(&client, &typed).await?;
            amount = Some(resolved);
            (client.stake(&device, resolved.units).await?, device)
        }
        StakeCommand::Unstake {
            device,
            amount: typed,
        } => {
            let resolved = tokens(&client, &typed).await?;
            amount = Some(resolved);
            (
                client.request_unstake(&device, resolved.units).await?,
                device,
            )
        }
        StakeCommand::Withdraw { device } => (client.withdraw(&device).await?, device),
        StakeCommand::RegisterWeight { device, epoch } => {
            (client.register_weight(&device, epoch).await?, device)
        }
        StakeCommand::Claim { device, epochs } => {
            let before = client.stake_account(&device).await?.rewards_claimed;
            let done = client.claim_rewards(&device, &epochs).await?;
            let after = client.stake_account(&device).await?.rewards_claimed;
            // The running total only grows; a concurrent reader cannot make it shrink.
            let claimed = after.saturating_sub(before);
            let fields = json!({ "device": device.to_string(), "claimed": claimed });
            return Ok(match done.signature() {
                Some(signature) => signed(signature, fields),
                // Someone else (the device's agent) claimed them first.
                None => {
                    let mut fields = fields;
                    fields["already_claimed"] = json!(true);
                    fields
                }
            });
        }
        StakeCommand::Show { device } => {
            let stake = client.stake_account(&device).await?;
            return Ok(views::stake(&staking::stake_address(&device), &stake));
        }
    };
    let stake = client.stake_account(&device).await?;
    let mut value =
        json!({ "device": device.to_string(), "active": stake.active, "cooling": stake.cooling });
    if let Some(amount) = amount {
        value["amount"] = ctx.out.amount(amount);
    }
    Ok(signed(signature, value))
}
