//! The `gpunet` binary as a user meets it: help, JSON output, and the errors people hit
//! first (a wrong keypair path, a chain that is not running, an empty wallet, a typo in
//! an address, a program refusing).

mod common;

use std::io::{BufRead, BufReader};
use std::sync::OnceLock;

use common::{Chain, TempDir, gpunet, json_of, keygen};
use gpunet_localnet::free_port;
use gpunet_sdk::escrow;
use gpunet_sdk::registry::{self, RegistryError};
use predicates::prelude::*;

/// One chain for the tests of this file (each test uses its own wallets).
fn chain() -> &'static Chain {
    static CHAIN: OnceLock<Chain> = OnceLock::new();
    CHAIN.get_or_init(|| Chain::start("cli", 2))
}

#[test]
fn top_level_help_lists_the_global_flags_and_command_groups() {
    let assert = gpunet().arg("--help").assert().success();
    let help = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    for expected in [
        "--url",
        "GPUNET_URL",
        "http://127.0.0.1:8899",
        "--keypair",
        "~/.config/solana/id.json",
        "--json",
        "localnet",
        "demo",
        "network",
        "device",
        "stake",
        "lease",
        "model",
        "session",
        "receipts",
        "airdrop",
        "keygen",
        "base units",
    ] {
        assert!(
            help.contains(expected),
            "`{expected}` missing from:\n{help}"
        );
    }
}

#[test]
fn subcommand_help_says_who_signs_and_which_units() {
    gpunet()
        .args(["lease", "hire", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("--devices")
                .and(predicate::str::contains("--epochs"))
                .and(predicate::str::contains("renter"))
                .and(predicate::str::contains("file of addresses")),
        );
    gpunet()
        .args(["device", "register", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("--price")
                .and(predicate::str::contains("--agent"))
                .and(predicate::str::contains("owner"))
                .and(predicate::str::contains("USDC"))
                .and(predicate::str::contains("1 USDC = 1000000")),
        );
    gpunet()
        .args(["device", "attest", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("agent key")
                .and(predicate::str::contains("--verifier-keypair")),
        );
}

#[test]
fn a_missing_or_malformed_keypair_file_is_named() {
    let dir = TempDir::new("keys");
    let missing = dir.path("nowhere/id.json");
    let device = "11111111111111111111111111111112";
    let output = gpunet()
        .arg("--keypair")
        .arg(&missing)
        .args(["--json", "device", "pause", device])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let error = json_of(&output)["error"].as_str().unwrap().to_string();
    assert!(
        error.contains(&missing.display().to_string()) && error.contains("cannot read keypair"),
        "{error}"
    );

    let malformed = dir.path("bad.json");
    std::fs::write(&malformed, "[1, 2, 3]").unwrap();
    gpunet()
        .arg("--keypair")
        .arg(&malformed)
        .args(["device", "pause", device])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains(malformed.display().to_string())
                .and(predicate::str::contains("malformed")),
        );
}

#[test]
fn an_unreachable_url_says_it_cannot_reach_it() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let output = gpunet()
        .args(["--url", &url, "--json", "network", "show"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let error = json_of(&output)["error"].as_str().unwrap().to_string();
    assert!(error.starts_with(&format!("cannot reach {url}")), "{error}");
}

#[test]
fn network_show_reports_the_initialised_network_as_json() {
    let chain = chain();
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&chain.state).unwrap()).unwrap();
    let admin = state["admin"].as_str().unwrap();
    let network = chain.ok(&chain.admin, &["network", "show"]);
    assert_eq!(network["admin"], admin);
    assert_eq!(network["address"], registry::config_address().to_string());
    assert_eq!(network["payment_mint"], state["payment_mint"]);
    assert_eq!(network["stake_mint"], state["stake_mint"]);
    assert_eq!(network["epoch_seconds"], 2);
    assert_eq!(network["verifier_quorum"], 2);
    assert_eq!(network["verifiers"].as_array().unwrap().len(), 3);
    assert_eq!(network["fees"]["renter_fee_bps"], 25);
    assert!(network["current_epoch"].as_u64().is_some(), "{network}");
    assert_eq!(network["staking"]["grace_epochs"], 1);
    assert_eq!(
        network["staking"]["base_stake_per_gpu"], 200_000_000_000u64,
        "200 tokens of 9 decimals"
    );
}

#[test]
fn a_registered_device_shows_as_json() {
    let chain = chain();
    let (owner, owner_key) = chain.wallet("owner-show", 5);
    let agent = keygen(&chain.dir.path("agent-show.json"));
    let registered = chain.ok(
        &owner,
        &[
            "device",
            "register",
            "--id",
            "7",
            "--agent",
            &agent,
            "--price",
            "2.5",
            "--gpus",
            "4",
            "--country",
            "DE",
        ],
    );
    let expected = registry::device_address(&owner_key.parse().unwrap(), 7).to_string();
    assert_eq!(registered["device"], expected);
    assert!(
        registered["signature"]
            .as_str()
            .is_some_and(|s| s.len() > 60)
    );

    let device = chain.ok(&owner, &["device", "show", &expected]);
    assert_eq!(device["owner"], owner_key);
    assert_eq!(device["agent"], agent);
    assert_eq!(device["device_id"], 7);
    assert_eq!(
        device["price_per_gpu_hour"], 2_500_000,
        "2.5 USDC in base units"
    );
    assert_eq!(device["specs"]["gpu_count"], 4);
    assert_eq!(device["specs"]["country"], "DE");
    assert_eq!(device["status"], "active");
    assert!(device["stake"].is_null(), "not staked yet: {device}");

    chain.ok(&owner, &["device", "pause", &expected]);
    let device = chain.ok(&owner, &["device", "show", &expected]);
    assert_eq!(device["status"], "paused");
}

#[test]
fn an_unfunded_wallet_is_told_to_fund_itself() {
    let chain = chain();
    let (poor, poor_key) = chain.wallet("poor", 0);
    let agent = keygen(&chain.dir.path("agent-poor.json"));
    let error = chain.fails(
        &poor,
        &[
            "device", "register", "--id", "1", "--agent", &agent, "--price", "1.0",
        ],
    );
    assert!(
        error.contains(&format!("fee payer {poor_key} has no SOL")) && error.contains("fund it"),
        "{error}"
    );
}

#[test]
fn a_device_that_does_not_exist_is_named_with_its_address() {
    let chain = chain();
    let (wallet, _) = chain.wallet("nobody", 2);
    let missing = keygen(&chain.dir.path("not-a-device.json"));
    let expected = format!("the device {missing} does not exist");
    let error = chain.fails(&wallet, &["device", "show", &missing]);
    assert_eq!(error, expected);
    let error = chain.fails(&wallet, &["stake", "deposit", &missing, "1.0"]);
    assert_eq!(error, expected);
}

#[test]
fn a_program_refusal_is_decoded_to_the_error_name() {
    let chain = chain();
    let (owner, owner_key) = chain.wallet("self-agent", 2);
    // The agent key must differ from the owner: the registry refuses it by name.
    let error = chain.fails(
        &owner,
        &[
            "device", "register", "--id", "1", "--agent", &owner_key, "--price", "1.0",
        ],
    );
    let number = u32::from(RegistryError::InvalidAgent);
    assert!(
        error.starts_with(&format!("registry refused: InvalidAgent (error {number}):")),
        "{error}"
    );
}

#[test]
fn hiring_devices_from_a_file_deposits_for_each() {
    let chain = chain();
    let admin = &chain.admin;
    let mut devices = Vec::new();
    for i in 0..3 {
        let (owner, owner_key) = chain.wallet(&format!("owner-hire-{i}"), 5);
        let agent = keygen(&chain.dir.path(&format!("agent-hire-{i}.json")));
        let registered = chain.ok(
            &owner,
            &[
                "device", "register", "--id", "1", "--agent", &agent, "--price", "1.8",
            ],
        );
        let device = registered["device"].as_str().unwrap().to_string();
        chain.ok(admin, &["mint", "stake", "200.0", "--to", &owner_key]);
        let staked = chain.ok(&owner, &["stake", "deposit", &device, "200.0"]);
        assert_eq!(staked["active"], 200_000_000_000u64);
        devices.push(device);
    }
    let (renter, renter_key) = chain.wallet("renter-hire", 5);
    chain.ok(admin, &["mint", "usdc", "100.0", "--to", &renter_key]);
    let lease = chain.ok(
        &renter,
        &[
            "lease",
            "create",
            "--id",
            "1",
            "--name",
            "batch",
            "--max-price",
            "2.0",
        ],
    )["lease"]
        .as_str()
        .unwrap()
        .to_string();
    let list = chain.dir.path("devices.txt");
    std::fs::write(&list, devices.join("\n") + "\n").unwrap();
    let hired = chain.ok(
        &renter,
        &[
            "lease",
            "hire",
            &lease,
            "--devices",
            list.to_str().unwrap(),
            "--epochs",
            "3",
        ],
    );
    assert_eq!(
        (hired["total"].as_u64(), hired["failed"].as_u64()),
        (Some(3), Some(0))
    );

    // 1.8 USDC per GPU-hour, 1 GPU, 2 s epochs: 1000 base units per epoch, plus 0.25 %.
    let price = 1_800_000u64 * 2 / 3600;
    let per_epoch = price + price * 25 / 10_000;
    assert_eq!(
        hired["deposited"].as_u64(),
        Some(3 * 3 * per_epoch),
        "{hired}"
    );
    let shown = chain.ok(&renter, &["lease", "show", &lease]);
    assert_eq!(shown["hires"], 3);
    assert_eq!(shown["vault_balance"].as_u64(), Some(3 * 3 * per_epoch));
    let hired_devices: Vec<&str> = shown["hire_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["device"].as_str().unwrap())
        .collect();
    for device in &devices {
        assert!(
            hired_devices.contains(&device.as_str()),
            "{device} not hired: {shown}"
        );
    }
    let balance = chain.ok(&renter, &["balance"]);
    assert_eq!(
        balance["usdc"].as_u64(),
        Some(100_000_000 - 3 * 3 * per_epoch)
    );

    // A device cannot be hired twice at once: its lock account exists.
    let error = chain.fails(
        &renter,
        &[
            "lease",
            "hire",
            &lease,
            "--devices",
            &devices[0],
            "--epochs",
            "1",
        ],
    );
    assert_eq!(
        error,
        format!(
            "1 of 1 hires failed; first error: the device {} is already hired (its lock {} \
             exists)",
            devices[0],
            escrow::lock_address(&devices[0].parse().unwrap())
        )
    );
}

#[test]
fn localnet_starts_the_chain_and_initialises_the_network() {
    let dir = TempDir::new("localnet");
    let keypair = dir.path("authority.json");
    let authority = keygen(&keypair);
    let state = dir.path("state.json");
    let rpc_port = free_port().to_string();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("gpunet"))
        .arg("--keypair")
        .arg(&keypair)
        .args([
            "--json",
            "localnet",
            "--rpc-port",
            &rpc_port,
            "--ws-port",
            &free_port().to_string(),
            "--grpc-port",
            &free_port().to_string(),
            "--slot-time-ms",
            "100",
            "--state",
            state.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gpunet localnet starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let announced: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    let url = format!("http://127.0.0.1:{rpc_port}");
    assert_eq!(announced["rpc_url"], url);
    assert!(announced["grpc_url"].as_str().is_some(), "{announced}");
    assert_eq!(
        announced["network"]["epoch_seconds"], 4,
        "the local default"
    );
    assert_eq!(announced["network"]["verifier_quorum"], 2);

    let network = gpunet()
        .args(["--url", &url, "--json", "network", "show"])
        .output()
        .unwrap();
    let network = json_of(&network);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(network["admin"], authority);
    assert_eq!(network["payment_mint"], written["payment_mint"]);
    assert_eq!(network["verifiers"].as_array().map(Vec::len), Some(3));
}
