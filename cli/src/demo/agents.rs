//! The tour with real agents: it starts one `gpunet-agent` per device and watches the
//! chain while they attest, report jobs, settle and claim by themselves.

use super::cluster::report_and_release;
use super::inference::Market;

use gpunet_sdk::Pubkey;
use gpunet_sdk::client::GpunetClient;
use gpunet_sdk::escrow::{self, Hire};
use serde_json::{Value, json};

use crate::Result;
use crate::amount::format_units;
use crate::fleet::{self, AgentSpec, Fleet, FleetOptions};
use crate::output::Output;

use super::world::*;

/// Writes each agent's key and config, starts the agents and waits until each answers.
pub(super) async fn start_agents(
    client: &GpunetClient,
    options: &DemoOptions,
    fleet_options: &FleetOptions,
    suppliers: &[Supplier],
    market: &Market,
    out: &Output,
) -> Result<Fleet> {
    let mut fleet = Fleet::new(fleet_options.clone());
    let chain = fleet::Chain {
        rpc_url: client.url(),
        grpc_url: options.grpc_url.as_deref(),
        verifier_keypairs: &options.verifier_keypairs,
    };
    for (i, supplier) in suppliers.iter().enumerate() {
        let models = if i == 0 {
            vec![(market.model, MODEL_COMMAND.to_string())]
        } else {
            Vec::new()
        };
        fleet.add(
            AgentSpec {
                device: supplier.device,
                key: supplier.agent_key.insecure_clone(),
                hardware: supplier.profile.clone().unwrap_or_default(),
                models,
            },
            &chain,
        )?;
    }
    for (i, supplier) in suppliers.iter().enumerate() {
        fleet.start(i).await?;
        out.say(format!(
            "   agent {} of device {} ({}) at {}",
            supplier.agent.pubkey(),
            supplier.device,
            supplier
                .profile
                .as_ref()
                .and_then(|p| p.profile.clone())
                .unwrap_or_default(),
            fleet.url(i)
        ));
    }
    Ok(fleet)
}

/// Says which devices' agents attested `epoch` (they attest an epoch in the next one).
pub(super) async fn report_attested(
    client: &GpunetClient,
    suppliers: &[Supplier],
    epoch: u64,
    out: &Output,
) -> Result<()> {
    let mut attested = Vec::new();
    for supplier in suppliers {
        // An agent attests the epoch early in the next one: wait until it did, or until
        // the epoch can no longer be attested (the one after it is over).
        let done = wait_until("an attestation or its deadline", || async {
            let device = client.device(&supplier.device).await?;
            if device.uptime.is_attested(epoch) {
                return Ok(Some(true));
            }
            let too_late = client.current_epoch().await? > epoch + 1;
            Ok(too_late.then_some(false))
        })
        .await?;
        attested.push(format!(
            "{} {}",
            supplier.device,
            if done { "attested" } else { "did not attest" }
        ));
    }
    out.say(format!("   epoch {epoch}: {}", attested.join(", ")));
    Ok(())
}

/// Stops a device's agent in `epoch` (once it attested the epoch before), for the rest of
/// the hire: its last epoch is missed.
pub(super) async fn stop_agent(
    client: &GpunetClient,
    fleet: &mut Fleet,
    supplier: &Supplier,
    epoch: u64,
    out: &Output,
) -> Result<()> {
    wait_until("the previous epoch's attestation", || async {
        let device = client.device(&supplier.device).await?;
        Ok(device.uptime.is_attested(epoch - 1).then_some(()))
    })
    .await?;
    let index = (0..fleet.len())
        .find(|i| fleet.device(*i) == supplier.device)
        .expect("every supplier has an agent");
    fleet.stop(index);
    out.say(format!(
        "   the agent of {} stops (the machine goes offline) for epoch {epoch}",
        supplier.device
    ));
    Ok(())
}

/// The job receipts the agents recorded for their hires.
pub(super) async fn agents_job_receipts(
    client: &GpunetClient,
    lease: &Pubkey,
    suppliers: &[Supplier],
    out: &Output,
) -> Result<Value> {
    let mut logs = Vec::new();
    for supplier in suppliers {
        let log = client.receipt_log(&supplier.device).await.ok();
        let (count, units) = log.map_or((0, 0), |l| (l.count, l.compute_units));
        out.say(format!(
            "   device {}: {count} receipt(s) on chain, {units} GPU-ms (the job `{DEMO_JOB}`{})",
            supplier.device,
            if std::ptr::eq(supplier, &suppliers[0]) {
                " and the inferences"
            } else {
                ""
            }
        ));
        logs.push(json!({
            "device": supplier.device.to_string(),
            "hire": escrow::hire_address(lease, &supplier.device).to_string(),
            "receipts": count,
            "compute_units": units,
        }));
    }
    Ok(json!({ "by": "agents", "devices": logs }))
}

/// Waits until the agents settled every hire (they settle each epoch), reports them, and
/// releases them (renter).
pub(super) async fn settled_by_agents(
    client: &GpunetClient,
    renter: &GpunetClient,
    network: &Network,
    lease: &Pubkey,
    suppliers: &[Supplier],
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Vec<Hire>> {
    let mut hires = Vec::new();
    for supplier in suppliers {
        let device = supplier.device;
        let hire = wait_until("the agents' settlements", || async {
            let hire = client.hire(lease, &device).await?;
            Ok(hire.is_settled().then_some(hire))
        })
        .await?;
        hires.push(
            report_and_release(client, renter, network, lease, &hire, None, steps, out).await?,
        );
    }
    Ok(hires)
}

/// Waits until the agents claimed every final hired epoch's rewards for their owners.
pub(super) async fn claimed_by_agents(
    client: &GpunetClient,
    network: &Network,
    suppliers: &[Supplier],
    end: u64,
    out: &Output,
) -> Result<Vec<u64>> {
    let grace = u64::from(network.staking.grace_epochs);
    let mut claimed = Vec::new();
    for supplier in suppliers {
        let device = supplier.device;
        let stake = wait_until("the agents' claims", || async {
            let stake = client.stake_account(&device).await?;
            let current = client.current_epoch().await?;
            let waiting = stake
                .pending_rewards
                .iter()
                .any(|p| p.epoch < end && current > p.epoch + 1 + grace);
            Ok((!waiting).then_some(stake))
        })
        .await?;
        out.say(format!(
            "   block rewards of {device} claimed by its agent for the owner: {} network tokens",
            format_units(stake.rewards_claimed, network.stake_decimals)
        ));
        claimed.push(stake.rewards_claimed);
    }
    Ok(claimed)
}
