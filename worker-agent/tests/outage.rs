//! An RPC outage (every connection to the chain's RPC endpoint dropped, new ones refused)
//! delays the agent's work but loses none of it: the receipt answered just before waits
//! in the outbox and lands afterwards, no epoch goes unattested, and the agent says it is
//! degraded while it lasts.

mod common;

use std::time::Duration;

use common::{Agent, Inference, Net, Outage, infer, receipts_on_chain, until};
use gpunet_sdk::registry::EpochAttestation;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rpc_outage_delays_the_agent_but_loses_nothing() {
    let net = Net::start("outage", 4).await;
    let supplier = net.supplier("cpu").await;
    let inference = Inference::set_up(&net, &supplier, "cat", 1_000_000).await;
    let outage = Outage::proxy(&net.localnet.rpc_url).await;
    let mut agent = Agent::start_with(
        &net,
        &supplier,
        &[],
        &["--rpc-url", &outage.url, "--batch-wait-ms", "1500"],
    );
    agent.ready().await;
    let first = net.epoch().await;
    let (device, session) = (supplier.device, inference.session);
    let client = &inference.consumer;

    // One inference answered, then the outage starts before its batch is sent.
    let voucher = inference.voucher(&inference.authorizer, &device, inference.max_cost());
    let served = infer(&agent, Some(&session), Some(&voucher), "before the outage").await;
    assert_eq!(served.status, 200, "{served:?}");
    outage.cut();
    let cut_at = std::time::Instant::now();

    // While it lasts: requests that need the chain are refused as unavailable (not
    // charged), and the agent reports itself degraded.
    let voucher = inference.voucher(
        &inference.authorizer,
        &device,
        served.charged + inference.max_cost(),
    );
    let refused = infer(&agent, Some(&session), Some(&voucher), "during").await;
    assert_eq!(
        (refused.status, refused.code.as_deref()),
        (503, Some("chain_unavailable")),
        "{refused:?}"
    );
    let health = until("degraded health", Duration::from_secs(5), || async {
        let health = agent.health().await;
        (health["status"] == "degraded").then_some(health)
    })
    .await;
    assert!(
        health["problems"].to_string().contains("recent error"),
        "{health}"
    );
    tokio::time::sleep(Duration::from_millis(2_500).saturating_sub(cut_at.elapsed())).await;
    assert_eq!(
        receipts_on_chain(client, &device).await,
        0,
        "nothing got through"
    );
    outage.restore();

    // Afterwards: the receipt is on chain once, paid what was charged, and the agent
    // serves again (the refused request's voucher was never used, so it still works).
    until("the receipt on chain", Duration::from_secs(30), || async {
        (receipts_on_chain(client, &device).await == 1).then_some(())
    })
    .await;
    assert_eq!(
        client.session_paid(&session, &device).await.unwrap(),
        served.charged
    );
    let again = infer(&agent, Some(&session), Some(&voucher), "after").await;
    assert_eq!(again.status, 200, "{again:?}");
    assert!(agent.metric("gpunet_agent_rpc_errors_total").await > 0);

    // No epoch went unattested through the outage.
    let now = net.epoch().await;
    net.wait_for_epoch(now + 1).await;
    let device_account = until(
        "the last epoch attested",
        Duration::from_secs(10),
        || async {
            let d = client.device(&device).await.unwrap();
            d.uptime.is_attested(now).then_some(d)
        },
    )
    .await;
    for epoch in first..=now {
        assert_eq!(
            device_account.uptime.status_of(epoch),
            EpochAttestation::Attested,
            "epoch {epoch}:\n{}",
            agent.log_text()
        );
    }
    agent.kill();
}
