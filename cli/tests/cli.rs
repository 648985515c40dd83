//! The `gpunet` binary as a user meets it: help, JSON output, and the errors people hit
//! first (a wrong keypair path, a chain that is not running, an empty wallet, a typo in
//! an address, a program refusing).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

use common::{Chain, TempDir, gpunet, json_of, keygen};
use gpunet_localnet::free_port;
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::{ClientError, GpunetClient};
use gpunet_sdk::escrow::{self, EscrowError};
use gpunet_sdk::registry::{self, RegistryError};
use predicates::prelude::*;
use serde_json::Value;

/// One chain for the tests of this file (each test uses its own wallets).
fn chain() -> &'static Chain {
    static CHAIN: OnceLock<Chain> = OnceLock::new();
    CHAIN.get_or_init(|| Chain::start("cli", 2))
}

/// Runs `gpunet <args>` and checks that its help (stdout, exit 0) mentions every `needle`.
fn assert_help_mentions(args: &[&str], needles: &[&str]) {
    let assert = gpunet().args(args).assert().success();
    let help = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    for needle in needles {
        assert!(
            help.contains(needle),
            "`{needle}` missing from `gpunet {args:?}`:\n{help}"
        );
    }
}

#[test]
fn top_level_help_lists_the_global_flags_and_command_groups() {
    assert_help_mentions(
        &["--help"],
        &[
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
            "Amounts are in whole tokens",
            "Base units take a `u` suffix",
        ],
    );
}

#[test]
fn subcommand_help_says_who_signs_and_which_units() {
    assert_help_mentions(
        &["lease", "hire", "--help"],
        &["--devices", "--epochs", "renter", "file of addresses"],
    );
    assert_help_mentions(
        &["device", "register", "--help"],
        &[
            "--price",
            "--agent",
            "owner",
            "USDC",
            "whole tokens",
            "1 USDC = 1000000u",
            "--green",
            "--no-green",
        ],
    );
    assert_help_mentions(
        &["lease", "create", "--help"],
        &["--job", "cmd:", "image:", "sh -c", "benchmark", "renter"],
    );
    assert_help_mentions(
        &["model", "register", "--help"],
        &["--price-per-unit", "3u in base units"],
    );
    assert_help_mentions(
        &["device", "attest", "--help"],
        &["agent key", "--verifier-keypair"],
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
    assert_eq!(
        registered["price_per_gpu_hour"], 2_500_000,
        "2.5 USDC in base units"
    );
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
            "device", "register", "--id", "1", "--agent", &agent, "--price", "1",
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
    let error = chain.fails(&wallet, &["stake", "deposit", &missing, "1"]);
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
            "device", "register", "--id", "1", "--agent", &owner_key, "--price", "1",
        ],
    );
    let number = u32::from(RegistryError::InvalidAgent);
    assert!(
        error.starts_with(&format!("registry refused: InvalidAgent (error {number}):")),
        "{error}"
    );
}

#[test]
fn a_lease_job_with_an_unknown_scheme_is_refused_by_name() {
    let chain = chain();
    let (renter, _) = chain.wallet("bad-job", 2);
    let error = chain.fails(
        &renter,
        &[
            "lease",
            "create",
            "--id",
            "1",
            "--name",
            "bad-job",
            "--job",
            "docker:nginx",
            "--max-price",
            "2",
        ],
    );
    let number = u32::from(EscrowError::InvalidJob);
    assert!(
        error.starts_with(&format!("escrow refused: InvalidJob (error {number}):")),
        "{error}"
    );
}

/// 1.8 USDC per GPU-hour, 1 GPU, 2 s epochs: 1000 base units per epoch, plus the
/// renter's 0.25 % fee (2.5, rounded down).
const PER_EPOCH: u64 = 1_000 + 2;

/// A device registered at 1.8 USDC per GPU-hour (`price` as typed) by a new owner and
/// staked with its minimum, 200 network tokens.
fn staked_device(chain: &Chain, name: &str, price: &str) -> String {
    let (owner, owner_key) = chain.wallet(&format!("owner-{name}"), 5);
    let agent = keygen(&chain.dir.path(&format!("agent-{name}.json")));
    let registered = chain.ok(
        &owner,
        &[
            "device", "register", "--id", "1", "--agent", &agent, "--price", price,
        ],
    );
    assert_eq!(registered["price_per_gpu_hour"], 1_800_000, "{registered}");
    let device = registered["device"].as_str().unwrap().to_string();
    let minted = chain.ok(&chain.admin, &["mint", "stake", "200", "--to", &owner_key]);
    assert_eq!(minted["amount"], 200_000_000_000u64, "200 whole tokens");
    let staked = chain.ok(&owner, &["stake", "deposit", &device, "200"]);
    assert_eq!(staked["amount"], 200_000_000_000u64);
    assert_eq!(staked["active"], 200_000_000_000u64);
    device
}

/// A new renter with `usdc` (as typed) and a lease of it; returns (keypair, lease).
fn renter_with_lease(chain: &Chain, name: &str, usdc: &str) -> (std::path::PathBuf, String) {
    let (renter, renter_key) = chain.wallet(&format!("renter-{name}"), 5);
    chain.ok(&chain.admin, &["mint", "usdc", usdc, "--to", &renter_key]);
    let lease = chain.ok(
        &renter,
        &[
            "lease",
            "create",
            "--id",
            "1",
            "--name",
            name,
            "--job",
            &format!("cmd:echo {name}"),
            "--max-price",
            "2",
        ],
    );
    assert_eq!(lease["job"], format!("cmd:echo {name}"));
    let lease = lease["lease"].as_str().unwrap().to_string();
    (renter, lease)
}

#[test]
fn hiring_devices_from_a_file_deposits_for_each() {
    let chain = chain();
    // The same price typed in whole USDC and in base units.
    let devices: Vec<String> = ["1.8", "1800000u", "1.8"]
        .iter()
        .enumerate()
        .map(|(i, price)| staked_device(chain, &format!("hire-{i}"), price))
        .collect();
    let (renter, lease) = renter_with_lease(chain, "batch", "100");
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
    assert!(hired.get("error").is_none(), "{hired}");
    assert_eq!(
        hired["deposited"].as_u64(),
        Some(3 * 3 * PER_EPOCH),
        "{hired}"
    );
    let shown = chain.ok(&renter, &["lease", "show", &lease]);
    assert_eq!(shown["job"], "cmd:echo batch");
    assert_eq!(shown["hires"], 3);
    assert_eq!(shown["vault_balance"].as_u64(), Some(3 * 3 * PER_EPOCH));
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
        Some(100_000_000 - 3 * 3 * PER_EPOCH)
    );
}

#[test]
fn a_partly_failed_batch_reports_every_signature_and_error_and_exits_non_zero() {
    let chain = chain();
    let busy = staked_device(chain, "busy", "1.8");
    let free = staked_device(chain, "free", "1.8");
    let (renter, lease) = renter_with_lease(chain, "partial", "10");
    let first = chain.ok(
        &renter,
        &["lease", "hire", &lease, "--devices", &busy, "--epochs", "2"],
    );
    assert_eq!(first["deposited"].as_u64(), Some(2 * PER_EPOCH));

    // A device cannot be hired twice at once (its lock exists); the other one is hired.
    let batch = chain.fails_with(
        &renter,
        &[
            "lease",
            "hire",
            &lease,
            "--devices",
            &format!("{busy},{free}"),
            "--epochs",
            "1",
        ],
    );
    let already_hired = format!(
        "the device {busy} is already hired (its lock {} exists)",
        escrow::lock_address(&busy.parse().unwrap())
    );
    assert_eq!(
        (batch["total"].as_u64(), batch["failed"].as_u64()),
        (Some(2), Some(1)),
        "{batch}"
    );
    let results = batch["results"].as_array().unwrap();
    assert_eq!(results[0]["device"], busy.as_str());
    assert_eq!(results[0]["error"], already_hired.as_str());
    assert_eq!(results[1]["device"], free.as_str());
    let signature = results[1]["signature"].as_str().unwrap();
    assert!(signature.len() > 60, "{batch}");
    assert_eq!(
        batch["error"],
        format!("1 of 2 hires failed; first error: {already_hired}").as_str()
    );
    // This batch's deposit (one epoch of one device), not the lease's running total.
    assert_eq!(batch["deposited"].as_u64(), Some(PER_EPOCH), "{batch}");
    let shown = chain.ok(&renter, &["lease", "show", &lease]);
    assert_eq!(shown["totals"]["deposited"].as_u64(), Some(3 * PER_EPOCH));
    assert_eq!(shown["hires"], 2, "the free device is hired: {shown}");

    // People get the report on stdout and the failure on stderr.
    gpunet()
        .arg("--url")
        .arg(&chain.localnet.rpc_url)
        .arg("--keypair")
        .arg(&renter)
        .args(["lease", "hire", &lease, "--devices", &busy, "--epochs", "1"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("failed: 1")
                .and(predicate::str::contains(format!("device: {busy}")))
                .and(predicate::str::contains("is already hired"))
                .and(predicate::str::contains("deposited: 0 USDC (0u)")),
        )
        .stderr(predicate::str::starts_with("error: 1 of 1 hires failed"));
}

/// The network's current epoch, by the chain clock.
fn current_epoch(chain: &Chain) -> u64 {
    chain.ok(&chain.admin, &["network", "show"])["current_epoch"]
        .as_u64()
        .unwrap()
}

/// Waits for the next epoch boundary, so that what follows runs early in an epoch.
fn next_epoch(chain: &Chain) -> u64 {
    let now = current_epoch(chain);
    loop {
        let epoch = current_epoch(chain);
        if epoch > now {
            return epoch;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The hire of `device` as `lease show` prints it.
fn hire_of(chain: &Chain, renter: &Path, lease: &str, device: &str) -> Value {
    let shown = chain.ok(renter, &["lease", "show", lease]);
    shown["hire_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["device"] == device)
        .cloned()
        .unwrap_or_else(|| panic!("no hire of {device}: {shown}"))
}

/// Settles `device`'s hire through its last epoch, unless it is settled already: `lease
/// settle --through` waits until the clock that executes the settlement makes it final.
fn settle_when_final(chain: &Chain, renter: &Path, lease: &str, device: &str) {
    let hire = hire_of(chain, renter, lease, device);
    if hire["settled_through"] == hire["end_epoch"] {
        return;
    }
    let end = hire["end_epoch"].as_u64().unwrap().to_string();
    chain.ok(
        &chain.admin,
        &[
            "lease",
            "settle",
            lease,
            "--device",
            device,
            "--through",
            &end,
        ],
    );
}

#[test]
fn lease_close_closes_released_settled_hires_and_reports_the_others() {
    let chain = chain();
    let released = staked_device(chain, "close-released", "1.8");
    let active = staked_device(chain, "close-active", "1.8");
    let (renter, lease) = renter_with_lease(chain, "closing", "10");
    // Hired and released in the same epoch, a hire ends where it starts: settled at once.
    next_epoch(chain);
    chain.ok(
        &renter,
        &[
            "lease",
            "hire",
            &lease,
            "--devices",
            &format!("{released},{active}"),
            "--epochs",
            "1",
        ],
    );
    chain.ok(&renter, &["lease", "release", &lease, &released]);
    // Should the epoch have turned in between, its last epoch needs settling first.
    settle_when_final(chain, &renter, &lease, &released);

    let report = chain.fails_with(&renter, &["lease", "close", &lease]);
    let closed = report["closed_hires"].as_array().unwrap();
    assert_eq!(closed.len(), 1, "{report}");
    assert_eq!(closed[0]["device"], released.as_str());
    assert!(closed[0]["signature"].as_str().is_some(), "{report}");
    let skipped = report["skipped_hires"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{report}");
    assert_eq!(skipped[0]["device"], active.as_str());
    assert_eq!(skipped[0]["reason"], "not released");
    assert_eq!(report["lease_closed"], false);
    let error = report["error"].as_str().unwrap();
    assert!(
        error.starts_with("the lease is not closed: 1 hire(s) are not released and settled"),
        "{error}"
    );
    let shown = chain.ok(&renter, &["lease", "show", &lease]);
    assert_eq!(shown["hires"], 1, "the released hire is closed: {shown}");

    // Once the other hire is released and settled, the lease closes too.
    chain.ok(&renter, &["lease", "release", &lease, &active]);
    settle_when_final(chain, &renter, &lease, &active);
    let report = chain.ok(&renter, &["lease", "close", &lease]);
    assert_eq!(report["lease_closed"], true, "{report}");
    assert_eq!(report["closed_hires"][0]["device"], active.as_str());
    assert!(report["signature"].as_str().is_some(), "{report}");
    let missing = chain.fails(&renter, &["lease", "show", &lease]);
    assert_eq!(missing, format!("the lease {lease} does not exist"));
}

#[test]
fn a_hire_failing_on_execution_names_the_token_program_not_escrow() {
    let chain = chain();
    let first = staked_device(chain, "exec-0", "1.8");
    let second = staked_device(chain, "exec-1", "1.8");
    // USDC for exactly one epoch of one hire.
    let (renter, lease) = renter_with_lease(chain, "short", &format!("{PER_EPOCH}u"));

    // Without preflight the second hire reaches the chain and fails there, in the token
    // transfer escrow invokes: only the executed transaction's logs say so.
    let keypair = gpunet_cli::keys::read_keypair(&renter).unwrap();
    let client = GpunetClient::new(chain.localnet.rpc_url.clone(), keypair).without_preflight();
    let devices: Vec<Pubkey> = [&first, &second]
        .iter()
        .map(|d| d.parse().unwrap())
        .collect();
    let lease_key: Pubkey = lease.parse().unwrap();
    let results = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(client.add_hires(&lease_key, &devices, 1, |_| {}))
        .unwrap();
    assert!(results[0].1.is_ok(), "{:?}", results[0]);
    let error = results[1].1.as_ref().unwrap_err();
    assert!(
        matches!(error, ClientError::InsufficientTokens { .. }),
        "the token program's error, not escrow's: {error:?}"
    );
    assert!(error.to_string().contains("insufficient funds"), "{error}");
    let shown = chain.ok(&renter, &["lease", "show", &lease]);
    assert_eq!(shown["hires"], 1, "{shown}");
}

#[test]
fn network_init_checks_everything_before_writing_verifier_keys() {
    let chain = chain();
    let dir = TempDir::new("init-keys");
    let state = dir.path("state.json");
    let state = state.to_str().unwrap();
    let keys = dir.path("verifiers");

    let error = chain.fails(
        &chain.admin,
        &[
            "network",
            "init",
            "--generate-verifiers",
            "17",
            "--state",
            state,
        ],
    );
    assert!(error.starts_with("at most 16 verifiers"), "{error}");
    assert!(!keys.exists(), "no key written for a refused init");

    // A key file of another network is not replaced without --force.
    std::fs::create_dir_all(&keys).unwrap();
    let kept = keys.join("verifier-0.json");
    std::fs::write(&kept, "another network's key").unwrap();
    let error = chain.fails(
        &chain.admin,
        &[
            "network",
            "init",
            "--generate-verifiers",
            "2",
            "--state",
            state,
        ],
    );
    assert!(
        error.contains(&kept.display().to_string()) && error.contains("--force"),
        "{error}"
    );
    // With --force, keys are still only written for a network that is initialised with
    // them: this one exists already.
    let error = chain.fails(
        &chain.admin,
        &[
            "network",
            "init",
            "--generate-verifiers",
            "2",
            "--state",
            state,
            "--force",
        ],
    );
    assert!(
        error.starts_with("the network is already initialised"),
        "{error}"
    );
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        "another network's key"
    );
    let files: Vec<_> = std::fs::read_dir(&keys).unwrap().collect();
    assert_eq!(files.len(), 1, "only the existing key: {files:?}");
    assert!(!dir.path("state.json").exists());
}

#[test]
fn with_json_a_command_line_that_does_not_parse_is_a_json_error() {
    for args in [
        &["--json", "lease", "hire"][..],
        &["lease", "hire", "--json"],
        &["--json", "device", "pause", "not-a-key"],
        &["--json", "no-such-command"],
        &["--json", "lease"],
        &[
            "--json",
            "stake",
            "deposit",
            "11111111111111111111111111111112",
            "1.5u",
        ],
    ] {
        let output = gpunet().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let error = json_of(&output)["error"].as_str().unwrap().to_string();
        assert!(
            !error.is_empty() && !error.starts_with("error:") && !error.contains("Usage:"),
            "{args:?}: {error}"
        );
        if args.contains(&"hire") {
            assert!(error.contains("--devices <DEVICES>"), "{error}");
        }
        if args.contains(&"not-a-key") {
            assert!(
                error.contains("`not-a-key` is not a base58 address"),
                "{error}"
            );
        }
        if args == ["--json", "lease"] {
            assert!(error.contains("create, hire, extend"), "{error}");
        }
        if args.contains(&"1.5u") {
            assert!(error.contains("`1.5u` is not an amount"), "{error}");
        }
    }
    // Help and version are answers, not errors.
    for args in [
        &["--json", "--help"][..],
        &["--json", "lease", "--help"],
        &["--json", "--version"],
    ] {
        let output = gpunet().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert!(!output.stdout.is_empty());
    }
    // Without --json, clap's own message on stderr.
    gpunet()
        .args(["lease", "hire"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("error:").and(predicate::str::contains("Usage:")));
}

/// A child process killed (and reaped) when dropped, so a failing test never leaves it
/// running.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The first line `stdout` prints, read on a thread so that a silent child fails the
/// test after `timeout` instead of hanging it.
fn first_line(stdout: impl std::io::Read + Send + 'static, timeout: Duration) -> String {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        let _ = tx.send(read);
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(line)) => line,
        Ok(Err(e)) => panic!("cannot read the child's stdout: {e}"),
        Err(_) => panic!("no line from the child within {timeout:?}"),
    }
}

#[test]
fn localnet_starts_the_chain_and_initialises_the_network() {
    let dir = TempDir::new("localnet");
    let keypair = dir.path("authority.json");
    let authority = keygen(&keypair);
    let state = dir.path("state.json");
    let rpc_port = free_port().to_string();
    let mut child = KillOnDrop(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("gpunet"))
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
            .expect("gpunet localnet starts"),
    );
    let line = first_line(child.0.stdout.take().unwrap(), Duration::from_secs(120));
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
    drop(child);
    assert_eq!(network["admin"], authority);
    assert_eq!(network["payment_mint"], written["payment_mint"]);
    assert_eq!(network["verifiers"].as_array().map(Vec::len), Some(3));
}
