//! Shared by the indexer's tests: a private PostgreSQL in a temp dir, localnet with the
//! network initialised, the indexer following it, and the chain's state to compare with.
#![allow(dead_code)] // each test file uses its own part

pub mod tour;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use gpunet_indexer::source::stream::{self, IngestConfig};
use gpunet_indexer::store::Store;
use gpunet_localnet::{Localnet, LocalnetConfig, free_port};
use gpunet_sdk::client::GpunetClient;
use gpunet_sdk::{proof, registry};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tokio::sync::watch;

/// A data directory under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "gpunet-indexer-{label}-{}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// localnet with the network initialised and a funded model owner.
pub struct Net {
    pub localnet: Localnet,
    pub rpc: RpcClient,
    pub owner: GpunetClient,
}

/// localnet on free ports with 100 ms slots, `authority` its upgrade authority.
pub fn fast_localnet(authority: &Keypair) -> Localnet {
    tokio::task::block_in_place(|| {
        Localnet::start(&LocalnetConfig {
            slot_time_ms: 100,
            ..LocalnetConfig::new(authority.pubkey()).on_free_ports()
        })
    })
    .expect("localnet starts")
}

pub async fn net() -> Net {
    let authority = Keypair::new();
    let localnet = fast_localnet(&authority);
    let admin = GpunetClient::new(localnet.rpc_url.clone(), authority);
    admin
        .airdrop(&admin.pubkey(), 100_000_000_000)
        .await
        .unwrap();
    let (usdc, _) = admin.create_mint(6).await.unwrap();
    let (stake, _) = admin.create_mint(9).await.unwrap();
    let args = registry::InitializeNetworkArgs {
        fees: registry::FeeSchedule {
            renter_fee_bps: 25,
            supplier_fee_bps: 50,
            inference_fee_bps: 200,
        },
        epoch_seconds: 60,
        treasury: admin.pubkey(),
        verifiers: vec![],
        verifier_quorum: 0,
    };
    let init = registry::initialize_network(admin.pubkey(), usdc, stake, args);
    admin.send(&[init], &[]).await.unwrap();
    let owner = admin.with_signer(Keypair::new());
    admin
        .airdrop(&owner.pubkey(), 10_000_000_000)
        .await
        .unwrap();
    let rpc = RpcClient::new(localnet.rpc_url.clone());
    Net {
        localnet,
        rpc,
        owner,
    }
}

pub async fn register_models(owner: &GpunetClient, ids: std::ops::RangeInclusive<u64>) {
    for model_id in ids {
        let args = proof::RegisterModelArgs {
            model_id,
            royalty_bps: 500,
            price_per_unit: 3,
            metadata_uri: format!("ipfs://model-{model_id}"),
            metadata_hash: [model_id as u8; 32],
        };
        let ix = proof::register_model(owner.pubkey(), args);
        owner.send(&[ix], &[]).await.expect("model registered");
    }
}

/// (pubkey → (lamports, data)) of every account the programs own.
pub type State = BTreeMap<Vec<u8>, (u64, Vec<u8>)>;

pub async fn chain_state(rpc: &RpcClient) -> State {
    let mut state = State::new();
    for program in gpunet_sdk::PROGRAM_IDS {
        for (pubkey, account) in rpc.get_program_accounts(&program).await.unwrap() {
            state.insert(pubkey.to_bytes().to_vec(), (account.lamports, account.data));
        }
    }
    state
}

pub fn db_state(url: &str) -> State {
    let mut store = Store::connect(url).unwrap();
    let mut state = State::new();
    for program in gpunet_sdk::PROGRAM_IDS {
        for row in store.accounts_of(&program.to_bytes()).unwrap() {
            state.insert(row.pubkey, (row.lamports as u64, row.data));
        }
    }
    state
}

/// Waits until the database holds exactly what the chain holds (and at least `models`
/// models), failing after 60 s with both sides.
pub async fn until_in_sync(net: &Net, url: &str, models: usize) {
    until_state(&net.rpc, url, |db| {
        db.values()
            .filter(|(_, data)| {
                matches!(
                    gpunet_sdk::GpunetAccount::decode(&gpunet_sdk::proof::PROGRAM_ID, data),
                    Some(gpunet_sdk::GpunetAccount::Model(_))
                )
            })
            .count()
            >= models
    })
    .await
}

pub fn start_indexer(net: &Net, url: &str) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    follow(&net.localnet, url)
}

/// The indexer (in-process) following `localnet` into `url`; stopped by the sender.
pub fn follow(
    localnet: &Localnet,
    url: &str,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    follow_with(localnet, url, Default::default())
}

/// `follow`, counting into `metrics`.
pub fn follow_with(
    localnet: &Localnet,
    url: &str,
    metrics: std::sync::Arc<gpunet_indexer::metrics::Metrics>,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let config = IngestConfig {
        endpoint: localnet.grpc_url.clone(),
        x_token: None,
        database_url: url.to_string(),
        metrics,
    };
    let (stop, stopped) = watch::channel(false);
    (stop, tokio::spawn(stream::run(config, stopped)))
}

pub fn specs(gpu_count: u16, country: &[u8; 2]) -> registry::DeviceSpecs {
    registry::DeviceSpecs {
        gpu_model: 100,
        gpu_count,
        vram_mib: 81_920,
        cpu_cores: 64,
        ram_mib: 524_288,
        bandwidth_down_mbps: 10_000,
        bandwidth_up_mbps: 2_000,
        country: *country,
        region: 3,
        supplier_group: 2,
        security_tier: 1,
        green: true,
    }
}

/// The explorer API over `url` on a free port, with `options`; returns its base URL.
pub async fn serve_api(url: &str, options: gpunet_indexer::api::ApiOptions) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let pool = gpunet_indexer::api::pool(url, 4).unwrap();
    let app = gpunet_indexer::api::app(pool, options);
    tokio::spawn(gpunet_indexer::api::serve(
        listener,
        app,
        std::future::pending(),
    ));
    base
}

/// The `gpunet-indexer` binary, killed (SIGKILL) when dropped.
pub struct Indexer(pub std::process::Child);

impl Indexer {
    pub fn start(grpc: &str, database_url: &str) -> Self {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_gpunet-indexer"))
            .args(["--grpc", grpc, "--database-url", database_url])
            .args(["--api", &format!("127.0.0.1:{}", free_port())])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the indexer starts");
        Indexer(child)
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until the database holds exactly the accounts the chain holds, failing after 60 s.
pub async fn until_equal(rpc: &RpcClient, url: &str) {
    until_state(rpc, url, |_| true).await
}

/// Waits until the database holds exactly what the chain holds and `also` accepts it,
/// failing after 60 s with both sizes.
async fn until_state(rpc: &RpcClient, url: &str, also: impl Fn(&State) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let chain = chain_state(rpc).await;
        let db = tokio::task::block_in_place(|| db_state(url));
        if db == chain && also(&db) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not in sync: chain has {} accounts, database {}",
            chain.len(),
            db.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
