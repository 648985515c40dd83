//! `gpunet device ...` and `gpunet stake ...`.

use gpunet_sdk::Pubkey;
use gpunet_sdk::client::GpunetClient;
use gpunet_sdk::registry::{
    AttestUptimeArgs, DeviceSpecs, DeviceStatus, RegisterDeviceArgs, UpdateDeviceArgs,
};
use gpunet_sdk::staking;
use serde_json::{Value, json};
use solana_signer::Signer;

use super::absent_if_not_found;
use super::wallet::{tokens, usdc};
use crate::args::{DeviceCommand, SpecArgs, StakeCommand};
use crate::{CliError, Context, Result, keys, signed, views};

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
