//! The inference endpoint serves only for good vouchers: missing, malformed, forged,
//! replayed, too small and over-limit ones are refused and charge nothing; what was served
//! is recorded on chain and paid exactly what the agent charged.

mod common;

use std::time::Duration;

use common::{Agent, Inference, Net, infer, receipts_on_chain, until};
use gpunet_sdk::Pubkey;
use solana_keypair::Keypair;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_refuses_bad_vouchers_and_charges_only_what_it_served() {
    let net = Net::start("inference", 3).await;
    let supplier = net.supplier("rtx4090x2").await;
    let deposit = 100_000;
    let inference = Inference::set_up(&net, &supplier, "tr a-z A-Z", deposit).await;
    let mut agent = Agent::start(&net, &supplier, &[]);
    agent.ready().await;
    let (session, device, max_cost) = (inference.session, supplier.device, inference.max_cost());
    let good = |cumulative| inference.voucher(&inference.authorizer, &device, cumulative);

    // Missing: no voucher at all.
    let a = infer(&agent, Some(&session), None, "hello").await;
    assert_eq!(
        (a.status, a.code.as_deref()),
        (401, Some("missing")),
        "{a:?}"
    );
    // Malformed: not <cumulative>:<signature>, or no session.
    let a = infer(&agent, Some(&session), Some("lots:of-money"), "hello").await;
    assert_eq!(
        (a.status, a.code.as_deref()),
        (400, Some("malformed")),
        "{a:?}"
    );
    let a = infer(&agent, None, Some(&good(max_cost)), "hello").await;
    assert_eq!(a.status, 400, "{a:?}");
    // Forged: signed by the consumer instead of the session's authoriser, by a stranger,
    // or by the authoriser for another device.
    for forged in [
        inference.voucher(inference.consumer_key(), &device, max_cost),
        inference.voucher(&Keypair::new(), &device, max_cost),
        inference.voucher(&inference.authorizer, &Pubkey::new_unique(), max_cost),
    ] {
        let a = infer(&agent, Some(&session), Some(&forged), "hello").await;
        assert_eq!(
            (a.status, a.code.as_deref()),
            (401, Some("forged")),
            "{a:?}"
        );
    }
    // Over the limit: more than the session holds.
    let a = infer(&agent, Some(&session), Some(&good(deposit + 1)), "hello").await;
    assert_eq!(
        (a.status, a.code.as_deref()),
        (402, Some("over_limit")),
        "{a:?}"
    );
    // Too small to cover the most a request can cost.
    let a = infer(&agent, Some(&session), Some(&good(max_cost - 1)), "hello").await;
    assert_eq!(
        (a.status, a.code.as_deref()),
        (402, Some("too_small")),
        "{a:?}"
    );
    // An unknown session.
    let a = infer(
        &agent,
        Some(&Pubkey::new_unique()),
        Some(&good(max_cost)),
        "hi",
    )
    .await;
    assert_eq!(
        (a.status, a.code.as_deref()),
        (404, Some("unknown_session")),
        "{a:?}"
    );

    // A good voucher is served: the model's answer, and its charge.
    let first = infer(&agent, Some(&session), Some(&good(max_cost)), "hello gpu").await;
    assert_eq!(
        (first.status, first.body.as_str()),
        (200, "HELLO GPU"),
        "{first:?}"
    );
    assert!(first.amount > 0 && first.amount <= max_cost && first.amount % inference.price == 0);
    assert_eq!(first.charged, first.amount);
    // Replayed: the same voucher again, or an older one.
    for replay in [good(max_cost), good(max_cost - 1)] {
        let a = infer(&agent, Some(&session), Some(&replay), "hello").await;
        assert_eq!(
            (a.status, a.code.as_deref()),
            (409, Some("replayed")),
            "{a:?}"
        );
    }
    // The next voucher covers what was charged plus one more request.
    let second_voucher = good(first.charged + max_cost);
    let second = infer(&agent, Some(&session), Some(&second_voucher), "again").await;
    assert_eq!(
        (second.status, second.body.as_str()),
        (200, "AGAIN"),
        "{second:?}"
    );
    assert_eq!(second.charged, first.amount + second.amount);
    let a = infer(&agent, Some(&session), Some(&second_voucher), "replay").await;
    assert_eq!(a.status, 409, "{a:?}");

    // Exactly the two served requests are recorded and paid, nothing for the refusals.
    let client = &inference.consumer;
    until(
        "both receipts on chain",
        Duration::from_secs(30),
        || async { (receipts_on_chain(client, &device).await == 2).then_some(()) },
    )
    .await;
    assert_eq!(
        client.session_paid(&session, &device).await.unwrap(),
        second.charged
    );
    assert_eq!(
        client.session(&session).await.unwrap().spent,
        second.charged
    );
    for (reason, count) in [
        ("missing", 1),
        ("malformed", 2),
        ("forged", 3),
        ("over_limit", 1),
        ("too_small", 1),
        ("unknown_session", 1),
        ("replayed", 3),
    ] {
        let metric = format!("gpunet_agent_vouchers_refused_total{{reason=\"{reason}\"}}");
        assert_eq!(agent.metric(&metric).await, count, "{reason}");
    }
    assert_eq!(
        agent.metric("gpunet_agent_inferences_served_total").await,
        2
    );
    until("nothing pending", Duration::from_secs(10), || async {
        (agent.metric("gpunet_agent_receipts_pending").await == 0).then_some(())
    })
    .await;

    // A burst larger than one transaction can carry (8 inference records fit, see
    // docs/compute-units.md) goes in several batches, all recorded and paid.
    let batches = agent.metric("gpunet_agent_batches_confirmed_total").await;
    let charged = inference.serve(&agent, &device, second.charged, 20).await;
    until("the burst on chain", Duration::from_secs(60), || async {
        (receipts_on_chain(client, &device).await == 22).then_some(())
    })
    .await;
    assert_eq!(
        client.session_paid(&session, &device).await.unwrap(),
        charged
    );
    // The chain counts a batch a moment before the agent records it landed.
    until("the burst recorded", Duration::from_secs(10), || async {
        (agent.metric("gpunet_agent_receipts_pending").await == 0).then_some(())
    })
    .await;
    assert!(
        agent.metric("gpunet_agent_batches_confirmed_total").await >= batches + 3,
        "at least three batches for 20 receipts"
    );
    assert!(
        !agent.log_text().contains("too large"),
        "every batch was sized to fit its transaction:\n{}",
        agent.log_text()
    );
    agent.kill();
}
