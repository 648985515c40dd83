//! An agent that stays up attests every epoch, with the digest of the epoch's benchmark
//! and its reward weight, and claims the rewards once final.

mod common;

use std::time::Duration;

use common::{Agent, Net, until};
use gpunet_sdk::registry::EpochAttestation;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_up_for_several_epochs_attests_every_one_of_them() {
    let net = Net::start("attest", 3).await;
    let supplier = net.supplier("a100x4").await;
    let mut agent = Agent::start_with(&net, &supplier, &[], &["--claim-every-epochs", "1"]);
    agent.ready().await;
    // The first epoch the agent saw from its start (it may have started late in it).
    let first = net.epoch().await;
    let last = first + 4;
    net.wait_for_epoch(last + 1).await;

    // Every epoch from the first to the last is attested (each is attested in the next).
    let client = &supplier.owner;
    let device = until(
        "the last epoch attested",
        Duration::from_secs(30),
        || async {
            let device = client.device(&supplier.device).await.unwrap();
            device.uptime.is_attested(last).then_some(device)
        },
    )
    .await;
    for epoch in first..=last {
        assert_eq!(
            device.uptime.status_of(epoch),
            EpochAttestation::Attested,
            "epoch {epoch} (first {first}, last {last}):\n{}",
            agent.log_text()
        );
    }
    // With the verifier quorum (2 of 3) co-signing, and the digest of the benchmark the
    // agent runs for the device and the epoch (reproducible here from the same inputs).
    let head = device.uptime.head_epoch;
    assert!(head >= last);
    let expected = gpunet_agent::benchmark::run(&supplier.device, head, 48, 4).digest;
    assert_eq!(
        device.uptime.last_pow_digest, expected,
        "the benchmark digest of epoch {head}"
    );
    assert!(device.uptime.reliability_bps > 0);

    // The weight of each attested epoch was registered in the same transaction (this
    // device is the network's only one), and the agent claimed every final epoch's share
    // for the owner.
    let staking = client.staking_config().await.unwrap();
    let weight = staking.weight(&device.specs);
    for epoch in first..=last {
        let rewards = client.epoch_rewards(epoch).await.unwrap();
        assert_eq!(
            (rewards.devices, rewards.total_weight),
            (1, weight),
            "epoch {epoch}"
        );
    }
    let stake = until("final epochs claimed", Duration::from_secs(30), || async {
        let stake = client.stake_account(&supplier.device).await.unwrap();
        let current = net.epoch().await;
        let unclaimed_final = stake
            .pending_rewards
            .iter()
            .any(|p| current > p.epoch + 2 && p.epoch <= last);
        (!unclaimed_final).then_some(stake)
    })
    .await;
    // The agent may have started an epoch or two before `first`; the stake's claimed
    // total is the share of every registered epoch no longer pending.
    let mut claimed = 0;
    for epoch in first.saturating_sub(2)..=last + 2 {
        let Ok(rewards) = client.epoch_rewards(epoch).await else {
            continue;
        };
        if !stake.pending_rewards.iter().any(|p| p.epoch == epoch) {
            claimed += rewards.share(weight);
        }
    }
    assert!(
        stake.pending_rewards.len() <= 4,
        "{:?}",
        stake.pending_rewards
    );
    assert_eq!(
        stake.rewards_claimed,
        claimed,
        "claimed exactly the shares of the claimed epochs:\n{}",
        agent.log_text()
    );
    until("the claim counted", Duration::from_secs(10), || async {
        (agent.metric("gpunet_agent_claims_total").await >= 1).then_some(())
    })
    .await;

    // Health and metrics say the same. (The agent counts an attestation once it has seen
    // it confirmed, a moment after the chain shows it: wait for the count, not a sample.)
    until("attestations counted", Duration::from_secs(10), || async {
        let attested = agent.metric("gpunet_agent_epochs_attested_total").await;
        (attested > last - first).then_some(())
    })
    .await;
    assert_eq!(agent.metric("gpunet_agent_epochs_missed_total").await, 0);
    let health = agent.health().await;
    assert_eq!(health["device"], supplier.device.to_string());
    assert_eq!(health["hardware"]["gpus"], 4);
    assert!(health["sol_balance_lamports"].as_u64().unwrap() > 0);
    assert_eq!(health["low_balance"], false);
    agent.kill();
}
