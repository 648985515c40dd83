//! A local chain with a gpunet network (short epochs, 3 development verifiers, quorum 2),
//! suppliers whose devices are registered and staked by their owners, and the real
//! `gpunet-agent` binary run as a child process for each device.
#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use gpunet_agent::hardware::{self, HardwareOverrides};
use gpunet_cli::args::Cli;
use gpunet_cli::state::State;
use gpunet_localnet::{Localnet, LocalnetConfig};
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::{GpunetClient, keyfile};
use gpunet_sdk::registry::{self, RegisterDeviceArgs};
use solana_keypair::Keypair;
use solana_signer::Signer;

pub const SOL: u64 = 1_000_000_000;

/// A fresh directory under the system temp dir (`tempfile`), removed when dropped.
pub struct TempDir(pub PathBuf, tempfile::TempDir);

impl TempDir {
    pub fn new(label: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(&format!("gpunet-agent-{label}-"))
            .tempdir()
            .expect("temp dir");
        TempDir(dir.path().to_path_buf(), dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

pub struct Net {
    pub dir: TempDir,
    pub localnet: Localnet,
    pub admin: GpunetClient,
    pub state: State,
    pub epoch_seconds: u32,
}

impl Net {
    /// A local chain and a network with `epoch_seconds` epochs, initialised through the
    /// `gpunet` CLI's own code (`network init`); stake cools down for 60 s, slashes can be
    /// challenged for 30 s.
    pub async fn start(label: &str, epoch_seconds: u32) -> Net {
        Net::start_with_cooldown(label, epoch_seconds, 60, 30).await
    }

    /// [`Net::start`] with the given cooldown and challenge window (seconds).
    pub async fn start_with_cooldown(
        label: &str,
        epoch_seconds: u32,
        cooldown_seconds: u32,
        challenge_window_seconds: u32,
    ) -> Net {
        let dir = TempDir::new(label);
        let authority = Keypair::new();
        let admin_path = dir.path("admin.json");
        keyfile::write(&authority, &admin_path).unwrap();
        let localnet = tokio::task::block_in_place(|| {
            Localnet::start(&LocalnetConfig {
                slot_time_ms: 100,
                ..LocalnetConfig::new(authority.pubkey()).on_free_ports()
            })
        })
        .expect("localnet starts");
        let admin = GpunetClient::new(localnet.rpc_url.clone(), authority);
        admin.airdrop(&admin.pubkey(), 100 * SOL).await.unwrap();
        let state_path = dir.path("state/localnet.json");
        let seconds = epoch_seconds.to_string();
        let cli = Cli::try_parse_from([
            "gpunet",
            "--url",
            &localnet.rpc_url,
            "--keypair",
            admin_path.to_str().unwrap(),
            "--json",
            "network",
            "init",
            "--epoch-seconds",
            &seconds,
            "--generate-verifiers",
            "3",
            "--grace-epochs",
            "1",
            "--cooldown-seconds",
            &cooldown_seconds.to_string(),
            "--challenge-window-seconds",
            &challenge_window_seconds.to_string(),
            "--state",
            state_path.to_str().unwrap(),
        ])
        .unwrap();
        gpunet_cli::run(cli).await.expect("network init");
        let state = State::read(&state_path).unwrap();
        Net {
            dir,
            localnet,
            admin,
            state,
            epoch_seconds,
        }
    }

    pub fn client(&self, key: Keypair) -> GpunetClient {
        self.admin.with_signer(key)
    }

    /// A funded wallet: SOL, and `usdc` USDC base units.
    pub async fn wallet(&self, usdc: u64) -> GpunetClient {
        let client = self.client(Keypair::new());
        self.admin
            .airdrop(&client.pubkey(), 10 * SOL)
            .await
            .unwrap();
        if usdc > 0 {
            let (payment, _) = self.admin.mints().await.unwrap();
            self.admin
                .mint_to(&payment.mint, &client.pubkey(), usdc)
                .await
                .unwrap();
        }
        client
    }

    /// The development verifiers' keypair files.
    pub fn verifier_keypairs(&self) -> Vec<PathBuf> {
        self.state
            .verifiers
            .iter()
            .filter_map(|v| v.keypair.clone())
            .collect()
    }

    /// An owner registers and stakes a device of hardware `profile` with a new agent key
    /// (funded with 1 SOL for fees, written to the supplier's directory).
    pub async fn supplier(&self, profile: &str) -> Supplier {
        let owner = self.wallet(0).await;
        let agent = Keypair::new();
        let dir = TempDir::new("supplier");
        let agent_keypair = dir.path("agent-keypair.json");
        keyfile::write(&agent, &agent_keypair).unwrap();
        self.admin.airdrop(&agent.pubkey(), SOL).await.unwrap();
        let hardware = hardware::detect(&HardwareOverrides {
            profile: Some(profile.to_string()),
            ..HardwareOverrides::default()
        })
        .unwrap();
        let registered = owner
            .register_device(RegisterDeviceArgs {
                device_id: 1,
                agent: agent.pubkey(),
                specs: hardware.specs,
                price_per_gpu_hour: 2_000_000,
            })
            .await
            .unwrap();
        let staking = self.admin.staking_config().await.unwrap();
        let min_stake = staking.min_stake(&hardware.specs).unwrap();
        let (_, stake_mint) = self.admin.mints().await.unwrap();
        self.admin
            .mint_to(&stake_mint.mint, &owner.pubkey(), min_stake)
            .await
            .unwrap();
        owner.stake(&registered.address, min_stake).await.unwrap();
        assert_eq!(
            registered.address,
            registry::device_address(&owner.pubkey(), 1)
        );
        Supplier {
            owner,
            agent: agent.pubkey(),
            agent_keypair,
            device: registered.address,
            profile: profile.to_string(),
            dir,
        }
    }

    /// The chain's current epoch.
    pub async fn epoch(&self) -> u64 {
        self.admin.current_epoch().await.unwrap()
    }

    /// Waits until the chain is in `epoch` or later.
    pub async fn wait_for_epoch(&self, epoch: u64) {
        self.admin.wait_for_epoch(epoch).await.unwrap();
    }
}

pub struct Supplier {
    pub owner: GpunetClient,
    pub agent: Pubkey,
    pub agent_keypair: PathBuf,
    pub device: Pubkey,
    pub profile: String,
    /// The agent's data directory (key, config, outbox, job logs).
    pub dir: TempDir,
}

/// A running `gpunet-agent run`, killed with SIGKILL when dropped.
pub struct Agent {
    pub child: Child,
    pub url: String,
    pub log: PathBuf,
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Agent {
    /// Starts the agent of `supplier` with fast polling, the network's verifier keys, and
    /// `env` on top (e.g. `GPUNET_AGENT_FAULT`).
    pub fn start(net: &Net, supplier: &Supplier, env: &[(&str, &str)]) -> Agent {
        Self::start_with(net, supplier, env, &[])
    }

    pub fn start_with(
        net: &Net,
        supplier: &Supplier,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Agent {
        let port = free_port();
        let verifiers: Vec<String> = net
            .verifier_keypairs()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        static RUN: AtomicU32 = AtomicU32::new(0);
        let log = supplier.dir.path(&format!(
            "agent-{}.log",
            RUN.fetch_add(1, Ordering::Relaxed)
        ));
        // Defaults for a test, each replaced by the same flag in `args`.
        let verifiers = verifiers.join(",");
        let device = supplier.device.to_string();
        let listen = format!("127.0.0.1:{port}");
        let defaults = [
            ("--rpc-url", net.localnet.rpc_url.as_str()),
            ("--device", device.as_str()),
            ("--listen", listen.as_str()),
            ("--profile", supplier.profile.as_str()),
            ("--poll-ms", "200"),
            ("--batch-wait-ms", "500"),
            ("--benchmark-size", "48"),
            ("--verifier-keypair", verifiers.as_str()),
        ];
        let mut command = Command::new(env!("CARGO_BIN_EXE_gpunet-agent"));
        command
            .arg("--data-dir")
            .arg(&supplier.dir.0)
            .arg("--keypair")
            .arg(&supplier.agent_keypair);
        for (flag, value) in defaults {
            if !args.contains(&flag) {
                command.args([flag, value]);
            }
        }
        command
            .args(args)
            .arg("run")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for var in [
            "GPUNET_AGENT_CONFIG",
            "GPUNET_AGENT_FAULT",
            "GPUNET_AGENT_WATCH",
        ] {
            command.env_remove(var);
        }
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().expect("gpunet-agent starts");
        Agent {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    /// Waits until `/health` answers (the agent connected and listens).
    pub async fn ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = reqwest::get(format!("{}/health", self.url)).await
                && response.status().is_success()
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the agent exited ({status}) before it was ready:\n{}",
                    self.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the agent never became ready:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for the process to end by itself (e.g. an injected fault).
    pub async fn exited(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the agent did not exit:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The value of a metric line `name` (exact match of the name and labels).
    pub async fn metric(&self, name: &str) -> u64 {
        let text = reqwest::get(format!("{}/metrics", self.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no metric {name} in:\n{text}"))
    }

    pub async fn health(&self) -> serde_json::Value {
        reqwest::get(format!("{}/health", self.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls `check` until it returns `Some`, failing with `what` after `within`.
pub async fn until<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The agent's log for a failed assertion's message.
pub fn logs(agents: &[&Agent]) -> String {
    agents
        .iter()
        .map(|a| a.log_text())
        .collect::<Vec<_>>()
        .join("\n----\n")
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A model (owned by a wallet that is not the device's owner) served by `supplier`'s
/// agent with `command`, and a session of `deposit` USDC base units opened for it by a
/// consumer, whose vouchers `authorizer` signs.
pub struct Inference {
    pub model: Pubkey,
    pub consumer: GpunetClient,
    consumer_signer: Keypair,
    pub authorizer: Keypair,
    pub session: Pubkey,
    /// The model's price per compute unit.
    pub price: u64,
    pub max_units: u32,
}

impl Inference {
    pub async fn set_up(net: &Net, supplier: &Supplier, command: &str, deposit: u64) -> Inference {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let model_owner = net.wallet(0).await;
        let price = 3;
        let model = model_owner
            .register_model(gpunet_sdk::proof::RegisterModelArgs {
                model_id: 1,
                royalty_bps: 500,
                price_per_unit: price,
                metadata_uri: "ipfs://gpunet-test-model".into(),
                metadata_hash: [0; 32],
            })
            .await
            .unwrap()
            .address;
        let max_units = 1_000;
        let config = gpunet_agent::config::Settings {
            models: Some(vec![gpunet_agent::config::ModelConfig {
                address: model.to_string(),
                command: command.to_string(),
                max_units: Some(max_units),
            }]),
            ..Default::default()
        };
        config.write(&supplier.dir.path("agent.toml")).unwrap();
        let consumer_signer = Keypair::new();
        let consumer = net.client(consumer_signer.insecure_clone());
        net.admin
            .airdrop(&consumer.pubkey(), 10 * SOL)
            .await
            .unwrap();
        let (payment, _) = net.admin.mints().await.unwrap();
        net.admin
            .mint_to(&payment.mint, &consumer.pubkey(), 10 * deposit)
            .await
            .unwrap();
        let authorizer = Keypair::new();
        let session_id = u64::from(NEXT.fetch_add(1, Ordering::Relaxed));
        let session = consumer
            .open_session(&model, session_id, &authorizer.pubkey(), deposit)
            .await
            .unwrap()
            .address;
        Inference {
            model,
            consumer,
            consumer_signer,
            authorizer,
            session,
            price,
            max_units,
        }
    }

    /// The consumer's own key (not the session's authoriser).
    pub fn consumer_key(&self) -> &Keypair {
        &self.consumer_signer
    }

    /// The most one request can cost.
    pub fn max_cost(&self) -> u64 {
        u64::from(self.max_units) * self.price
    }

    /// Serves `n` requests at `agent` (for `device`), each with the next voucher above
    /// `charged` (what the session was charged so far), each answered; returns the new
    /// total charged.
    pub async fn serve(&self, agent: &Agent, device: &Pubkey, mut charged: u64, n: usize) -> u64 {
        for i in 0..n {
            let voucher = self.voucher(&self.authorizer, device, charged + self.max_cost());
            let answer = infer(
                agent,
                Some(&self.session),
                Some(&voucher),
                &format!("request {i}"),
            )
            .await;
            assert_eq!(answer.status, 200, "{answer:?}\n{}", agent.log_text());
            charged = answer.charged;
        }
        charged
    }

    /// The voucher header for `cumulative`, signed by `signer` for `device`.
    pub fn voucher(&self, signer: &Keypair, device: &Pubkey, cumulative: u64) -> String {
        let voucher = gpunet_sdk::client::Voucher::sign(signer, &self.session, device, cumulative);
        voucher.header()
    }
}

/// An inference request's answer: status, JSON error code (refusals) or body, and the
/// charge headers.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub code: Option<String>,
    pub amount: u64,
    pub charged: u64,
}

/// `POST /v1/inference` with the given session and voucher headers.
pub async fn infer(
    agent: &Agent,
    session: Option<&Pubkey>,
    voucher: Option<&str>,
    body: &str,
) -> Answer {
    let mut request = reqwest::Client::new()
        .post(format!("{}/v1/inference", agent.url))
        .body(body.to_string());
    if let Some(session) = session {
        request = request.header("x-gpunet-session", session.to_string());
    }
    if let Some(voucher) = voucher {
        request = request.header("x-gpunet-voucher", voucher);
    }
    let response = request.send().await.expect("the agent answers");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let (amount, charged) = (header("x-gpunet-amount"), header("x-gpunet-charged"));
    let body = response.text().await.unwrap();
    let code = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_string));
    Answer {
        status,
        body,
        code,
        amount,
        charged,
    }
}

/// The number of receipts in `device`'s on-chain log.
pub async fn receipts_on_chain(client: &GpunetClient, device: &Pubkey) -> u64 {
    client.next_receipt_seq(device).await.unwrap()
}

/// A renter with USDC leases `supplier`'s device for `epochs` epochs (from the next one)
/// with `job`; returns (renter, lease, hire, first hired epoch).
pub async fn hire(
    net: &Net,
    supplier: &Supplier,
    job: &str,
    epochs: u64,
) -> (GpunetClient, Pubkey, Pubkey, u64) {
    let renter = net.wallet(1_000_000_000).await;
    let lease = renter
        .create_lease(1, "agent-test", job, 10_000_000)
        .await
        .unwrap()
        .address;
    renter
        .add_hire(&lease, &supplier.device, epochs)
        .await
        .unwrap();
    let hire = gpunet_sdk::escrow::hire_address(&lease, &supplier.device);
    let start = renter
        .hire(&lease, &supplier.device)
        .await
        .unwrap()
        .start_epoch;
    (renter, lease, hire, start)
}

/// A TCP proxy in front of the chain's RPC endpoint that can be cut (every connection
/// dropped, new ones refused) and restored: an RPC outage as the agent sees it.
pub struct Outage {
    pub url: String,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Outage {
    /// A proxy to `upstream` (`http://host:port`), up.
    pub async fn proxy(upstream: &str) -> Outage {
        use std::sync::atomic::AtomicBool;
        use std::sync::{Arc, Mutex};
        let target = upstream.trim_start_matches("http://").to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let up = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let accept = {
            let (up, connections) = (up.clone(), connections.clone());
            tokio::spawn(async move {
                loop {
                    let Ok((mut inbound, _)) = listener.accept().await else {
                        return;
                    };
                    if !up.load(Ordering::SeqCst) {
                        drop(inbound);
                        continue;
                    }
                    let target = target.clone();
                    let task = tokio::spawn(async move {
                        if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    connections.lock().unwrap().push(task.abort_handle());
                }
            })
        };
        Outage {
            url,
            up,
            connections,
            accept,
        }
    }

    /// The outage starts: open connections drop, new ones are refused.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}
