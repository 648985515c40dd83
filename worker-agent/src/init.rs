//! `gpunet-agent init`: creates the agent key (once), detects the hardware, writes the
//! config file, and prints what the device's owner runs (on the owner's machine, with the
//! owner's wallet, which never comes near this box) to register and stake the device with
//! this agent key: the `gpunet` commands, and the same as one unsigned transaction for a
//! wallet to sign.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use gpunet_sdk::Pubkey;
use gpunet_sdk::amount::{Amount, format_units};
use gpunet_sdk::client::{GpunetClient, keyfile};
use gpunet_sdk::registry::{self, DeviceSpecs, RegisterDeviceArgs};
use gpunet_sdk::staking;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;

use crate::config::{DEFAULT_RPC_URL, Settings};
use crate::hardware::{self, Hardware};

/// What `init` was asked.
#[derive(Clone, Debug)]
pub struct InitArgs {
    pub owner: Option<Pubkey>,
    pub device_id: u64,
    pub price: Amount,
    pub measure_bandwidth: Option<String>,
}

/// The outcome, also printed.
#[derive(Clone, Debug)]
pub struct Initialised {
    pub agent: Pubkey,
    pub created_key: bool,
    pub hardware: Hardware,
    pub device: Option<Pubkey>,
    pub text: String,
}

pub async fn run(
    settings: Settings,
    data_dir: &Path,
    config_path: &Path,
    args: &InitArgs,
) -> Result<Initialised, String> {
    let keypair_path = settings
        .keypair
        .clone()
        .unwrap_or_else(|| data_dir.join("agent-keypair.json"));
    let (agent, created_key) = if keypair_path.exists() {
        (keyfile::read(&keypair_path, "")?, false)
    } else {
        let key = Keypair::new();
        keyfile::write(&key, &keypair_path)?;
        (key, true)
    };
    let mut overrides = settings.hardware.clone().unwrap_or_default();
    if let Some(url) = &args.measure_bandwidth {
        let mbps = measure_download(url).await?;
        overrides.down_mbps = Some(mbps);
        overrides.up_mbps.get_or_insert(mbps);
    }
    let hardware = hardware::detect(&overrides)?;
    let device = args
        .owner
        .map(|owner| registry::device_address(&owner, args.device_id));
    let rpc_url = settings
        .rpc_url
        .clone()
        .unwrap_or_else(|| DEFAULT_RPC_URL.to_string());

    // The config file: what was there, plus this key, the device and the hardware facts.
    let mut file = if config_path.exists() {
        Settings::read(config_path)?
    } else {
        Settings::default()
    };
    file.keypair = Some(keypair_path.clone());
    file.rpc_url = Some(rpc_url.clone());
    if let Some(device) = device {
        file.device = Some(device.to_string());
    }
    file.hardware = Some(overrides);
    file.write(config_path)?;

    let mut text = String::new();
    let mut say = |line: String| {
        text.push_str(&line);
        text.push('\n');
    };
    say(format!(
        "agent key: {} ({} {})",
        agent.pubkey(),
        if created_key {
            "new, written to"
        } else {
            "kept, from"
        },
        keypair_path.display()
    ));
    say(format!("hardware: {}", describe(&hardware)));
    say(format!("config: {}", config_path.display()));
    say(String::new());

    let command = register_command(&agent.pubkey(), args, &hardware.specs);
    // What the chain says about this device: its minimum stake and the mints' decimals.
    let client = GpunetClient::new(rpc_url.clone(), Keypair::new());
    let chain = match args.owner {
        Some(owner) => on_chain(&client, &owner, &agent.pubkey(), args, &hardware.specs)
            .await
            .map_err(|e| format!("cannot read the network at {rpc_url}: {e}")),
        None => Err("no --owner given".to_string()),
    };
    say("The device's owner registers and stakes it, on the owner's machine:".into());
    say(String::new());
    say(format!("  {command}"));
    match (&chain, device) {
        (Ok(chain), Some(device)) => {
            say(format!(
                "  gpunet stake deposit {device} {}",
                chain.min_stake
            ));
            say(String::new());
            say(format!(
                "Or as one transaction for a wallet to sign (fee payer: the owner {}; \
                 base64, blockhash {}):",
                args.owner.expect("an owner"),
                chain.blockhash
            ));
            say(String::new());
            say(format!("  {}", chain.transaction));
        }
        (Err(why), _) => {
            say(
                "  gpunet stake deposit <DEVICE> <AMOUNT>   (the device address is printed by \
                 the command above; at least its minimum stake)"
                    .into(),
            );
            say(String::new());
            say(format!(
                "(The exact stake and a transaction for a wallet need --owner and a reachable \
                 chain: {why}.)"
            ));
        }
        _ => {}
    }
    say(String::new());
    say(format!(
        "Then fund the agent key {} with SOL for fees (docs/worker-agent.md: about 0.001 SOL a \
         day at hourly epochs, plus up to 0.03 SOL a day of epoch-reward rent on a small \
         network), {}and start the agent: gpunet-agent run",
        agent.pubkey(),
        if device.is_none() {
            "set `device = \"<DEVICE>\"` in the config file, "
        } else {
            ""
        }
    ));
    Ok(Initialised {
        agent: agent.pubkey(),
        created_key,
        hardware,
        device,
        text,
    })
}

/// One line of hardware description.
pub fn describe(hw: &Hardware) -> String {
    let s = &hw.specs;
    let gpu = match &hw.gpu_name {
        Some(name) => format!(
            "{} × {name} (model code {}, {} MiB each)",
            s.gpu_count, s.gpu_model, s.vram_mib
        ),
        None => "no GPU (the CPU does the work)".to_string(),
    };
    format!(
        "{gpu}, {} CPU cores, {} MiB RAM, {}/{} Mbit/s down/up, {}{} [{}]",
        s.cpu_cores,
        s.ram_mib,
        s.bandwidth_down_mbps,
        s.bandwidth_up_mbps,
        String::from_utf8_lossy(&s.country),
        if s.green { ", green energy" } else { "" },
        hw.source
    )
}

/// The `gpunet device register` command for this machine.
pub fn register_command(agent: &Pubkey, args: &InitArgs, s: &DeviceSpecs) -> String {
    let mut command = format!(
        "gpunet device register --id {} --agent {agent} --price {} --gpu-model {} --gpus {} \
         --vram-mib {} --cpu-cores {} --ram-mib {} --down-mbps {} --up-mbps {} --country {}",
        args.device_id,
        args.price,
        s.gpu_model,
        s.gpu_count,
        s.vram_mib,
        s.cpu_cores,
        s.ram_mib,
        s.bandwidth_down_mbps,
        s.bandwidth_up_mbps,
        String::from_utf8_lossy(&s.country)
    );
    for (flag, value) in [
        ("region", u32::from(s.region)),
        ("supplier-group", u32::from(s.supplier_group)),
        ("security-tier", u32::from(s.security_tier)),
    ] {
        if value != 0 {
            command.push_str(&format!(" --{flag} {value}"));
        }
    }
    if s.green {
        command.push_str(" --green");
    }
    command
}

struct OnChain {
    min_stake: String,
    blockhash: String,
    transaction: String,
}

/// The device's minimum stake, and the unsigned register + stake transaction.
async fn on_chain(
    client: &GpunetClient,
    owner: &Pubkey,
    agent: &Pubkey,
    args: &InitArgs,
    specs: &DeviceSpecs,
) -> Result<OnChain, gpunet_sdk::client::ClientError> {
    let invalid = gpunet_sdk::client::ClientError::Invalid;
    let config = client.staking_config().await?;
    let (payment, stake_mint) = client.mints().await?;
    let (payment_decimals, _) = client.mint_info(&payment.mint).await?;
    let (stake_decimals, _) = client.mint_info(&stake_mint.mint).await?;
    let min_stake = config
        .min_stake(specs)
        .map_err(|e| invalid(e.to_string()))?;
    let price = args.price.base_units(payment_decimals).map_err(invalid)?;
    let device = registry::device_address(owner, args.device_id);
    let owner_token = gpunet_sdk::client::tokens::associated_token_address(
        owner,
        &stake_mint.mint,
        &stake_mint.token_program,
    );
    let instructions = [
        registry::register_device(
            *owner,
            RegisterDeviceArgs {
                device_id: args.device_id,
                agent: *agent,
                specs: *specs,
                price_per_gpu_hour: price,
            },
        ),
        staking::stake(*owner, device, owner_token, stake_mint, min_stake),
    ];
    let blockhash = client
        .rpc()
        .get_latest_blockhash()
        .await
        .map_err(|e| invalid(e.to_string()))?;
    let mut tx = Transaction::new_with_payer(&instructions, Some(owner));
    tx.message.recent_blockhash = blockhash;
    Ok(OnChain {
        min_stake: format_units(min_stake, stake_decimals),
        blockhash: blockhash.to_string(),
        transaction: base64::engine::general_purpose::STANDARD.encode(unsigned_wire(&tx)),
    })
}

/// A transaction in wire format with every signature left empty (zeros) for the wallet.
fn unsigned_wire(tx: &Transaction) -> Vec<u8> {
    let message = tx.message_data();
    let signatures = usize::from(tx.message.header.num_required_signatures);
    let mut wire = Vec::with_capacity(1 + 64 * signatures + message.len());
    // The signature count as a compact-u16 (one byte below 128).
    wire.push(signatures as u8);
    wire.extend(std::iter::repeat_n(0u8, 64 * signatures));
    wire.extend(message);
    wire
}

/// Measures download bandwidth (Mbit/s) by fetching `url` (at most 64 MiB, 20 s).
pub async fn measure_download(url: &str) -> Result<u32, String> {
    use futures::StreamExt;
    const LIMIT: usize = 64 << 20;
    let started = Instant::now();
    let response = reqwest_client()?
        .get(url)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("cannot fetch {url}: {e}"))?;
    let mut bytes = 0usize;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        bytes += chunk.map_err(|e| format!("reading {url}: {e}"))?.len();
        if bytes >= LIMIT || started.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64().max(1e-3);
    if bytes < 1 << 16 {
        return Err(format!(
            "{url} gave only {bytes} bytes: too little to measure bandwidth"
        ));
    }
    Ok(((bytes as f64 * 8.0 / 1e6) / seconds)
        .round()
        .min(f64::from(u32::MAX)) as u32)
}

fn reqwest_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_command_names_every_detected_fact() {
        let hw = hardware::detect(&hardware::HardwareOverrides {
            profile: Some("h100x8".into()),
            country: Some("DE".into()),
            supplier_group: Some(3),
            green: Some(true),
            ..Default::default()
        })
        .unwrap();
        let agent = Pubkey::new_unique();
        let args = InitArgs {
            owner: None,
            device_id: 7,
            price: "2.5".parse().unwrap(),
            measure_bandwidth: None,
        };
        let command = register_command(&agent, &args, &hw.specs);
        for part in [
            "--id 7",
            &format!("--agent {agent}"),
            "--price 2.5",
            "--gpu-model 100",
            "--gpus 8",
            "--vram-mib 81559",
            "--country DE",
            "--supplier-group 3",
            "--green",
        ] {
            assert!(command.contains(part), "{part} missing from {command}");
        }
        assert!(!command.contains("--region"));
    }

    #[test]
    fn an_unsigned_transaction_has_room_for_the_owner_signature() {
        let owner = Pubkey::new_unique();
        let ix = staking::register_weight(owner, Pubkey::new_unique(), 1);
        let tx = Transaction::new_with_payer(&[ix], Some(&owner));
        let wire = unsigned_wire(&tx);
        assert_eq!(wire[0], 1);
        assert!(wire[1..65].iter().all(|b| *b == 0));
        assert_eq!(&wire[65..], &tx.message_data()[..]);
    }
}
