//! The suppliers: each registers a device (its specs scripted, or detected from the
//! simulated hardware its agent will run with) and stakes it.

use std::sync::Arc;

use gpunet_sdk::client::GpunetClient;
use gpunet_sdk::registry::{DeviceSpecs, RegisterDeviceArgs};
use serde_json::Value;
use solana_keypair::Keypair;

use crate::amount::format_units;
use crate::output::Output;
use crate::setup::H100;
use crate::{CliError, Result};

use super::world::*;

/// Device `i`: an 8-GPU H100 machine first, then smaller plain-GPU ones, cheaper each;
/// its price per GPU-hour in USDC cents.
pub(super) fn demo_specs(i: u64) -> (DeviceSpecs, u64) {
    let gpu_count = [8, 4, 2][(i % 3) as usize];
    let specs = DeviceSpecs {
        gpu_model: if i == 0 { H100 } else { 0 },
        gpu_count,
        vram_mib: 81_920,
        cpu_cores: 64,
        ram_mib: 512 * 1024,
        bandwidth_down_mbps: 10_000,
        bandwidth_up_mbps: 10_000,
        country: *b"DE",
        region: 1,
        supplier_group: 1,
        security_tier: 2,
        green: true,
    };
    let cents = 200 - 25 * (i % 4); // 2.00, 1.75, 1.50, 1.25 USDC per GPU-hour
    (specs, cents)
}

/// The simulated machine of device `i` when real agents run: an 8-GPU H100 machine, then
/// a 4-GPU A100 one, then a 2-GPU RTX 4090 one, in the tour's region.
pub(super) fn agent_profile(i: u64) -> gpunet_agent_config::hardware::HardwareOverrides {
    gpunet_agent_config::hardware::HardwareOverrides {
        profile: Some(["h100x8", "a100x4", "rtx4090x2"][(i % 3) as usize].to_string()),
        down_mbps: Some(10_000),
        up_mbps: Some(10_000),
        country: Some("DE".into()),
        region: Some(1),
        supplier_group: Some(1),
        security_tier: Some(2),
        green: Some(true),
        ..Default::default()
    }
}

pub(super) async fn register_supplier(
    client: &GpunetClient,
    network: &Network,
    i: u64,
    agents: bool,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Supplier> {
    let owner = party(client).await?;
    let agent_key = Keypair::new();
    let agent = client.with_signer(agent_key.insecure_clone());
    client.airdrop(&agent.pubkey(), PARTY_LAMPORTS).await?;
    let (mut specs, cents) = demo_specs(i);
    let profile = agents.then(|| agent_profile(i));
    if let Some(profile) = &profile {
        specs = gpunet_agent_config::hardware::detect(profile)
            .map_err(CliError)?
            .specs;
    }
    let price = network.usdc_units(cents)?;
    let registered = owner
        .register_device(RegisterDeviceArgs {
            device_id: i + 1,
            agent: agent.pubkey(),
            specs,
            price_per_gpu_hour: price,
        })
        .await?;
    let device = registered.address;
    step(
        steps,
        out,
        format!(
            "device {device}: {} GPU(s) (model {}), {} USDC per GPU-hour, owner {}, agent {}",
            specs.gpu_count,
            specs.gpu_model,
            network.usdc(price),
            owner.pubkey(),
            agent.pubkey()
        ),
        &registered.signature,
    );
    let stake = network
        .staking
        .min_stake(&specs)
        .map_err(|e| CliError(format!("minimum stake: {e}")))?;
    client
        .mint_to(&network.stake_mint, &owner.pubkey(), stake)
        .await?;
    let signature = owner.stake(&device, stake).await?;
    step(
        steps,
        out,
        format!(
            "  staked {} network tokens (its minimum)",
            format_units(stake, network.stake_decimals)
        ),
        &signature,
    );
    Ok(Supplier {
        owner,
        agent: Arc::new(agent),
        agent_key,
        profile,
        device,
        specs,
        price,
        stake,
    })
}
