//! The cluster's life when the tour plays the agents: the renter leases the devices, the
//! agents attest each epoch with the verifier quorum and submit job receipts, the epochs
//! are settled on the chain clock, the hires released and the rewards claimed.

use std::sync::Arc;

use gpunet_sdk::Pubkey;
use gpunet_sdk::client::{GpunetClient, Signature};
use gpunet_sdk::escrow::{self, Hire};
use serde_json::{Value, json};
use solana_keypair::Keypair;
use tokio::task::JoinSet;

use crate::amount::format_units;
use crate::output::Output;
use crate::{CliError, Result};

use super::world::*;

pub(super) async fn hire_cluster(
    renter: &GpunetClient,
    network: &Network,
    suppliers: &[Supplier],
    epochs: u64,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Pubkey> {
    let max_price = suppliers.iter().map(|s| s.price).max().unwrap_or(1);
    let created = renter
        .create_lease(1, "demo cluster", DEMO_JOB, max_price)
        .await?;
    step(
        steps,
        out,
        format!(
            "lease {} opened by renter {}, up to {} USDC per GPU-hour, job `{DEMO_JOB}`",
            created.address,
            renter.pubkey(),
            network.usdc(max_price)
        ),
        &created.signature,
    );
    // One transaction for the whole cluster: every hire then runs the same epochs, which
    // the tour's schedule (and the missed last epoch) relies on. Pipelined hires could
    // straddle an epoch boundary.
    let devices: Vec<Pubkey> = suppliers.iter().map(|s| s.device).collect();
    let signature = renter
        .add_hires_at_once(&created.address, &devices, epochs)
        .await?;
    for device in devices {
        let hire = renter.hire(&created.address, &device).await?;
        let deposit = hire.terms.price + hire.terms.renter_fee;
        step(
            steps,
            out,
            format!(
                "hired {device} for {epochs} epoch(s): {} USDC deposited ({} per epoch incl. \
                 renter fee)",
                network.usdc(deposit * epochs),
                network.usdc(deposit)
            ),
            &signature,
        );
    }
    Ok(created.address)
}

/// Every supplier's agent attests `epoch` (co-signed by the verifier quorum) and registers
/// its reward weight, all at once; `skip` is a device whose agent is offline.
pub(super) async fn attest_epoch(
    network: &Network,
    suppliers: &[Supplier],
    epoch: u64,
    skip: Option<usize>,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<()> {
    let mut tasks = JoinSet::new();
    for (i, supplier) in suppliers.iter().enumerate() {
        if Some(i) == skip {
            out.say(format!(
                "   device {} misses epoch {epoch} (its agent is offline)",
                supplier.device
            ));
            continue;
        }
        let (agent, device) = (Arc::clone(&supplier.agent), supplier.device);
        let verifiers = Arc::clone(&network.verifiers);
        tasks.spawn(async move {
            let args = agent.full_uptime(epoch, [epoch as u8; 32]).await?;
            let refs: Vec<&Keypair> = verifiers.iter().collect();
            let signature = agent
                .attest_uptime_with_verifiers(&device, args, &refs, true)
                .await?;
            Ok::<_, CliError>((i, device, signature))
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        done.push(joined.map_err(|e| CliError(format!("an attestation task failed: {e}")))??);
    }
    done.sort_by_key(|(i, _, _)| *i);
    for (_, device, signature) in done {
        step(
            steps,
            out,
            format!(
                "device {device} attested epoch {epoch} with {} verifier signature(s) and \
                 registered its reward weight",
                network.verifiers.len()
            ),
            &signature,
        );
    }
    Ok(())
}

/// Lease-job receipts of the first device's running hire.
pub(super) async fn job_receipts(
    supplier: &Supplier,
    lease: &Pubkey,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Value> {
    let agent = &supplier.agent;
    let hire = escrow::hire_address(lease, &supplier.device);
    let batch = agent
        .next_receipt_batch(&supplier.device, records(&JOB_RECORDS, 1))
        .await?;
    let model = Pubkey::default();
    let signature = agent
        .submit_job_receipts(&supplier.device, &hire, batch, &model)
        .await?;
    step(
        steps,
        out,
        format!(
            "device {} logged {} lease-job receipts ({} GPU-ms) for hire {hire}",
            supplier.device,
            JOB_RECORDS.len(),
            JOB_RECORDS.iter().sum::<u32>()
        ),
        &signature,
    );
    Ok(json!({ "hire": hire.to_string(), "records": JOB_RECORDS.len() }))
}

/// Settles every hire (sent by the admin: settlement is permissionless), then releases
/// them so the devices are free again.
pub(super) async fn settle(
    client: &GpunetClient,
    renter: &GpunetClient,
    network: &Network,
    lease: &Pubkey,
    suppliers: &[Supplier],
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Vec<Hire>> {
    let devices: Vec<Pubkey> = suppliers.iter().map(|s| s.device).collect();
    // Through each hire's end: the sdk waits for the clock that executes the settlement.
    let results = client
        .settle_lease(lease, &devices, None, out.progress("settling"))
        .await?;
    let mut hires = Vec::new();
    for (device, result) in results {
        let done = result?;
        let hire = client.hire(lease, &device).await?;
        hires.push(
            report_and_release(
                client,
                renter,
                network,
                lease,
                &hire,
                done.signature().as_ref(),
                steps,
                out,
            )
            .await?,
        );
    }
    Ok(hires)
}

/// Reports a settled hire (with the settling transaction, when the tour sent it), the
/// slash proposed for its missed epochs, then releases it (renter); returns the hire.
#[allow(clippy::too_many_arguments)]
pub(super) async fn report_and_release(
    client: &GpunetClient,
    renter: &GpunetClient,
    network: &Network,
    lease: &Pubkey,
    hire: &Hire,
    settled_by: Option<&Signature>,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Hire> {
    let device = hire.device;
    let what = format!(
        "settled {device}{}: {} epoch(s) attested, {} missed; owner paid {} USDC, fees {} USDC, \
         renter refunded {} USDC",
        if settled_by.is_some() {
            ""
        } else {
            " by its agent"
        },
        hire.epochs_paid,
        hire.epochs_missed,
        network.usdc(hire.paid_to_owner),
        network.usdc(hire.fees),
        network.usdc(hire.refunded)
    );
    match settled_by {
        Some(signature) => step(steps, out, what, signature),
        None => note(steps, out, what),
    }
    if hire.epochs_missed > 0 {
        let stake = client.stake_account(&device).await?;
        out.say(format!(
            "   a slash of {} network tokens is proposed against {device} (half to the \
             renter), final after the challenge window",
            format_units(stake.pending_slash_amount, network.stake_decimals)
        ));
    }
    let signature = renter.release_hire(lease, &device).await?;
    step(
        steps,
        out,
        format!("released {device}: free to hire again"),
        &signature,
    );
    Ok(client.hire(lease, &device).await?)
}

pub(super) async fn claim(
    client: &GpunetClient,
    network: &Network,
    suppliers: &[Supplier],
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Vec<u64>> {
    let mut claimed = Vec::new();
    for supplier in suppliers {
        let stake = client.stake_account(&supplier.device).await?;
        if stake.pending_rewards.is_empty() {
            claimed.push(0);
            continue;
        }
        // The registered epochs by name: the sdk waits until the last one is final by
        // the clock that executes the claim.
        let epochs: Vec<u64> = stake.pending_rewards.iter().map(|p| p.epoch).collect();
        let done = client.claim_rewards(&supplier.device, &epochs).await?;
        let total = client
            .stake_account(&supplier.device)
            .await?
            .rewards_claimed;
        let what = format!(
            "block rewards of {} claimed for its owner: {} network tokens",
            supplier.device,
            format_units(total, network.stake_decimals)
        );
        match done.signature() {
            Some(signature) => step(steps, out, what, &signature),
            None => note(steps, out, format!("{what} (by someone else)")),
        }
        claimed.push(total);
    }
    Ok(claimed)
}
