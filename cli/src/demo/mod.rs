//! The tour: suppliers register and stake devices, a renter leases them as a cluster,
//! agents attest epochs with the verifier quorum (the last device misses the last epoch),
//! epochs become final on the chain clock and are settled (owners paid, the renter
//! refunded, a slash proposed), a device submits job and inference receipts, and the
//! owners claim their block rewards. Every step goes through the sdk client, as any
//! application would.
//!
//! Who plays the agents: the tour itself, scripted (exact, for tests), or with
//! [`DemoOptions::agents`] one real `gpunet-agent` process per device ([`crate::fleet`]),
//! which attests, runs the lease's job, serves the inferences over HTTP for vouchers,
//! settles and claims by itself while the tour watches the chain and stops the last agent
//! for the hire's last epoch.

mod agents;
mod cluster;
mod inference;
mod suppliers;
mod world;

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::GpunetClient;
use gpunet_sdk::escrow::{self, Hire};
use gpunet_sdk::proof;
use gpunet_sdk::staking;
use serde_json::{Value, json};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::fleet::Fleet;
use crate::output::Output;
use crate::state::State;
use crate::{CliError, Context, Result};

use agents::{
    agents_job_receipts, claimed_by_agents, report_attested, settled_by_agents, start_agents,
    stop_agent,
};
use cluster::{attest_epoch, claim, hire_cluster, job_receipts, settle};
use inference::{inference, open_market, serve_inferences};
use suppliers::register_supplier;
pub use world::{DEMO_JOB, DemoOptions, MODEL_COMMAND, fleet_options};
use world::{Network, Supplier, party};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The state file written by `gpunet localnet` or `gpunet network init` (verifier
    /// keys, endpoints)
    #[arg(long, default_value = ".gpunet/localnet.json")]
    pub state: PathBuf,
    /// Devices to register and hire
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub devices: u64,
    /// Epochs each device is hired for (the last device misses the last one, to show a
    /// refund and a slash)
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=8))]
    pub epochs: u64,
    /// The explorer API following the chain (shown under "where to look")
    #[arg(long, env = "GPUNET_EXPLORER_URL")]
    pub explorer_url: Option<String>,
    /// Run a real gpunet-agent per device (its data under <state dir>/agents/) instead of
    /// scripting the agents' transactions
    #[arg(long)]
    pub agents: bool,
    /// The gpunet-agent binary [default: next to gpunet, else on the PATH]
    #[arg(long, requires = "agents")]
    pub agent_bin: Option<PathBuf>,
}

/// Whole USDC minted to the renter.
const RENTER_USDC: u64 = 1_000;

/// `gpunet demo`.
pub async fn command(ctx: &Context, args: &DemoArgs) -> Result<Value> {
    let state = State::read(&args.state)?;
    let mut options = DemoOptions::from_state(&state, args.devices, args.epochs)?;
    options.explorer_url = args.explorer_url.clone();
    if args.agents {
        options.agents = Some(fleet_options(&args.state, args.agent_bin.as_deref(), None)?);
    }
    run(&ctx.client()?, &options, &ctx.out).await
}

/// Runs the tour with `client` (the mint authority of both mints) and returns its summary;
/// narrates through `out`. Agents started for the tour are stopped at its end.
pub async fn run(client: &GpunetClient, options: &DemoOptions, out: &Output) -> Result<Value> {
    Ok(tour(client, options, out).await?.0)
}

/// [`run`], returning the agents too (they keep attesting for as long as they live).
pub async fn tour(
    client: &GpunetClient,
    options: &DemoOptions,
    out: &Output,
) -> Result<(Value, Option<Fleet>)> {
    let network = network(client, options).await?;
    let agents = options.agents.is_some();
    out.say(format!(
        "== gpunet tour: {} device(s), {} epoch(s) of {} s, verifier quorum {}, agents {}",
        options.devices,
        options.epochs,
        network.config.epoch_seconds,
        network.config.verifier_quorum,
        if agents {
            "run as gpunet-agent processes"
        } else {
            "scripted"
        }
    ));
    let mut steps = Vec::new();

    out.say("-- suppliers register and stake their devices");
    let mut suppliers = Vec::new();
    for i in 0..options.devices {
        let supplier = register_supplier(client, &network, i, agents, &mut steps, out).await?;
        suppliers.push(supplier);
    }

    // With real agents, the model exists before they start (the first device serves it).
    let mut fleet = None;
    let mut market = None;
    if let Some(fleet_options) = &options.agents {
        out.say("-- an inference model and a prepaid session");
        let opened = open_market(client, &network, &mut steps, out).await?;
        out.say(format!(
            "-- {} agents start, one gpunet-agent process per device",
            suppliers.len()
        ));
        fleet = Some(start_agents(client, options, fleet_options, &suppliers, &opened, out).await?);
        market = Some(opened);
    }

    out.say("-- a renter leases them as one cluster");
    let renter = party(client).await?;
    let renter_usdc = network.usdc_units(RENTER_USDC * 100)?;
    client
        .mint_to(&network.payment_mint, &renter.pubkey(), renter_usdc)
        .await?;
    let lease = hire_cluster(
        &renter,
        &network,
        &suppliers,
        options.epochs,
        &mut steps,
        out,
    )
    .await?;
    let first_hire = renter.hire(&lease, &suppliers[0].device).await?;
    let (start, end) = (first_hire.start_epoch, first_hire.end_epoch);
    out.say(format!(
        "   the hires run epochs {start}..{end} (billing starts next epoch)"
    ));

    out.say("-- an inference model, a prepaid session, receipts paid by voucher");
    let inference = match (&fleet, &market) {
        (Some(fleet), Some(market)) => {
            serve_inferences(client, &network, fleet, &suppliers[0], market, out).await?
        }
        _ => inference(client, &network, &suppliers[0], &mut steps, out).await?,
    };

    let last = suppliers.len() - 1;
    let mut job = Value::Null;
    for epoch in start..end {
        out.say(format!(
            "-- epoch {epoch}: waiting for it on the chain clock"
        ));
        client.wait_for_epoch(epoch).await?;
        let skip = (epoch + 1 == end).then_some(last);
        match fleet.as_mut() {
            Some(fleet) => {
                report_attested(client, &suppliers, epoch - 1, out).await?;
                if let Some(skip) = skip {
                    stop_agent(client, fleet, &suppliers[skip], epoch, out).await?;
                }
            }
            None => {
                // The job's receipts first: the hire takes them only while it runs, and
                // an attestation can still go in during the next epoch.
                if epoch == start {
                    job = job_receipts(&suppliers[0], &lease, &mut steps, out).await?;
                }
                attest_epoch(&network, &suppliers, epoch, skip, &mut steps, out).await?;
            }
        }
    }

    out.say(format!(
        "-- waiting for epoch {} so every hired epoch is final",
        end + 1
    ));
    client.wait_for_epoch(end + 1).await?;
    let settled = match fleet.as_mut() {
        Some(fleet) => {
            report_attested(client, &suppliers, end - 1, out).await?;
            out.say(format!(
                "   the agent of {} starts again (its hire's last epoch is missed)",
                suppliers[last].device
            ));
            fleet.start(last).await?;
            job = agents_job_receipts(client, &lease, &suppliers, out).await?;
            settled_by_agents(
                client, &renter, &network, &lease, &suppliers, &mut steps, out,
            )
            .await?
        }
        None => {
            settle(
                client, &renter, &network, &lease, &suppliers, &mut steps, out,
            )
            .await?
        }
    };

    let claim_at = end + 1 + u64::from(network.staking.grace_epochs);
    out.say(format!(
        "-- waiting for epoch {claim_at} so the rewards are final"
    ));
    client.wait_for_epoch(claim_at).await?;
    let rewards = match &fleet {
        Some(_) => claimed_by_agents(client, &network, &suppliers, end, out).await?,
        None => claim(client, &network, &suppliers, &mut steps, out).await?,
    };

    let devices = device_summaries(&renter, &lease, &suppliers, &settled, &rewards).await?;
    let renter_balance = client.payment_balance(&renter.pubkey()).await?;
    let log = client.receipt_log(&suppliers[0].device).await?;
    let mut summary = json!({
        "renter": renter.pubkey().to_string(),
        "renter_usdc_minted": renter_usdc,
        "renter_usdc_balance": renter_balance,
        "lease": lease.to_string(),
        "hire_epochs": { "start": start, "end": end },
        "devices": devices,
        "inference": inference,
        "job_receipts": job,
        "receipt_log": { "device": suppliers[0].device.to_string(), "count": log.count },
        "steps": steps,
        "where_to_look": where_to_look(client, options, &network, &lease),
    });
    if let Some(fleet) = &fleet {
        summary["agents"] = (0..fleet.len())
            .map(|i| {
                json!({
                    "device": fleet.device(i).to_string(),
                    "url": fleet.url(i),
                    "log": fleet.log(i).display().to_string(),
                })
            })
            .collect();
    }
    say_where_to_look(out, &summary["where_to_look"]);
    if let Some(fleet) = &fleet {
        for i in 0..fleet.len() {
            out.say(format!(
                "   agent {i}:  {}  (/health, /metrics; log {})",
                fleet.url(i),
                fleet.log(i).display()
            ));
        }
    }
    Ok((summary, fleet))
}

/// Reads the network and checks the tour can run on it.
async fn network(client: &GpunetClient, options: &DemoOptions) -> Result<Network> {
    let config = client.network_config().await?;
    let staking = client.staking_config().await?;
    for mint in [config.payment_mint, config.stake_mint] {
        let authority = client.mint_info(&mint).await?.1;
        if authority != Some(client.pubkey()) {
            return Err(CliError(format!(
                "the tour mints tokens, so --keypair must be the mint authority of {mint} (run \
                 it against `gpunet localnet` with the same keypair)"
            )));
        }
    }
    let known: Vec<&Keypair> = options
        .verifiers
        .iter()
        .filter(|v| config.verifiers.contains(&v.pubkey()))
        .collect();
    if known.len() < usize::from(config.verifier_quorum) {
        return Err(CliError(format!(
            "the network requires {} verifier signature(s) per attestation but the tour has \
             {} of its verifier keys (pass the --state file `gpunet localnet` wrote)",
            config.verifier_quorum,
            known.len()
        )));
    }
    let quorum: Vec<Keypair> = known
        .into_iter()
        .take(usize::from(config.verifier_quorum))
        .map(Keypair::insecure_clone)
        .collect();
    Ok(Network {
        payment_mint: config.payment_mint,
        stake_mint: config.stake_mint,
        payment_decimals: client.mint_info(&config.payment_mint).await?.0,
        stake_decimals: client.mint_info(&config.stake_mint).await?.0,
        config,
        staking,
        verifiers: Arc::new(quorum),
    })
}

async fn device_summaries(
    client: &GpunetClient,
    lease: &Pubkey,
    suppliers: &[Supplier],
    hires: &[Hire],
    rewards: &[u64],
) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for ((supplier, hire), claimed) in suppliers.iter().zip(hires).zip(rewards) {
        let owner = supplier.owner.pubkey();
        out.push(json!({
            "address": supplier.device.to_string(),
            "owner": owner.to_string(),
            "agent": supplier.agent.pubkey().to_string(),
            "gpu_model": supplier.specs.gpu_model,
            "gpu_count": supplier.specs.gpu_count,
            "price_per_gpu_hour": supplier.price,
            "stake": supplier.stake,
            "hire": escrow::hire_address(lease, &supplier.device).to_string(),
            "epochs_paid": hire.epochs_paid,
            "epochs_missed": hire.epochs_missed,
            "paid_to_owner": hire.paid_to_owner,
            "fees": hire.fees,
            "refunded": hire.refunded,
            "owner_usdc_balance": client.payment_balance(&owner).await?,
            "rewards_claimed": claimed,
            "stake_account": staking::stake_address(&supplier.device).to_string(),
        }));
    }
    Ok(out)
}

fn where_to_look(
    client: &GpunetClient,
    options: &DemoOptions,
    network: &Network,
    lease: &Pubkey,
) -> Value {
    json!({
        "rpc_url": client.url(),
        "grpc_url": options.grpc_url,
        "explorer": match &options.explorer_url {
            Some(url) => format!("{url}  (e.g. /v1/network, /v1/leases/{lease}, /v1/receipts)"),
            None => "no explorer API given (--explorer-url); inspect accounts with `gpunet lease \
                     show`, `gpunet device show` or any Solana RPC tool"
                .to_string(),
        },
        "network_config": gpunet_sdk::registry::config_address().to_string(),
        "payment_mint": network.payment_mint.to_string(),
        "stake_mint": network.stake_mint.to_string(),
        "treasury": network.config.treasury.to_string(),
        "lease": lease.to_string(),
        "programs": {
            "registry": gpunet_sdk::registry::PROGRAM_ID.to_string(),
            "escrow": escrow::PROGRAM_ID.to_string(),
            "staking": staking::PROGRAM_ID.to_string(),
            "proof": proof::PROGRAM_ID.to_string(),
        },
    })
}

fn say_where_to_look(out: &Output, look: &Value) {
    out.say("-- where to look");
    let rows = [
        ("JSON-RPC", "rpc_url", ""),
        ("gRPC", "grpc_url", ""),
        ("explorer", "explorer", ""),
        ("lease", "lease", "  (gpunet lease show <lease>)"),
        ("network", "network_config", "  (gpunet network show)"),
    ];
    for (label, key, hint) in rows {
        let value = look[key].as_str().unwrap_or("-");
        out.say(format!("   {:<10} {value}{hint}", format!("{label}:")));
    }
}
