//! `gpunet-agent init` on a new machine: the agent key is created once, the hardware
//! described, the config written, and the transaction it prints for the owner's wallet,
//! signed by the owner alone, registers the device with this agent key and stakes its
//! minimum. The agent then runs from the written config.

mod common;

use std::process::Command;

use base64::Engine;
use common::{Net, SOL, TempDir};
use gpunet_agent::config::Settings;
use gpunet_sdk::client::keyfile;
use gpunet_sdk::registry;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;

fn init(dir: &TempDir, rpc_url: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_gpunet-agent"))
        .arg("--data-dir")
        .arg(&dir.0)
        .args([
            "--rpc-url",
            rpc_url,
            "--profile",
            "a100x4",
            "--country",
            "DE",
        ])
        .arg("init")
        .args(args)
        .env_remove("GPUNET_AGENT_CONFIG")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_prints_a_transaction_that_registers_and_stakes_the_device() {
    let net = Net::start("init", 4).await;
    let owner_key = Keypair::new();
    let owner = net.client(owner_key.insecure_clone());
    net.admin.airdrop(&owner.pubkey(), 10 * SOL).await.unwrap();
    let (_, stake_mint) = net.admin.mints().await.unwrap();
    net.admin
        .mint_to(&stake_mint.mint, &owner.pubkey(), 10_000 * 1_000_000_000)
        .await
        .unwrap();

    let dir = TempDir::new("init");
    let rpc = net.localnet.rpc_url.clone();
    let owner_text = owner.pubkey().to_string();
    let args = [
        "--owner",
        owner_text.as_str(),
        "--device-id",
        "3",
        "--price",
        "2.5",
    ];
    let (ok, out, err) = init(&dir, &rpc, &args);
    assert!(ok, "{out}\n{err}");
    let agent = keyfile::read(&dir.path("agent-keypair.json"), "").unwrap();
    let device = registry::device_address(&owner.pubkey(), 3);
    // What the owner runs, with every fact of the machine.
    for part in [
        format!(
            "gpunet device register --id 3 --agent {} --price 2.5",
            agent.pubkey()
        ),
        "--gpu-model 90 --gpus 4".to_string(),
        "--country DE".to_string(),
        format!("gpunet stake deposit {device} 800"),
    ] {
        assert!(out.contains(&part), "{part:?} missing from:\n{out}");
    }
    // The config names the device, the key and the hardware facts.
    let config = Settings::read(&dir.path("agent.toml")).unwrap();
    assert_eq!(config.device, Some(device.to_string()));
    assert_eq!(config.hardware.unwrap().profile.as_deref(), Some("a100x4"));

    // Run again: the key is kept.
    let (ok, again, _) = init(&dir, &rpc, &args);
    assert!(ok && again.contains("kept"), "{again}");
    assert_eq!(
        keyfile::read(&dir.path("agent-keypair.json"), "")
            .unwrap()
            .pubkey(),
        agent.pubkey()
    );

    // The owner's wallet signs the printed transaction; it registers and stakes.
    let line = again
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("Or as one transaction"))
        .find(|l| !l.is_empty() && !l.starts_with("Or as"))
        .expect("a transaction line");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(line)
        .unwrap();
    let mut tx: Transaction = bincode::deserialize(&bytes).unwrap();
    assert_eq!(tx.message.account_keys[0], owner.pubkey(), "the owner pays");
    let blockhash = tx.message.recent_blockhash;
    tx.try_sign(&[&owner_key], blockhash).unwrap();
    owner
        .rpc()
        .send_and_confirm_transaction(&tx)
        .await
        .expect("the owner's transaction lands");
    let registered = owner.device(&device).await.unwrap();
    assert_eq!(registered.agent, agent.pubkey());
    assert_eq!(
        (
            registered.specs.gpu_model,
            registered.specs.gpu_count,
            &registered.specs.country
        ),
        (90, 4, b"DE")
    );
    assert_eq!(registered.price_per_gpu_hour, 2_500_000);
    let staking = owner.staking_config().await.unwrap();
    let stake = owner.stake_account(&device).await.unwrap();
    assert_eq!(stake.active, staking.min_stake(&registered.specs).unwrap());

    // Garbage is refused with the reason.
    let (ok, _, err) = init(&dir, &rpc, &["--price", "lots"]);
    assert!(!ok && err.contains("lots"), "{err}");
    let bad_profile = Command::new(env!("CARGO_BIN_EXE_gpunet-agent"))
        .arg("--data-dir")
        .arg(&dir.0)
        .args(["--profile", "h900", "init"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad_profile.stderr);
    assert!(
        !bad_profile.status.success() && err.contains("h100x8"),
        "{err}"
    );
}
