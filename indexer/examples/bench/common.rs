//! What the benchmarks share: the private database, the local chain and its load,
//! confirmations and percentiles.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use futures::StreamExt;
use gpunet_indexer::postgres::PrivatePostgres;
use gpunet_localnet::{Localnet, LocalnetConfig, free_port};
use gpunet_sdk::client::GpunetClient;
use gpunet_sdk::{Instruction, Pubkey, registry};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_config::RpcSendTransactionConfig;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;

use super::*;

/// A private PostgreSQL in a temp dir, stopped and removed when dropped.
pub(crate) struct Db {
    pub(crate) pg: Option<PrivatePostgres>,
    pub(crate) dir: PathBuf,
}

impl Db {
    pub(crate) fn start(label: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "gpunet-bench-{label}-{}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let pg = tokio::task::block_in_place(|| PrivatePostgres::start(&dir, free_port()))?;
        Ok(Db { pg: Some(pg), dir })
    }

    pub(crate) fn url(&self) -> String {
        self.pg.as_ref().expect("running").url()
    }

    /// The URL of another database of the same cluster.
    pub(crate) fn url_of(&self, database: &str) -> String {
        let url = self.url();
        let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
        format!("{base}/{database}")
    }

    /// Restarts the server (to load `shared_preload_libraries`).
    pub(crate) fn restart(&mut self) -> Result<()> {
        let pg = self.pg.as_mut().expect("running");
        tokio::task::block_in_place(|| -> Result<()> {
            pg.stop()?;
            pg.resume()?;
            Ok(())
        })
    }

    pub(crate) fn version(&self) -> String {
        #[derive(QueryableByName)]
        struct V {
            #[diesel(sql_type = Text)]
            v: String,
        }
        PgConnection::establish(&self.url())
            .ok()
            .and_then(|mut c| {
                diesel::sql_query("SELECT current_setting('server_version') AS v")
                    .get_result::<V>(&mut c)
                    .ok()
            })
            .map_or("?".into(), |v| v.v)
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(mut pg) = self.pg.take() {
            let _ = pg.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// localnet (fast slots) with the network initialised, and `owners` funded device owners.
pub(crate) struct Chain {
    pub(crate) localnet: Localnet,
    pub(crate) rpc: Arc<RpcClient>,
    pub(crate) owners: Vec<Arc<Keypair>>,
    /// A valid agent key for every device (not the owner, not the default key).
    pub(crate) agent: Pubkey,
}

pub(crate) async fn chain(replay_slots: u64, owners: usize) -> Result<Chain> {
    let authority = Keypair::new();
    let config = LocalnetConfig {
        slot_time_ms: SLOT_MS,
        replay_slots,
        ..LocalnetConfig::new(authority.pubkey()).on_free_ports()
    };
    let localnet = tokio::task::block_in_place(|| Localnet::start(&config))?;
    let admin = GpunetClient::new(localnet.rpc_url.clone(), authority);
    admin.airdrop(&admin.pubkey(), 100_000_000_000).await?;
    let (usdc, _) = admin.create_mint(6).await?;
    let (stake, _) = admin.create_mint(9).await?;
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
    admin
        .send(
            &[registry::initialize_network(
                admin.pubkey(),
                usdc,
                stake,
                args,
            )],
            &[],
        )
        .await?;
    let mut keys = Vec::new();
    for _ in 0..owners {
        let owner = Keypair::new();
        admin.airdrop(&owner.pubkey(), 1_000_000_000_000).await?;
        keys.push(Arc::new(owner));
    }
    let rpc = Arc::new(RpcClient::new_with_commitment(
        localnet.rpc_url.clone(),
        CommitmentConfig::confirmed(),
    ));
    Ok(Chain {
        localnet,
        rpc,
        owners: keys,
        agent: Keypair::new().pubkey(),
    })
}

pub(crate) fn register(owner: &Pubkey, agent: Pubkey, device_id: u64) -> Instruction {
    let countries = [b"DE", b"US", b"FR", b"JP", b"SG"];
    let specs = registry::DeviceSpecs {
        gpu_model: 100 + (device_id % 5) as u16,
        gpu_count: 1 + (device_id % 8) as u16,
        vram_mib: 81_920,
        cpu_cores: 64,
        ram_mib: 524_288,
        bandwidth_down_mbps: 10_000,
        bandwidth_up_mbps: 2_000,
        country: *countries[(device_id % 5) as usize],
        region: 3,
        supplier_group: 2,
        security_tier: 1,
        green: device_id.is_multiple_of(2),
    };
    let args = registry::RegisterDeviceArgs {
        device_id,
        agent,
        specs,
        price_per_gpu_hour: 1_500_000 + (device_id % 50) * 10_000,
    };
    registry::register_device(*owner, args)
}

pub(crate) fn no_preflight() -> RpcSendTransactionConfig {
    RpcSendTransactionConfig {
        skip_preflight: true,
        ..RpcSendTransactionConfig::default()
    }
}

/// (slot, error) per signature once the chain reports it at `confirmed` or later.
pub(crate) type Outcome = (u64, Option<String>);

/// Asks for the statuses of `signatures` (256 per request, the RPC limit); `history`
/// searches beyond the recent status cache (about 150 slots, 15 s here).
pub(crate) async fn statuses(
    rpc: &RpcClient,
    signatures: &[Signature],
    history: bool,
) -> Result<Vec<Option<Outcome>>> {
    let mut out = Vec::with_capacity(signatures.len());
    for chunk in signatures.chunks(256) {
        let response = if history {
            rpc.get_signature_statuses_with_history(chunk).await?
        } else {
            rpc.get_signature_statuses(chunk).await?
        };
        out.extend(response.value.into_iter().map(|status| {
            status
                .filter(|s| s.satisfies_commitment(CommitmentConfig::confirmed()))
                .map(|s| (s.slot, s.err.map(|e| e.to_string())))
        }));
    }
    Ok(out)
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// Sends every transaction, `in_flight` at once, without preflight, each signed just
/// before it is sent at a blockhash at most 1 s old (localnet executes a transaction before
/// answering, one at a time, so a transaction signed long before it is sent could expire
/// in the queue). Returns (signature, send error) in order.
pub(crate) async fn send_all(
    rpc: &RpcClient,
    transactions: &[(Arc<Keypair>, Vec<Instruction>)],
    in_flight: usize,
) -> Result<Vec<(Signature, Option<String>)>> {
    let blockhash = tokio::sync::Mutex::new((rpc.get_latest_blockhash().await?, Instant::now()));
    let blockhash = &blockhash;
    Ok(futures::stream::iter(transactions)
        .map(|(payer, ixs)| async move {
            let hash = {
                let mut cached = blockhash.lock().await;
                if cached.1.elapsed() > Duration::from_secs(1)
                    && let Ok(hash) = rpc.get_latest_blockhash().await
                {
                    *cached = (hash, Instant::now());
                }
                cached.0
            };
            let tx = Transaction::new_signed_with_payer(
                ixs,
                Some(&payer.pubkey()),
                &[payer.as_ref()],
                hash,
            );
            let error = rpc
                .send_transaction_with_config(&tx, no_preflight())
                .await
                .err()
                .map(|e| e.to_string());
            (tx.signatures[0], error)
        })
        .buffered(in_flight)
        .collect()
        .await)
}

/// Polls until every signature has a confirmed outcome or `patience` passes.
pub(crate) async fn wait_confirmed(
    rpc: &RpcClient,
    signatures: &[Signature],
    patience: Duration,
) -> Result<Vec<Option<Outcome>>> {
    let deadline = Instant::now() + patience;
    let mut outcomes: Vec<Option<Outcome>> = vec![None; signatures.len()];
    loop {
        let open: Vec<usize> = (0..signatures.len())
            .filter(|&i| outcomes[i].is_none())
            .collect();
        if open.is_empty() || Instant::now() > deadline {
            return Ok(outcomes);
        }
        let asked: Vec<Signature> = open.iter().map(|&i| signatures[i]).collect();
        for (i, outcome) in open.iter().zip(statuses(rpc, &asked, true).await?) {
            outcomes[*i] = outcome;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[derive(QueryableByName)]
pub(crate) struct Count {
    #[diesel(sql_type = BigInt)]
    pub(crate) n: i64,
}

#[derive(QueryableByName)]
pub(crate) struct Name {
    #[diesel(sql_type = Text)]
    pub(crate) name: String,
}

/// Rows per table of the public schema, except the migrations' bookkeeping.
pub(crate) fn row_counts(conn: &mut PgConnection) -> Result<BTreeMap<String, i64>> {
    let tables = diesel::sql_query(
        "SELECT table_name::TEXT AS name FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
           AND table_name <> '__diesel_schema_migrations' ORDER BY 1",
    )
    .load::<Name>(conn)?;
    let mut counts = BTreeMap::new();
    for t in tables {
        let n = diesel::sql_query(format!("SELECT count(*) AS n FROM \"{}\"", t.name))
            .get_result::<Count>(conn)?
            .n;
        counts.insert(t.name, n);
    }
    Ok(counts)
}

// ----------------------------------------------------------------------------------------
// 1. Ingest vs COPY.
