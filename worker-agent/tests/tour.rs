//! The main job's tour with real agents (`gpunet localnet --demo --agents`): one
//! `gpunet-agent` process per device, with its own key and simulated hardware profile.
//! The agents attest, run the lease's job, serve the inferences, settle and claim; the
//! last one is stopped for the hire's last epoch. What the tour reports is on chain.

mod common;

use common::{Net, TempDir};
use gpunet_cli::demo::{self, DemoOptions};
use gpunet_cli::fleet::FleetOptions;
use gpunet_cli::output::Output;
use gpunet_sdk::Pubkey;
use gpunet_sdk::registry::EpochAttestation;
use serde_json::Value;
use solana_keypair::Keypair;

fn key(value: &Value) -> Pubkey {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an address: {value}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tour_with_agents_settles_refunds_records_and_rewards() {
    let net = Net::start("tour", 4).await;
    let agents = TempDir::new("tour-agents");
    let mut options = DemoOptions::from_state(&net.state, 3, 2).unwrap();
    options.grpc_url = Some(net.localnet.grpc_url.clone());
    options.agents = Some(FleetOptions {
        binary: env!("CARGO_BIN_EXE_gpunet-agent").into(),
        dir: agents.0.clone(),
        base_port: None,
    });
    let (summary, fleet) = demo::tour(&net.admin, &options, &Output { json: true })
        .await
        .expect("the tour runs");
    let fleet = fleet.expect("the agents");
    let client = net.client(Keypair::new());

    let lease = key(&summary["lease"]);
    let (start, end) = (
        summary["hire_epochs"]["start"].as_u64().unwrap(),
        summary["hire_epochs"]["end"].as_u64().unwrap(),
    );
    let devices = summary["devices"].as_array().unwrap();
    assert_eq!((devices.len(), fleet.len(), end - start), (3, 3, 2));
    let staking = client.staking_config().await.unwrap();
    for (i, reported) in devices.iter().enumerate() {
        let device = key(&reported["address"]);
        let account = client.device(&device).await.unwrap();
        // Simulated profiles: 8 × H100, 4 × A100, 2 × RTX 4090.
        assert_eq!(
            (account.specs.gpu_model, account.specs.gpu_count),
            [(100, 8), (90, 4), (40, 2)][i]
        );
        assert_eq!(account.agent, key(&reported["agent"]));
        // Every hired epoch attested by the agent, but the last device's last one.
        let missed = u64::from(i == 2);
        for epoch in start..end {
            let expected = if i == 2 && epoch + 1 == end {
                EpochAttestation::Missed
            } else {
                EpochAttestation::Attested
            };
            assert_eq!(
                account.uptime.status_of(epoch),
                expected,
                "device {i} epoch {epoch}"
            );
        }
        // Settled by the agents: paid for attested epochs, refunded for the missed one,
        // a slash pending for it.
        let hire = client.hire(&lease, &device).await.unwrap();
        let t = hire.terms;
        assert!(hire.is_settled() && hire.released);
        assert_eq!((hire.epochs_paid, hire.epochs_missed), (2 - missed, missed));
        assert_eq!(
            hire.paid_to_owner,
            (2 - missed) * (t.price - t.supplier_fee)
        );
        assert_eq!(hire.refunded, missed * (t.price + t.renter_fee));
        assert_eq!(reported["paid_to_owner"], hire.paid_to_owner);
        let stake = client.stake_account(&device).await.unwrap();
        assert_eq!(
            stake.pending_slash_amount,
            staking.missed_slash(&account.specs, missed).unwrap(),
            "device {i}"
        );
        // The job ran on every device: its reports are on chain.
        let log = client.receipt_log(&device).await.unwrap();
        assert!(
            log.count >= 1 && log.compute_units > 0,
            "device {i}: {log:?}"
        );
        // The owners' block rewards were claimed by the agents.
        assert!(stake.rewards_claimed > 0, "device {i}");
        assert_eq!(reported["rewards_claimed"], stake.rewards_claimed);
    }
    // The inferences went through the first agent's HTTP endpoint, paid by voucher.
    let inference = &summary["inference"];
    let session = key(&inference["session"]);
    let first = key(&devices[0]["address"]);
    let paid = client.session_paid(&session, &first).await.unwrap();
    assert!(paid > 0);
    assert_eq!(inference["paid"], paid);
    assert_eq!(inference["records"], 3);
    assert_eq!(summary["agents"].as_array().unwrap().len(), 3);
    drop(fleet);
}
