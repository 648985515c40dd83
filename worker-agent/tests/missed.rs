//! An agent stopped for a whole epoch of its hire: the epoch is missed on chain, the
//! renter is refunded for it at settlement, and a slash of the stake is pending.

mod common;

use std::time::Duration;

use common::{Agent, Net, hire, until};
use gpunet_sdk::registry::EpochAttestation;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_stopped_for_an_epoch_misses_it_refunds_the_renter_and_is_slashed() {
    let net = Net::start("missed", 4).await;
    let supplier = net.supplier("h100x8").await;
    let mut agent = Agent::start(&net, &supplier, &[]);
    agent.ready().await;
    let epochs = 4;
    let (renter, lease, _, s) = hire(&net, &supplier, "", epochs).await;
    let device = supplier.device;
    let client = &supplier.owner;

    // Up through epoch s; killed early in s + 1 (once s is attested); back in s + 3. So
    // s + 1 (attestable only in s + 1 and s + 2) and s + 2 (no uptime) are missed.
    net.wait_for_epoch(s + 1).await;
    until("epoch s attested", Duration::from_secs(20), || async {
        let d = client.device(&device).await.unwrap();
        d.uptime.is_attested(s).then_some(())
    })
    .await;
    agent.kill();
    assert_eq!(net.epoch().await, s + 1, "killed during s + 1");
    net.wait_for_epoch(s + 3).await;
    let mut agent = Agent::start(&net, &supplier, &[]);
    agent.ready().await;

    let hire = until("the hire settled", Duration::from_secs(60), || async {
        let hire = renter.hire(&lease, &device).await.unwrap();
        hire.is_settled().then_some(hire)
    })
    .await;
    let uptime = client.device(&device).await.unwrap().uptime;
    let status: Vec<EpochAttestation> = (s..s + epochs).map(|e| uptime.status_of(e)).collect();
    assert_eq!(
        status,
        [
            EpochAttestation::Attested,
            EpochAttestation::Missed,
            EpochAttestation::Missed,
            EpochAttestation::Attested
        ],
        "{}",
        agent.log_text()
    );
    // The renter got the two missed epochs back; the owner was paid for the other two.
    let t = hire.terms;
    assert_eq!((hire.epochs_paid, hire.epochs_missed), (2, 2));
    assert_eq!(hire.refunded, 2 * (t.price + t.renter_fee));
    assert_eq!(hire.paid_to_owner, 2 * (t.price - t.supplier_fee));
    // A slash of the stake for the two missed hired epochs is pending.
    let staking = client.staking_config().await.unwrap();
    let specs = client.device(&device).await.unwrap().specs;
    let stake = client.stake_account(&device).await.unwrap();
    assert!(
        (1..=2).contains(&stake.pending_slashes),
        "{}",
        stake.pending_slashes
    );
    assert_eq!(
        stake.pending_slash_amount,
        staking.missed_slash(&specs, 2).unwrap()
    );
    // The restarted agent knows: two epochs missed on chain since it first ran.
    until(
        "the missed epochs counted",
        Duration::from_secs(10),
        || async { (agent.metric("gpunet_agent_epochs_missed_on_chain").await == 2).then_some(()) },
    )
    .await;
    agent.kill();
}
