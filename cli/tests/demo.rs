//! `gpunet demo` runs the whole tour against a local chain, and what it reports is what
//! the chain holds: every settlement exact to the base unit, refunds for the missed epoch,
//! the slash proposal, the receipts, the rewards.

mod common;

use common::Chain;
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::GpunetClient;
use gpunet_sdk::escrow;
use serde_json::Value;
use solana_keypair::Keypair;

fn key(value: &Value) -> Pubkey {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an address: {value}"))
}

#[test]
fn the_demo_settles_refunds_and_rewards_exactly() {
    let chain = Chain::start("demo", 2);
    let state = chain.state.to_str().unwrap();
    let started = std::time::Instant::now();
    let summary = chain.ok(
        &chain.admin,
        &["demo", "--state", state, "--devices", "3", "--epochs", "2"],
    );
    eprintln!("demo ran in {:?}", started.elapsed());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = GpunetClient::new(chain.localnet.rpc_url.clone(), Keypair::new());
    runtime.block_on(check(&client, &summary));
}

async fn check(client: &GpunetClient, summary: &Value) {
    let lease = key(&summary["lease"]);
    let renter = key(&summary["renter"]);
    let (start, end) = (
        summary["hire_epochs"]["start"].as_u64().unwrap(),
        summary["hire_epochs"]["end"].as_u64().unwrap(),
    );
    assert_eq!(end - start, 2, "{summary}");
    let staking = client.staking_config().await.unwrap();
    let devices = summary["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 3);

    hand_computed(client, devices, start).await;

    let (mut deposited, mut refunded) = (0, 0);
    for (i, reported) in devices.iter().enumerate() {
        let device = key(&reported["address"]);
        let hire = client.hire(&lease, &device).await.unwrap();
        let t = hire.terms;
        // The last device's agent skipped the last epoch.
        let missed = u64::from(i == devices.len() - 1);
        assert_eq!(hire.settled_through, end, "every epoch settled");
        assert!(hire.released);
        assert_eq!((hire.epochs_paid, hire.epochs_missed), (2 - missed, missed));
        assert_eq!(
            hire.paid_to_owner,
            (2 - missed) * (t.price - t.supplier_fee)
        );
        assert_eq!(hire.fees, (2 - missed) * (t.supplier_fee + t.renter_fee));
        assert_eq!(hire.refunded, missed * (t.price + t.renter_fee));
        assert_eq!(reported["paid_to_owner"].as_u64(), Some(hire.paid_to_owner));
        assert_eq!(reported["refunded"].as_u64(), Some(hire.refunded));
        deposited += 2 * (t.price + t.renter_fee);
        refunded += hire.refunded;

        // The owner holds exactly its pay (and the first device's inference earnings).
        let owner = key(&reported["owner"]);
        let inference = if i == 0 {
            client.receipt_log(&device).await.unwrap().totals.worker
        } else {
            0
        };
        assert_eq!(
            client.payment_balance(&owner).await.unwrap(),
            hire.paid_to_owner + inference
        );

        // A missed epoch proposes a slash of 1 % of the minimum stake, pending.
        let stake = client.stake_account(&device).await.unwrap();
        let specs = client.device(&device).await.unwrap().specs;
        let expected_slash = staking.missed_slash(&specs, missed).unwrap();
        assert_eq!(
            (stake.pending_slashes, stake.pending_slash_amount),
            (u32::from(missed == 1), expected_slash)
        );

        // Rewards: its share of every epoch it attested, all claimed to the owner.
        let weight = staking.weight(&specs);
        let mut expected_rewards = 0;
        for epoch in start..end - missed {
            expected_rewards += client.epoch_rewards(epoch).await.unwrap().share(weight);
        }
        assert!(expected_rewards > 0);
        assert_eq!(stake.rewards_claimed, expected_rewards);
        assert!(stake.pending_rewards.is_empty(), "everything claimed");
        assert_eq!(
            client.stake_token_balance(&owner).await.unwrap(),
            expected_rewards,
            "the owner staked all it had, so it holds exactly its rewards"
        );
    }

    let account = client.lease(&lease).await.unwrap();
    assert_eq!(account.job, gpunet_cli::demo::DEMO_JOB);
    assert_eq!(account.totals.deposited, deposited);
    assert_eq!(account.totals.refunded, refunded);
    assert!(refunded > 0, "the missed epoch was refunded");
    assert_eq!(
        client
            .token_balance(&escrow::vault_address(&lease))
            .await
            .unwrap(),
        0,
        "a fully settled lease holds nothing"
    );
    let minted = summary["renter_usdc_minted"].as_u64().unwrap();
    assert_eq!(
        client.payment_balance(&renter).await.unwrap(),
        minted - deposited + refunded
    );

    // Device 0 logged 2 lease-job records and 3 paid inference records.
    let first = key(&devices[0]["address"]);
    let log = client.receipt_log(&first).await.unwrap();
    assert_eq!(log.count, 5);
    assert_eq!(summary["receipt_log"]["count"], 5);
    let inference = &summary["inference"];
    assert_eq!(log.totals.amount, inference["paid"].as_u64().unwrap());
    assert_eq!(
        log.totals.amount,
        (1_200 + 800 + 1_500) * 3,
        "3 base units per GPU-ms"
    );
    let session = client.session(&key(&inference["session"])).await.unwrap();
    assert_eq!(session.spent, log.totals.amount);

    // Every step the tour narrated carries a transaction signature.
    let steps = summary["steps"].as_array().unwrap();
    assert!(steps.len() >= 20, "{} steps", steps.len());
    assert!(
        steps
            .iter()
            .all(|s| s["signature"].as_str().is_some_and(|x| x.len() > 60))
    );
    assert_eq!(summary["where_to_look"]["lease"], lease.to_string());
}

/// The slash and the rewards of the tour worked out by hand from its parameters (those of
/// `network init` in `Chain::start`: a minimum stake of 200 network tokens (9 decimals)
/// per GPU of multiplier 1×, H100s (GPU model 100) weighing 4×, a slash of 1 %
/// (`missed_epoch_bps` 100) of the minimum stake per missed epoch, 4566 network tokens of
/// rewards per epoch) and its devices (0: 8 H100s; 1: 4 plain GPUs; 2: 2 plain GPUs,
/// which misses the second of the 2 epochs).
async fn hand_computed(client: &GpunetClient, devices: &[Value], start: u64) {
    // Device 2: minimum stake 200 × 2 GPUs × 1 = 400 tokens = 400_000_000_000 base units;
    // one missed epoch slashes 1 % of it: 4 tokens.
    let third = key(&devices[2]["address"]);
    assert_eq!(devices[2]["stake"], 400_000_000_000u64);
    let stake = client.stake_account(&third).await.unwrap();
    assert_eq!(
        (stake.pending_slashes, stake.pending_slash_amount),
        (1, 4_000_000_000)
    );

    // Weights (multiplier bps × GPUs): device 0 40_000 × 8 = 320_000, device 1
    // 10_000 × 4 = 40_000, device 2 10_000 × 2 = 20_000.
    // First epoch, all three attested: total 380_000; device 1's share of the
    // 4_566_000_000_000 emitted is 4_566_000_000_000 × 40_000 / 380_000
    // = 480_631_578_947.37, rounded down.
    let first_epoch = client.epoch_rewards(start).await.unwrap();
    assert_eq!(
        (first_epoch.emission, first_epoch.total_weight),
        (4_566_000_000_000, 380_000)
    );
    // Second epoch, device 2 missed it: total 360_000; device 1 gets
    // 4_566_000_000_000 × 40_000 / 360_000 = 507_333_333_333.33, rounded down.
    let second_epoch = client.epoch_rewards(start + 1).await.unwrap();
    assert_eq!(second_epoch.total_weight, 360_000);
    // Claimed by device 1's owner: 480_631_578_947 + 507_333_333_333.
    let second = key(&devices[1]["address"]);
    let stake = client.stake_account(&second).await.unwrap();
    assert_eq!(stake.rewards_claimed, 987_964_912_280);
    assert_eq!(devices[1]["rewards_claimed"], 987_964_912_280u64);
}
