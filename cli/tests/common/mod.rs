//! Runs the real `gpunet` binary, as a user would, against a local chain started
//! in-process on free ports (fast slots, short epochs).
#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use assert_cmd::Command;
use gpunet_localnet::{Localnet, LocalnetConfig};
use serde_json::Value;

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("gpunet-cli-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `gpunet` with `args`, nothing else set (no URL or keypair from the environment).
pub fn gpunet() -> Command {
    let mut cmd = Command::cargo_bin("gpunet").expect("the gpunet binary");
    cmd.env_remove("GPUNET_URL").env_remove("GPUNET_KEYPAIR");
    cmd
}

/// The JSON object a `--json` run printed on stdout (exactly one line).
pub fn json_of(output: &std::process::Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "one JSON object expected on stdout, got:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// A local chain with the network initialised through the binary by `admin`.
pub struct Chain {
    pub localnet: Localnet,
    pub dir: TempDir,
    pub admin: PathBuf,
    pub state: PathBuf,
    pub epoch_seconds: u32,
}

impl Chain {
    /// Starts the chain (admin = a new key written to a temp dir), airdrops to the admin
    /// and runs `gpunet network init` with `epoch_seconds` and 3 development verifiers
    /// (quorum 2).
    pub fn start(label: &str, epoch_seconds: u32) -> Chain {
        let dir = TempDir::new(label);
        let admin = dir.path("admin.json");
        let pubkey = keygen(&admin);
        let authority = pubkey.parse().expect("a pubkey");
        let localnet = Localnet::start(&LocalnetConfig {
            slot_time_ms: 100,
            ..LocalnetConfig::new(authority).on_free_ports()
        })
        .expect("localnet starts");
        let state = dir.path("state/localnet.json");
        let chain = Chain {
            localnet,
            dir,
            admin,
            state,
            epoch_seconds,
        };
        chain.ok(&chain.admin, &["airdrop", "100"]);
        chain.ok(
            &chain.admin,
            &[
                "network",
                "init",
                "--epoch-seconds",
                &epoch_seconds.to_string(),
                "--generate-verifiers",
                "3",
                "--grace-epochs",
                "1",
                "--cooldown-seconds",
                "60",
                "--challenge-window-seconds",
                "30",
                "--state",
                chain.state.to_str().expect("utf-8 path"),
            ],
        );
        chain
    }

    /// `gpunet --url <chain> --keypair <keypair> --json <args>`.
    pub fn cmd(&self, keypair: &Path, args: &[&str]) -> Command {
        let mut cmd = gpunet();
        cmd.arg("--url")
            .arg(&self.localnet.rpc_url)
            .arg("--keypair")
            .arg(keypair)
            .arg("--json")
            .args(args);
        cmd
    }

    /// Runs a command that must succeed; returns its JSON.
    #[track_caller]
    pub fn ok(&self, keypair: &Path, args: &[&str]) -> Value {
        let output = self.cmd(keypair, args).output().expect("gpunet runs");
        let value = json_of(&output);
        assert!(
            output.status.success(),
            "gpunet {args:?} failed: {value}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        value
    }

    /// Runs a command that must fail; returns its JSON error message.
    #[track_caller]
    pub fn fails(&self, keypair: &Path, args: &[&str]) -> String {
        let value = self.fails_with(keypair, args);
        value["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error field: {value}"))
            .to_string()
    }

    /// Runs a command that must fail (exit status 1); returns the whole JSON object it
    /// printed (for a batch: every item, and the top-level "error").
    #[track_caller]
    pub fn fails_with(&self, keypair: &Path, args: &[&str]) -> Value {
        let output = self.cmd(keypair, args).output().expect("gpunet runs");
        let value = json_of(&output);
        assert_eq!(
            output.status.code(),
            Some(1),
            "gpunet {args:?} did not fail: {value}"
        );
        assert!(value["error"].is_string(), "no error field: {value}");
        value
    }

    /// A new keypair file in the chain's temp dir, funded with `sol` SOL (0: unfunded).
    pub fn wallet(&self, name: &str, sol: u32) -> (PathBuf, String) {
        let path = self.dir.path(&format!("{name}.json"));
        let pubkey = keygen(&path);
        if sol > 0 {
            self.ok(&path, &["airdrop", &sol.to_string()]);
        }
        (path, pubkey)
    }
}

/// Writes a new keypair with `gpunet keygen`; returns its address.
pub fn keygen(path: &Path) -> String {
    let output = gpunet()
        .args(["--json", "keygen", "--outfile"])
        .arg(path)
        .output()
        .expect("gpunet runs");
    assert!(output.status.success(), "keygen failed: {output:?}");
    json_of(&output)["pubkey"]
        .as_str()
        .expect("pubkey")
        .to_string()
}
