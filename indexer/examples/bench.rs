//! The indexer's benchmarks, measured in one run on one machine:
//!
//! * `ingest`: a workload of `register_device` transactions on localnet with no indexer
//!   running, then the indexer (in-process `stream::run`) replays it into an empty
//!   database; its rows per second against `COPY ... FROM STDIN` of the very same rows
//!   into an empty database with the same schema.
//! * `lag`: the indexer and the API following localnet while a steady load of
//!   `register_device` transactions arrives; per transaction, the time from the chain
//!   reporting it `confirmed` (`getSignatureStatuses`) to the API serving its device.
//! * `api`: the API over 1,000 devices and 1,000,000 receipts generated with SQL, under
//!   `wrk` on the same machine.
//!
//! ```text
//! cargo run --release -p gpunet-indexer --example bench -- [ingest|lag|api|all] [options]
//! ```
//! (`scripts/bench` builds the programs and runs this.) Markdown on stdout, progress on
//! stderr. Every benchmark starts its own private PostgreSQL (temp dir, free port) and,
//! where needed, its own in-process localnet.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};
use futures::StreamExt;
use gpunet_indexer::api::{self, ApiOptions};
use gpunet_indexer::metrics::Metrics;
use gpunet_indexer::postgres::PrivatePostgres;
use gpunet_indexer::source::stream::{self, IngestConfig};
use gpunet_indexer::store::Store;
use gpunet_localnet::{Localnet, LocalnetConfig, free_port};
use gpunet_sdk::client::GpunetClient;
use gpunet_sdk::{Instruction, Pubkey, hex, registry};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_config::RpcSendTransactionConfig;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use tokio::sync::watch;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Which {
    Ingest,
    Lag,
    Api,
    All,
}

/// The indexer's benchmarks (Markdown on stdout).
#[derive(Parser, Debug)]
struct Args {
    #[arg(value_enum, default_value = "all")]
    which: Which,
    /// ingest: owners sending the workload.
    #[arg(long, default_value_t = 4)]
    ingest_owners: usize,
    /// ingest: `register_device` transactions per owner.
    #[arg(long, default_value_t = 500)]
    ingest_txs_per_owner: usize,
    /// ingest: devices registered per transaction.
    #[arg(long, default_value_t = 4)]
    ingest_devices_per_tx: usize,
    /// ingest: transactions in flight while the workload is sent.
    #[arg(long, default_value_t = 16)]
    ingest_in_flight: usize,
    /// lag: transactions per second (one device each).
    #[arg(long, default_value_t = 200)]
    lag_rate: u64,
    /// lag: seconds of load.
    #[arg(long, default_value_t = 30)]
    lag_seconds: u64,
    /// lag: owners the load is spread over.
    #[arg(long, default_value_t = 4)]
    lag_owners: usize,
    /// api: devices generated.
    #[arg(long, default_value_t = 1_000)]
    api_devices: i64,
    /// api: receipts generated (spread evenly over the devices).
    #[arg(long, default_value_t = 1_000_000)]
    api_receipts: i64,
    /// api: wrk threads.
    #[arg(long, default_value_t = 2)]
    wrk_threads: u32,
    /// api: wrk connections.
    #[arg(long, default_value_t = 32)]
    wrk_connections: u32,
    /// api: wrk duration per endpoint, in seconds.
    #[arg(long, default_value_t = 20)]
    wrk_seconds: u32,
    /// api: the API's PostgreSQL pool size (the `gpunet-indexer` binary uses 8).
    #[arg(long, default_value_t = 8)]
    api_pool: u32,
}

/// localnet slot time for every benchmark.
const SLOT_MS: u64 = 100;
/// lag: most `sendTransaction` requests open at once.
const LAG_MAX_IN_FLIGHT: usize = 64;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Result<T> = std::result::Result<T, BoxError>;

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let started = Instant::now();
    let result = runtime.block_on(run(args));
    eprintln!(
        "bench: finished in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let all = args.which == Which::All;
    println!("{}", machine().await);
    if all || args.which == Which::Ingest {
        let section = ingest_vs_copy(&args).await?;
        println!("{section}");
    }
    if all || args.which == Which::Lag {
        let section = lag(&args).await?;
        println!("{section}");
    }
    if all || args.which == Which::Api {
        let section = api_under_wrk(&args).await?;
        println!("{section}");
    }
    Ok(())
}

fn progress(message: impl std::fmt::Display) {
    eprintln!("bench: {message}");
}

// ----------------------------------------------------------------------------------------
// The machine and the run.

async fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown".to_string(), |s| s.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or("?".to_string(), |kb| format!("{:.1}", kb / 1024.0 / 1024.0));
    let command_output = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = command_output("git", &["rev-parse", "--short", "HEAD"]).unwrap_or("?".into());
    let dirty = command_output("git", &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.is_empty());
    let date = command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or("?".into());
    let kernel = command_output("uname", &["-sr"]).unwrap_or("?".into());
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    format!(
        "## Machine and run\n\n\
         - {date}, commit `{commit}`{}; `bench {}`\n\
         - CPU: {cpu}, {cores} cores available; RAM {mem_gib} GiB; {kernel}\n\
         - {profile} build; one process (localnet, indexer, API and load generators \
         in-process; `wrk` a separate process), every server on 127.0.0.1\n\
         - localnet slot time {SLOT_MS} ms; PostgreSQL: a private cluster per benchmark \
         (`PrivatePostgres`, default settings, fsync on)\n",
        if dirty { " (with local changes)" } else { "" },
        if arguments.is_empty() {
            "all".to_string()
        } else {
            arguments.join(" ")
        }
    )
}

// ----------------------------------------------------------------------------------------
// Shared pieces: PostgreSQL in a temp dir, localnet with the network, signing and sending.

/// A private PostgreSQL in a temp dir, stopped and removed when dropped.
struct Db {
    pg: Option<PrivatePostgres>,
    dir: PathBuf,
}

impl Db {
    fn start(label: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "gpunet-bench-{label}-{}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let pg = tokio::task::block_in_place(|| PrivatePostgres::start(&dir, free_port()))?;
        Ok(Db { pg: Some(pg), dir })
    }

    fn url(&self) -> String {
        self.pg.as_ref().expect("running").url()
    }

    /// The URL of another database of the same cluster.
    fn url_of(&self, database: &str) -> String {
        let url = self.url();
        let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
        format!("{base}/{database}")
    }

    /// Restarts the server (to load `shared_preload_libraries`).
    fn restart(&mut self) -> Result<()> {
        let pg = self.pg.as_mut().expect("running");
        tokio::task::block_in_place(|| -> Result<()> {
            pg.stop()?;
            pg.resume()?;
            Ok(())
        })
    }

    fn version(&self) -> String {
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
struct Chain {
    localnet: Localnet,
    rpc: Arc<RpcClient>,
    owners: Vec<Arc<Keypair>>,
    /// A valid agent key for every device (not the owner, not the default key).
    agent: Pubkey,
}

async fn chain(replay_slots: u64, owners: usize) -> Result<Chain> {
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

fn register(owner: &Pubkey, agent: Pubkey, device_id: u64) -> Instruction {
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

fn no_preflight() -> RpcSendTransactionConfig {
    RpcSendTransactionConfig {
        skip_preflight: true,
        ..RpcSendTransactionConfig::default()
    }
}

/// (slot, error) per signature once the chain reports it at `confirmed` or later.
type Outcome = (u64, Option<String>);

/// Asks for the statuses of `signatures` (256 per request, the RPC limit); `history`
/// searches beyond the recent status cache (about 150 slots, 15 s here).
async fn statuses(
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

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Rows per table of the public schema, except the migrations' bookkeeping.
fn row_counts(conn: &mut PgConnection) -> Result<BTreeMap<String, i64>> {
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

/// Calls macro `$m` with every table of the indexer's schema (diesel's table types are static,
/// so `COPY` by name dispatches over this one list).
macro_rules! for_each_table {
    ($m:ident) => {
        $m!(
            accounts,
            ingest_cursor,
            devices,
            receipts,
            receipt_chains,
            network,
            staking_config,
            stakes,
            epoch_rewards,
            slashes,
            leases,
            hires,
            models,
            sessions,
            events,
            device_epochs,
            settlements,
            receipt_totals,
            device_totals
        )
    };
}

/// `COPY <table> TO STDOUT` (text format) of a table of the indexer's schema; `None` for a
/// table this program does not know (the caller refuses to compare then).
fn copy_out(conn: &mut PgConnection, table: &str) -> Result<Option<Vec<u8>>> {
    use gpunet_indexer::schema::*;
    macro_rules! out {
        ($($t:ident),*) => {
            match table {
                $(stringify!($t) => {
                    let mut data = Vec::new();
                    diesel::copy_to($t::table).load_raw(conn)?.read_to_end(&mut data)?;
                    Ok(Some(data))
                })*
                _ => Ok(None),
            }
        };
    }
    for_each_table!(out)
}

/// `COPY <table> FROM STDIN` of what [`copy_out`] wrote; returns the rows copied.
fn copy_in(conn: &mut PgConnection, table: &str, data: &[u8]) -> Result<usize> {
    use gpunet_indexer::schema::*;
    let write = |w: &mut dyn Write| {
        w.write_all(data)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
    };
    macro_rules! into {
        ($($t:ident),*) => {
            match table {
                $(stringify!($t) => Ok(diesel::copy_from($t::table)
                    .from_raw_data($t::table, write)
                    .execute(conn)?),)*
                other => Err(format!("no COPY for table {other}").into()),
            }
        };
    }
    for_each_table!(into)
}

/// Sends every transaction, `in_flight` at once, without preflight, each signed just
/// before it is sent at a blockhash at most 1 s old (localnet executes a transaction before
/// answering, one at a time, so a transaction signed long before it is sent could expire
/// in the queue). Returns (signature, send error) in order.
async fn send_all(
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
async fn wait_confirmed(
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

/// The request the indexer makes (`ingest.rs`), for the replay-only measurement.
fn geyser_request(from_slot: Option<u64>) -> yellowstone_grpc_proto::prelude::SubscribeRequest {
    use yellowstone_grpc_proto::prelude::*;
    let programs: Vec<String> = gpunet_sdk::PROGRAM_IDS
        .iter()
        .map(|p| p.to_string())
        .collect();
    SubscribeRequest {
        accounts: [(
            "gpunet".to_string(),
            SubscribeRequestFilterAccounts {
                owner: programs.clone(),
                ..Default::default()
            },
        )]
        .into(),
        transactions: [(
            "gpunet".to_string(),
            SubscribeRequestFilterTransactions {
                account_include: programs,
                failed: Some(false),
                vote: Some(false),
                ..Default::default()
            },
        )]
        .into(),
        slots: [(
            "slots".to_string(),
            SubscribeRequestFilterSlots {
                filter_by_commitment: Some(false),
                ..Default::default()
            },
        )]
        .into(),
        commitment: Some(CommitmentLevel::Confirmed as i32),
        from_slot,
        ..Default::default()
    }
}

/// Seconds for a bare gRPC subscriber (no database) to receive the replay from the first
/// available slot until `last_slot` is confirmed, and the updates it received.
async fn replay_only(endpoint: &str, last_slot: u64) -> Result<(f64, u64)> {
    use yellowstone_grpc_proto::prelude::{SlotStatus, subscribe_update::UpdateOneof};
    let started = Instant::now();
    let mut client =
        yellowstone_grpc_client::GeyserGrpcClient::build_from_shared(endpoint.to_string())?
            .connect()
            .await?;
    let first = client.subscribe_replay_info().await?.first_available;
    let (_sink, mut stream) = client
        .subscribe_with_request(Some(geyser_request(first)))
        .await?;
    let mut updates = 0u64;
    while let Some(update) = stream.next().await {
        let update = update?;
        updates += 1;
        if let Some(UpdateOneof::Slot(slot)) = update.update_oneof
            && slot.slot >= last_slot
            && matches!(
                SlotStatus::try_from(slot.status),
                Ok(SlotStatus::SlotConfirmed)
            )
        {
            return Ok((started.elapsed().as_secs_f64(), updates));
        }
    }
    Err("the replay stream ended early".into())
}

/// `name_sum` and `name_count` from the Prometheus text.
fn histogram_sum(text: &str, name: &str) -> Option<(f64, u64)> {
    let value = |suffix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}_{suffix} ")))
            .map(str::to_string)
    };
    Some((value("sum")?.parse().ok()?, value("count")?.parse().ok()?))
}

#[derive(QueryableByName)]
struct StatementStat {
    #[diesel(sql_type = BigInt)]
    calls: i64,
    #[diesel(sql_type = Double)]
    ms: f64,
    #[diesel(sql_type = BigInt)]
    rows: i64,
    #[diesel(sql_type = Text)]
    query: String,
}

/// Every statement `pg_stat_statements` saw in the database at `url`, by total time.
fn statement_stats(url: &str) -> Result<Vec<StatementStat>> {
    let mut conn = PgConnection::establish(url)?;
    Ok(diesel::sql_query(
        "SELECT calls, total_exec_time AS ms, rows,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
         FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query NOT LIKE '%pg_stat_statements%'
         ORDER BY total_exec_time DESC",
    )
    .load(&mut conn)?)
}

/// One timed replay: the indexer (in-process) into `url` (schema already migrated) from
/// the first available slot until its cursor reaches `last_slot`.
struct IngestRun {
    secs: f64,
    /// `Store::commit_slot`: total seconds and transactions (the `db_commit` histogram).
    commits: Option<(f64, u64)>,
    reconnects: u64,
}

async fn timed_ingest(endpoint: &str, url: &str, last_slot: u64) -> Result<IngestRun> {
    let metrics = Arc::new(Metrics::default());
    let config = IngestConfig {
        endpoint: endpoint.to_string(),
        x_token: None,
        database_url: url.to_string(),
        metrics: metrics.clone(),
    };
    let (stop, stopped) = watch::channel(false);
    let clock = Instant::now();
    let indexer = tokio::spawn(stream::run(config, stopped));
    let deadline = clock + Duration::from_secs(1800);
    // `indexed_slot` is set right after each slot's transaction commits.
    while metrics.indexed_slot.load(Relaxed) < last_slot {
        if Instant::now() > deadline {
            return Err("the indexer did not reach the last workload slot in 30 min".into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let secs = clock.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let _ = indexer.await;
    let cursor = tokio::task::block_in_place(|| Store::connect(url)?.cursor())?;
    if cursor.is_none_or(|c| c < last_slot) {
        return Err(format!("stored cursor {cursor:?} is behind slot {last_slot}").into());
    }
    Ok(IngestRun {
        secs,
        commits: histogram_sum(&metrics.render(), "gpunet_indexer_db_commit_seconds"),
        reconnects: metrics.reconnects.load(Relaxed),
    })
}

fn rows_written(counts: &BTreeMap<String, i64>) -> i64 {
    counts
        .iter()
        .filter(|(t, _)| *t != "ingest_cursor")
        .map(|(_, n)| n)
        .sum()
}

async fn ingest_vs_copy(args: &Args) -> Result<String> {
    progress("ingest: starting localnet");
    // Enough replay to reach back to genesis for the whole run (about 11 days of slots).
    let replay_slots = 10_000_000;
    let chain = chain(replay_slots, args.ingest_owners).await?;
    let per_tx = args.ingest_devices_per_tx as u64;
    let mut transactions = Vec::new();
    for j in 0..args.ingest_txs_per_owner as u64 {
        for owner in &chain.owners {
            let ixs = (0..per_tx)
                .map(|k| register(&owner.pubkey(), chain.agent, 1 + j * per_tx + k))
                .collect();
            transactions.push((owner.clone(), ixs));
        }
    }
    let total_tx = transactions.len();
    progress(format!(
        "ingest: sending {total_tx} transactions ({} devices), no indexer running",
        total_tx as u64 * per_tx
    ));
    let sending = Instant::now();
    let sent = send_all(&chain.rpc, &transactions, args.ingest_in_flight).await?;
    let send_secs = sending.elapsed().as_secs_f64();
    progress(format!("ingest: sent in {send_secs:.1} s"));
    let send_errors = sent.iter().filter(|(_, e)| e.is_some()).count();
    let signatures: Vec<Signature> = sent.iter().map(|(s, _)| *s).collect();
    let outcomes = wait_confirmed(&chain.rpc, &signatures, Duration::from_secs(60)).await?;
    let workload_secs = sending.elapsed().as_secs_f64();
    let confirmed: Vec<&Outcome> = outcomes.iter().flatten().collect();
    let failed = confirmed.iter().filter(|(_, e)| e.is_some()).count();
    let unconfirmed = outcomes.len() - confirmed.len();
    let last_slot = confirmed
        .iter()
        .map(|(s, _)| *s)
        .max()
        .ok_or("no workload transaction confirmed")?;
    let first_slot = confirmed.iter().map(|(s, _)| *s).min().unwrap_or(last_slot);
    let busy_slots = confirmed
        .iter()
        .map(|(s, _)| *s)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    progress(format!(
        "ingest: workload confirmed in {workload_secs:.1} s (slots {first_slot}..={last_slot}, \
         {send_errors} send errors, {failed} failed, {unconfirmed} unconfirmed)"
    ));

    // The indexer, replaying from the first available slot into an empty database (the
    // schema created beforehand, so the clock measures ingest only).
    let mut db = Db::start("ingest")?;
    let url = db.url();
    tokio::task::block_in_place(|| Store::connect(&url))?;
    progress("ingest: indexer replaying into an empty database");
    let run = timed_ingest(&chain.localnet.grpc_url, &url, last_slot).await?;
    progress(format!(
        "ingest: indexer reached slot {last_slot} in {:.2} s",
        run.secs
    ));

    // The same rows, COPY'd into an empty database with the same schema.
    let (counts, copy_rows, copy_secs, bytes) = tokio::task::block_in_place(|| -> Result<_> {
        let mut source = PgConnection::establish(&url)?;
        let counts = row_counts(&mut source)?;
        diesel::sql_query("CREATE DATABASE copy_target").execute(&mut source)?;
        let target_url = db.url_of("copy_target");
        drop(Store::connect(&target_url)?);
        // accounts first: devices reference it.
        let mut order: Vec<&String> = counts.keys().filter(|t| *t != "ingest_cursor").collect();
        order.sort_by_key(|t| (*t != "accounts", (*t).clone()));
        let mut dumps = Vec::new();
        for table in order {
            if counts[table] == 0 {
                continue;
            }
            // diesel 2.3 leaves a connection busy after a `COPY TO` (it does not collect the
            // command's final result), so every dump gets a connection of its own.
            let data = copy_out(&mut PgConnection::establish(&url)?, table)?.ok_or_else(|| {
                format!(
                    "table {table} has rows but bench.rs does not know it; \
                     add it to copy_out/copy_in"
                )
            })?;
            dumps.push((table.clone(), data));
        }
        let bytes: usize = dumps.iter().map(|(_, d)| d.len()).sum();
        let mut target = PgConnection::establish(&target_url)?;
        let clock = Instant::now();
        let mut rows = 0;
        for (table, data) in &dumps {
            rows += copy_in(&mut target, table, data)?;
        }
        Ok((counts, rows, clock.elapsed().as_secs_f64(), bytes))
    })?;
    let ingest_rows = rows_written(&counts);
    if ingest_rows as usize != copy_rows {
        return Err(format!("COPY wrote {copy_rows} rows, the indexer {ingest_rows}").into());
    }

    // Diagnostics: the same replay into a database with `synchronous_commit = off` (no
    // WAL flush wait per commit; the code unchanged), and a bare gRPC subscriber.
    progress("ingest: the same replay into a database with synchronous_commit = off");
    let async_url = db.url_of("ingest_async");
    tokio::task::block_in_place(|| -> Result<()> {
        let mut conn = PgConnection::establish(&url)?;
        diesel::sql_query("CREATE DATABASE ingest_async").execute(&mut conn)?;
        diesel::sql_query("ALTER DATABASE ingest_async SET synchronous_commit = off")
            .execute(&mut conn)?;
        drop(Store::connect(&async_url)?);
        Ok(())
    })?;
    let async_run = timed_ingest(&chain.localnet.grpc_url, &async_url, last_slot).await?;
    let async_rows = tokio::task::block_in_place(|| -> Result<i64> {
        Ok(rows_written(&row_counts(&mut PgConnection::establish(
            &async_url,
        )?)?))
    })?;
    // And once more (settings as in the measured run) with `pg_stat_statements` loaded,
    // for the server-side time per statement.
    progress("ingest: the same replay with pg_stat_statements");
    let stats_url = db.url_of("ingest_stats");
    tokio::task::block_in_place(|| -> Result<()> {
        let mut conn = PgConnection::establish(&url)?;
        diesel::sql_query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
            .execute(&mut conn)?;
        Ok(())
    })?;
    db.restart()?;
    tokio::task::block_in_place(|| -> Result<()> {
        let mut conn = PgConnection::establish(&url)?;
        diesel::sql_query("CREATE DATABASE ingest_stats").execute(&mut conn)?;
        drop(Store::connect(&stats_url)?);
        let mut conn = PgConnection::establish(&stats_url)?;
        diesel::sql_query("CREATE EXTENSION pg_stat_statements").execute(&mut conn)?;
        diesel::sql_query("SELECT pg_stat_statements_reset()").execute(&mut conn)?;
        Ok(())
    })?;
    let stats_run = timed_ingest(&chain.localnet.grpc_url, &stats_url, last_slot).await?;
    let statements = tokio::task::block_in_place(|| statement_stats(&stats_url))?;
    progress("ingest: a bare gRPC subscriber receiving the same replay (no database)");
    let (replay_secs, replay_updates) = replay_only(&chain.localnet.grpc_url, last_slot).await?;

    let ingest_rate = ingest_rows as f64 / run.secs;
    let copy_rate = copy_rows as f64 / copy_secs;
    let ratio = ingest_rate / copy_rate;
    let async_rate = async_rows as f64 / async_run.secs;
    let table_lines: Vec<String> = counts
        .iter()
        .filter(|(t, n)| *t != "ingest_cursor" && **n > 0)
        .map(|(t, n)| format!("`{t}` {n}"))
        .collect();
    let slots = last_slot - first_slot + 1;
    let commit_line = match run.commits {
        Some((sum, count)) => format!(
            "- Where the indexer's time goes: its writer thread (the `db_commit` histogram: \
             each database transaction storing a group of confirmed slots with the cursor, \
             and its finality mark) was busy **{sum:.2} s** of the {secs:.2} s ({busy:.0}%), in \
             {count} transactions ({avg:.2} ms each on average), while the reading task \
             received and decoded the stream alongside it; a bare gRPC subscriber with the \
             same filters and no database received the same replay ({replay_updates} \
             updates) in **{replay_secs:.2} s**. The chain produced {slots} slots while the \
             workload landed, {busy_slots} of them with workload transactions (about \
             {tx_per_slot:.1} transactions per slot).",
            secs = run.secs,
            busy = 100.0 * sum / run.secs,
            avg = sum * 1000.0 / count.max(1) as f64,
            tx_per_slot = confirmed.len() as f64 / slots as f64,
        ),
        None => "- (the `db_commit` histogram was not found in the metrics)".to_string(),
    };
    let verdict = if ratio >= 0.5 { "meets" } else { "misses" };
    let server_ms: f64 = statements.iter().map(|s| s.ms).sum();
    let server_calls: i64 = statements.iter().map(|s| s.calls).sum();
    let statement_rows: Vec<String> = statements
        .iter()
        .take(10)
        .map(|s| {
            format!(
                "| {} | {:.0} | {:.3} | {} | `{}` |",
                s.calls,
                s.ms,
                s.ms / s.calls.max(1) as f64,
                s.rows,
                s.query.replace('|', "\\|")
            )
        })
        .collect();
    let statements_section = format!(
        "- Server-side, per statement (`pg_stat_statements`, one more replay into a fresh \
         database, {stats_secs:.2} s): {server_calls} statements executing for \
         {server_ms:.0} ms in all; the top ten by total time:\n\n\
         | calls | total ms | mean ms | rows | statement |\n\
         |---:|---:|---:|---:|---|\n\
         {}\n",
        statement_rows.join("\n"),
        stats_secs = stats_run.secs,
    );
    Ok(format!(
        "## Ingest throughput vs `COPY`\n\n\
         Workload: {owners} owners × {per_owner} `register_device` transactions × {per_tx} \
         devices = {total_tx} transactions, {devices} devices, sent {in_flight} in flight \
         without preflight (each signed just before sending) with **no indexer running**; \
         sent in {send_secs:.1} s ({chain_rate:.1} tx/s: localnet executes one transaction \
         at a time and answers `sendTransaction` after it), confirmed in {workload_secs:.1} s (slots \
         {first_slot}..={last_slot}; {send_errors} send errors, {failed} failed, \
         {unconfirmed} unconfirmed). Then the indexer (`stream::run`, in-process) started \
         on an empty database (schema already migrated), replayed from the first available \
         slot and was timed until its cursor reached slot {last_slot}. The rows it wrote \
         ({table_lines}; `ingest_cursor` excluded) were dumped with `COPY … TO STDOUT` and \
         loaded with `COPY … FROM STDIN` (text format, through diesel, {mib:.1} MiB, one \
         `COPY` per table) into an empty database of the same cluster with the same schema \
         and indexes.\n\n\
         | | rows | seconds | rows/s |\n\
         |---|---:|---:|---:|\n\
         | indexer (replay → PostgreSQL) | {ingest_rows} | {ingest_secs:.2} | {ingest_rate:.0} |\n\
         | `COPY FROM STDIN` | {copy_rows} | {copy_secs:.2} | {copy_rate:.0} |\n\n\
         **ingest rate / COPY rate = {ratio:.3}** (target ≥ 0.5: {verdict} it).\n\n\
         {commit_line}\n\
         - The same replay into a database with `synchronous_commit = off` (a database \
         setting; the indexer unchanged; its cursor is committed with its rows, so a crash \
         could only lose the last commits and replay them): {async_rows} rows in \
         {async_secs:.2} s = {async_rate:.0} rows/s, ratio {async_ratio:.3} to COPY.\n\
         - Indexer reconnects during the runs: {reconnects}.\n\
         {statements_section}",
        owners = args.ingest_owners,
        per_owner = args.ingest_txs_per_owner,
        chain_rate = total_tx as f64 / send_secs,
        devices = total_tx as u64 * per_tx,
        in_flight = args.ingest_in_flight,
        table_lines = table_lines.join(", "),
        mib = bytes as f64 / (1024.0 * 1024.0),
        ingest_secs = run.secs,
        async_secs = async_run.secs,
        async_ratio = async_rate / copy_rate,
        reconnects = run.reconnects + async_run.reconnects + stats_run.reconnects,
    ))
}

// ----------------------------------------------------------------------------------------
// 2. Lag under a steady load.

struct Sent {
    signature: Signature,
    device: Pubkey,
    sent: Instant,
    send_error: Option<String>,
    /// When `getSignatureStatuses` first reported it confirmed, its slot and error.
    confirmed: Option<(Instant, u64, Option<String>)>,
    served: Option<Instant>,
}

async fn lag(args: &Args) -> Result<String> {
    progress("lag: starting localnet, PostgreSQL, the indexer and the API");
    let chain = chain(2_000, args.lag_owners).await?;
    let db = Db::start("lag")?;
    let url = db.url();
    tokio::task::block_in_place(|| Store::connect(&url))?;
    let metrics = Arc::new(Metrics::default());
    let (stop, stopped) = watch::channel(false);
    let indexer = tokio::spawn(stream::run(
        IngestConfig {
            endpoint: chain.localnet.grpc_url.clone(),
            x_token: None,
            database_url: url.clone(),
            metrics: metrics.clone(),
        },
        stopped,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let pool = api::pool(&url, args.api_pool)?;
    let (api_stop, mut api_stopped) = watch::channel(false);
    let server = tokio::spawn(api::serve(
        listener,
        api::app(pool, ApiOptions::default()),
        async move {
            let _ = api_stopped.changed().await;
        },
    ));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .build()?;
    // Wait until the indexer follows the chain.
    let deadline = Instant::now() + Duration::from_secs(60);
    while metrics.indexed_slot.load(Relaxed) == 0 {
        if Instant::now() > deadline {
            return Err("the indexer did not start following localnet".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let rate = args.lag_rate;
    let total = (rate * args.lag_seconds) as usize;
    let records: Arc<Mutex<Vec<Sent>>> = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let blockhash = Arc::new(Mutex::new(chain.rpc.get_latest_blockhash().await?));
    let (done_tx, done_rx) = watch::channel(false);

    // The blockhash, refreshed every 500 ms (a blockhash is valid for 150 slots = 15 s).
    let refresher = {
        let (rpc, blockhash, done) = (chain.rpc.clone(), blockhash.clone(), done_rx.clone());
        tokio::spawn(async move {
            while !*done.borrow() {
                if let Ok(hash) = rpc.get_latest_blockhash().await {
                    *blockhash.lock().unwrap() = hash;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };

    // Confirmations: the outstanding signatures' statuses, every 10 ms.
    let confirmer = {
        let (rpc, records, done) = (chain.rpc.clone(), records.clone(), done_rx.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if *done.borrow() {
                    return;
                }
                let open: Vec<(usize, Signature)> = {
                    let records = records.lock().unwrap();
                    records
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.confirmed.is_none() && r.send_error.is_none())
                        .map(|(i, r)| (i, r.signature))
                        .collect()
                };
                if open.is_empty() {
                    continue;
                }
                let signatures: Vec<Signature> = open.iter().map(|(_, s)| *s).collect();
                let Ok(outcomes) = statuses(&rpc, &signatures, false).await else {
                    continue;
                };
                let now = Instant::now();
                let mut records = records.lock().unwrap();
                for ((i, _), outcome) in open.iter().zip(outcomes) {
                    if let Some((slot, err)) = outcome {
                        records[*i].confirmed = Some((now, slot, err));
                    }
                }
            }
        })
    };

    // Served: per slot (the indexer commits a slot's rows in one transaction, slots in
    // order), the oldest slot with confirmed and unserved devices is asked for one of its
    // devices every 5 ms; when it is served, the whole slot is, and the next slot is asked
    // at once.
    let watcher = {
        let (http, base, records, done) =
            (http.clone(), base.clone(), records.clone(), done_rx.clone());
        tokio::spawn(async move {
            let mut requests = 0u64;
            let mut tick = tokio::time::interval(Duration::from_millis(5));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                loop {
                    // The oldest slot with a confirmed, successful, unserved device.
                    let probe = {
                        let records = records.lock().unwrap();
                        records
                            .iter()
                            .filter(|r| r.served.is_none())
                            .filter_map(|r| match &r.confirmed {
                                Some((_, slot, None)) => Some((*slot, r.device)),
                                _ => None,
                            })
                            .min_by_key(|(slot, _)| *slot)
                    };
                    let Some((slot, device)) = probe else { break };
                    requests += 1;
                    let served = http
                        .get(format!("{base}/v1/devices/{device}"))
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    if !served {
                        break;
                    }
                    let now = Instant::now();
                    let mut records = records.lock().unwrap();
                    for r in records.iter_mut() {
                        if r.served.is_none()
                            && matches!(&r.confirmed, Some((_, s, None)) if *s == slot)
                        {
                            r.served = Some(now);
                        }
                    }
                }
                if *done.borrow() {
                    let records = records.lock().unwrap();
                    let waiting = records
                        .iter()
                        .any(|r| r.served.is_none() && matches!(r.confirmed, Some((_, _, None))));
                    if !waiting {
                        return requests;
                    }
                }
            }
        })
    };

    progress(format!(
        "lag: sending {rate} tx/s for {} s ({total} transactions)",
        args.lag_seconds
    ));
    // The load: one `register_device` every 1/rate s, signed on the fly, sent without
    // waiting (each in its own task).
    let load_started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut senders = Vec::with_capacity(total);
    // localnet answers `sendTransaction` once it has executed the transaction, so a chain
    // slower than the load leaves requests open; at most this many (then the schedule
    // slips, which shows as an achieved send rate below the offered one).
    let in_flight = Arc::new(tokio::sync::Semaphore::new(LAG_MAX_IN_FLIGHT));
    let mut late = 0usize;
    for i in 0..total {
        let due = load_started + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let permit = in_flight.clone().acquire_owned().await?;
        if Instant::now() > due + Duration::from_millis(50) {
            late += 1;
        }
        let owner = chain.owners[i % chain.owners.len()].clone();
        let device_id = 1 + (i / chain.owners.len()) as u64;
        let ix = register(&owner.pubkey(), chain.agent, device_id);
        let hash = *blockhash.lock().unwrap();
        let tx = Transaction::new_signed_with_payer(
            &[ix],
            Some(&owner.pubkey()),
            &[owner.as_ref()],
            hash,
        );
        let index = {
            let mut records = records.lock().unwrap();
            records.push(Sent {
                signature: tx.signatures[0],
                device: registry::device_address(&owner.pubkey(), device_id),
                sent: Instant::now(),
                send_error: None,
                confirmed: None,
                served: None,
            });
            records.len() - 1
        };
        let (rpc, records) = (chain.rpc.clone(), records.clone());
        senders.push(tokio::spawn(async move {
            if let Err(e) = rpc.send_transaction_with_config(&tx, no_preflight()).await {
                records.lock().unwrap()[index].send_error = Some(e.to_string());
            }
            drop(permit);
        }));
    }
    let send_secs = load_started.elapsed().as_secs_f64();
    for sender in senders {
        let _ = sender.await;
    }
    progress("lag: load sent; waiting for the last confirmations and the API");
    // Up to 20 s (more than a blockhash's life) for the last confirmations.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let open = records
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.confirmed.is_none() && r.send_error.is_none())
            .count();
        if open == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = done_tx.send(true);
    let _ = confirmer.await;
    let _ = refresher.await;
    let mut watcher = watcher;
    let probes = match tokio::time::timeout(Duration::from_secs(60), &mut watcher).await {
        Ok(probes) => probes?,
        Err(_) => {
            progress("lag: the API did not serve every confirmed device within 60 s");
            watcher.abort();
            0
        }
    };
    let totals: serde_json::Value = http
        .get(format!("{base}/v1/network"))
        .send()
        .await?
        .json()
        .await?;
    let _ = stop.send(true);
    let _ = indexer.await;
    let _ = api_stop.send(true);
    let _ = server.await;

    let records = records.lock().unwrap();
    let send_errors = records.iter().filter(|r| r.send_error.is_some()).count();
    let mut error_kinds: BTreeMap<String, usize> = BTreeMap::new();
    for r in records.iter() {
        let error = r
            .send_error
            .clone()
            .or_else(|| r.confirmed.as_ref().and_then(|c| c.2.clone()));
        if let Some(e) = error {
            let short: String = e.chars().take(120).collect();
            *error_kinds.entry(short).or_default() += 1;
        }
    }
    let errors_line = if error_kinds.is_empty() {
        String::new()
    } else {
        format!(
            " Errors: {}.",
            error_kinds
                .iter()
                .map(|(e, n)| format!("{n} × `{e}`"))
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    let send_rate = total as f64 / send_secs;
    let failed = records
        .iter()
        .filter(|r| matches!(r.confirmed, Some((_, _, Some(_)))))
        .count();
    let unconfirmed = records
        .iter()
        .filter(|r| r.confirmed.is_none() && r.send_error.is_none())
        .count();
    let ok: Vec<&Sent> = records
        .iter()
        .filter(|r| matches!(r.confirmed, Some((_, _, None))))
        .collect();
    let served_devices = totals["totals"]["devices"].as_i64().unwrap_or(-1);
    let mut lags: Vec<f64> = ok
        .iter()
        .filter_map(|r| {
            let (confirmed, _, _) = r.confirmed.as_ref()?;
            let served = r.served?;
            Some(if served >= *confirmed {
                (served - *confirmed).as_secs_f64() * 1000.0
            } else {
                -((*confirmed - served).as_secs_f64() * 1000.0)
            })
        })
        .collect();
    lags.sort_by(f64::total_cmp);
    let mut confirm: Vec<f64> = ok
        .iter()
        .map(|r| (r.confirmed.as_ref().unwrap().0 - r.sent).as_secs_f64() * 1000.0)
        .collect();
    confirm.sort_by(f64::total_cmp);
    let mut end_to_end: Vec<f64> = ok
        .iter()
        .filter_map(|r| Some((r.served? - r.sent).as_secs_f64() * 1000.0))
        .collect();
    end_to_end.sort_by(f64::total_cmp);
    let first_confirmed = ok.iter().map(|r| r.confirmed.as_ref().unwrap().0).min();
    let last_confirmed = ok.iter().map(|r| r.confirmed.as_ref().unwrap().0).max();
    let achieved = match (first_confirmed, last_confirmed) {
        (Some(a), Some(b)) if b > a => (ok.len() - 1) as f64 / (b - a).as_secs_f64(),
        _ => f64::NAN,
    };
    let slots: std::collections::BTreeSet<u64> =
        ok.iter().map(|r| r.confirmed.as_ref().unwrap().1).collect();
    let negative = lags.iter().filter(|l| **l < 0.0).count();
    let p = |v: &[f64], q: f64| percentile(v, q);
    let chain_bound = if achieved < 0.9 * rate as f64 {
        format!(
            "**localnet executed only {achieved:.1} of the {rate} transactions per second \
             offered: the load was limited by the chain, not by the indexer, and the lag \
             below is measured at that rate, not at {rate} tx/s.**\n\n"
        )
    } else {
        String::new()
    };
    let verdict = if p(&lags, 99.0) <= 500.0 {
        "meets"
    } else {
        "misses"
    };
    let max = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
    Ok(format!(
        "## Indexing lag (offered load {rate} tx/s)\n\n\
         {chain_bound}\
         localnet ({SLOT_MS} ms slots), the indexer (`stream::run`) and the API \
         (`api::app`, pool {pool}, rate limit off) in one process. The load: one \
         `register_device` transaction (one device) every {interval_ms:.1} ms for {secs} s \
         from {owners} owners, signed on the fly at a blockhash refreshed every 500 ms and \
         sent without preflight and without waiting for the answer, at most \
         {LAG_MAX_IN_FLIGHT} requests open (sending took {send_secs:.1} s: {send_rate:.1} tx/s \
         achieved; {late} transactions left more than 50 ms behind schedule). \
         t_confirmed: the first `getSignatureStatuses` poll (all outstanding signatures every \
         10 ms) reporting it at `confirmed`; t_served: the first `GET /v1/devices/{{address}}` \
         answering 200, polled every 5 ms for one device of the oldest slot not yet served \
         (a slot's rows are committed in one transaction, so that device stands for its \
         slot; the next slot is asked at once; {probes} probes in all). Lag = t_served − \
         t_confirmed, so it includes up to ~10 ms of status polling granularity on the \
         confirmed side and ~5 ms on the served side.\n\n\
         | transactions | sent with errors | failed on chain | unconfirmed | confirmed OK | \
         achieved tx/s (confirmed) | slots |\n\
         |---:|---:|---:|---:|---:|---:|---:|\n\
         | {total} | {send_errors} | {failed} | {unconfirmed} | {n_ok} | {achieved:.1} | {n_slots} |\n\n\
         | ms | p50 | p90 | p99 | max |\n\
         |---|---:|---:|---:|---:|\n\
         | **lag (confirmed → served)** | **{l50:.0}** | **{l90:.0}** | **{l99:.0}** | **{lmax:.0}** |\n\
         | sent → confirmed | {c50:.0} | {c90:.0} | {c99:.0} | {cmax:.0} |\n\
         | sent → served | {e50:.0} | {e90:.0} | {e99:.0} | {emax:.0} |\n\n\
         p99 lag target ≤ 500 ms: {verdict} it. {n_lags} of {n_ok} confirmed devices were \
         seen served ({negative} served before their confirmation was seen, counted as \
         negative lag); the API's `/v1/network` counted {served_devices} devices at the \
         end.{errors_line}\n",
        pool = args.api_pool,
        interval_ms = interval.as_secs_f64() * 1000.0,
        secs = args.lag_seconds,
        owners = args.lag_owners,
        n_ok = ok.len(),
        n_slots = slots.len(),
        n_lags = lags.len(),
        l50 = p(&lags, 50.0),
        l90 = p(&lags, 90.0),
        l99 = p(&lags, 99.0),
        lmax = max(&lags),
        c50 = p(&confirm, 50.0),
        c90 = p(&confirm, 90.0),
        c99 = p(&confirm, 99.0),
        cmax = max(&confirm),
        e50 = p(&end_to_end, 50.0),
        e90 = p(&end_to_end, 90.0),
        e99 = p(&end_to_end, 99.0),
        emax = max(&end_to_end),
    ))
}

// ----------------------------------------------------------------------------------------
// 3. The API over a million receipts, under wrk.

/// Devices, their accounts, stakes, a few slashes, settlements, receipts and their totals,
/// all with `generate_series`. Addresses are sha256 of a label (32 bytes, as on chain).
fn generate(conn: &mut PgConnection, devices: i64, receipts: i64) -> Result<()> {
    let registry_id = hex(&registry::PROGRAM_ID.to_bytes());
    let statements = [
        format!(
            "INSERT INTO accounts (pubkey, owner, kind, slot, write_version, lamports, data)
             SELECT sha256(('device-' || i)::bytea), '\\x{registry_id}'::bytea, 'Device',
                    1000 + i, 0, 2500000, '\\x00'::bytea
             FROM generate_series(1, {devices}) i"
        ),
        format!(
            "INSERT INTO devices (address, owner, device_id, agent, gpu_model, gpu_count,
                vram_mib, cpu_cores, ram_mib, bandwidth_down_mbps, bandwidth_up_mbps, country,
                region, supplier_group, security_tier, green, connectivity_tier,
                price_per_gpu_hour, status, registered_at, epochs_attested, uptime_minutes,
                reliability_bps, slot, write_version)
             SELECT sha256(('device-' || i)::bytea), sha256(('owner-' || (i % 100))::bytea), i,
                    sha256(('agent-' || i)::bytea), 100 + i % 5, 1 + i % 8, 81920, 64, 524288,
                    10000, 2000, (ARRAY['DE','US','FR','JP','SG'])[1 + i % 5], 3, 2, 1,
                    i % 2 = 0, 2, 1500000 + (i % 50) * 10000,
                    CASE WHEN i % 20 = 0 THEN 'paused' ELSE 'active' END,
                    1760000000 + i, i % 100, (i % 100) * 1400, 9000 + i % 1000, 1000 + i, 0
             FROM generate_series(1, {devices}) i"
        ),
        format!(
            "INSERT INTO stakes (address, device, owner, active, cooling, unlock_at,
                pending_slashes, pending_slash_amount, slashes_proposed, slashed_total,
                rewards_claimed, pending_rewards, slot, write_version)
             SELECT sha256(('stake-' || i)::bytea), sha256(('device-' || i)::bytea),
                    sha256(('owner-' || (i % 100))::bytea), 1000000000000 * (1 + i % 8), 0, 0,
                    0, 0, CASE WHEN i % 20 = 0 THEN 1 ELSE 0 END,
                    CASE WHEN i % 20 = 0 THEN 5000000000 ELSE 0 END, i * 1000000, i % 3,
                    2000 + i, 0
             FROM generate_series(1, {devices}) i"
        ),
        format!(
            "INSERT INTO slashes (address, stake, device, slash_id, amount, reason,
                missed_epochs, evidence, beneficiary, proposed_at, status, taken, slot,
                write_version)
             SELECT sha256(('slash-' || i)::bytea), sha256(('stake-' || i)::bytea),
                    sha256(('device-' || i)::bytea), 1, 5000000000, 'missed_epochs', 1,
                    sha256(('evidence-' || i)::bytea), NULL, 1760100000 + i, 'finalized',
                    5000000000, 3000 + i, 0
             FROM generate_series(20, {devices}, 20) i"
        ),
        // 20 settled hires' first settlement per device.
        format!(
            "INSERT INTO settlements (hire, from_epoch, to_epoch, lease, device, attested,
                missed, missed_mask, to_owner, to_treasury, to_renter, signature, slot)
             SELECT sha256(('hire-' || d || '-' || h)::bytea), 100 + h * 10, 109 + h * 10,
                    sha256(('lease-' || (d % 200))::bytea), sha256(('device-' || d)::bytea),
                    10, 0, 0, 2000000 * (1 + d % 8), 10000, 0,
                    encode(sha512(('settle-' || d || '-' || h)::bytea), 'hex'), 4000 + h
             FROM generate_series(1, {devices}) d, generate_series(0, 19) h"
        ),
        // Receipts spread evenly over the devices, seq per device, time increasing;
        // one in ten a lease job, the rest inferences of 20 models over 5,000 sessions.
        format!(
            "INSERT INTO receipts (device, seq, kind, reference, model, compute_units, amount,
                worker, royalty, fee, timestamp, result_hash, signature, slot, verified)
             SELECT sha256(('device-' || (1 + i % {devices}))::bytea), i / {devices},
                    CASE WHEN i % 10 = 0 THEN 'lease_job' ELSE 'inference' END,
                    CASE WHEN i % 10 = 0 THEN sha256(('hire-' || (1 + i % {devices}) || '-0')::bytea)
                         ELSE sha256(('session-' || (i % 5000))::bytea) END,
                    sha256(('model-' || (i % 20))::bytea), 1000 + i % 5000,
                    CASE WHEN i % 10 = 0 THEN 0 ELSE 3 * (1000 + i % 5000) END,
                    CASE WHEN i % 10 = 0 THEN 0 ELSE 3 * (1000 + i % 5000) * 93 / 100 END,
                    CASE WHEN i % 10 = 0 THEN 0 ELSE 3 * (1000 + i % 5000) * 5 / 100 END,
                    CASE WHEN i % 10 = 0 THEN 0 ELSE 3 * (1000 + i % 5000)
                        - 3 * (1000 + i % 5000) * 93 / 100 - 3 * (1000 + i % 5000) * 5 / 100 END,
                    1760000000 + i / 10, sha256(('result-' || i)::bytea),
                    substr(encode(sha512(('sig-' || i)::bytea), 'hex'), 1, 88),
                    1000000 + i / 20, true
             FROM generate_series(0, {receipts} - 1) i"
        ),
        // Everything indexed and finalized (the receipts' finality is read from here).
        format!(
            "INSERT INTO ingest_cursor (id, slot, finalized_slot)
             VALUES (1, 1000000 + {receipts} / 20, 1000000 + {receipts} / 20)"
        ),
        "INSERT INTO receipt_totals (device, model, kind, receipts, compute_units, amount,
            worker, royalty, fee)
         SELECT device, model, kind, count(*), sum(compute_units), sum(amount), sum(worker),
                sum(royalty), sum(fee)
         FROM receipts GROUP BY device, model, kind"
            .to_string(),
        "INSERT INTO receipt_chains (device, count, head)
         SELECT device, count(*), sha256(device) FROM receipts GROUP BY device"
            .to_string(),
    ];
    for statement in &statements {
        diesel::sql_query(statement).execute(conn)?;
    }
    gpunet_indexer::store::totals::rebuild(conn)?;
    // Settle the bulk load (visibility map, statistics) so autovacuum does not run during
    // the measurement.
    diesel::sql_query("VACUUM (ANALYZE)").execute(conn)?;
    Ok(())
}

struct WrkResult {
    requests_per_second: f64,
    /// (percentile, ms)
    latency: Vec<(u32, f64)>,
    requests: u64,
    non_2xx: u64,
    socket_errors: String,
}

fn wrk_duration_ms(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        _ => return None,
    })
}

fn parse_wrk(out: &str) -> Result<WrkResult> {
    let mut result = WrkResult {
        requests_per_second: f64::NAN,
        latency: Vec::new(),
        requests: 0,
        non_2xx: 0,
        socket_errors: "none".into(),
    };
    let mut in_distribution = false;
    for line in out.lines() {
        let t = line.trim();
        if t.starts_with("Latency Distribution") {
            in_distribution = true;
            continue;
        }
        if in_distribution {
            if let Some((p, v)) = t.split_once('%')
                && let (Ok(p), Some(ms)) = (p.trim().parse::<u32>(), wrk_duration_ms(v))
            {
                result.latency.push((p, ms));
                continue;
            }
            in_distribution = false;
        }
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            result.requests_per_second = v.trim().parse()?;
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            result.non_2xx = v.trim().parse()?;
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            result.socket_errors = v.trim().to_string();
        } else if t.contains(" requests in ") {
            result.requests = t.split_whitespace().next().unwrap_or("0").parse()?;
        }
    }
    if result.requests_per_second.is_nan() || result.latency.is_empty() {
        return Err(format!("cannot read wrk's output:\n{out}").into());
    }
    Ok(result)
}

/// Runs wrk against `base` with `paths` spread over the connections (a Lua script walks
/// the list from a random start per thread).
fn wrk(args: &Args, base: &str, paths: &[String], label: &str) -> Result<(WrkResult, String)> {
    let script_path =
        std::env::temp_dir().join(format!("gpunet-bench-{label}-{}.lua", std::process::id()));
    let mut script = String::from("local paths = {\n");
    for path in paths {
        script.push_str(&format!("  \"{path}\",\n"));
    }
    script.push_str(
        "}\n\
         local threads = 0\n\
         function setup(thread)\n  threads = threads + 1\n  thread:set(\"start\", threads * 7919)\nend\n\
         function init(args)\n  i = (start or 0) % #paths\nend\n\
         function request()\n  i = (i % #paths) + 1\n  return wrk.format(\"GET\", paths[i])\nend\n",
    );
    std::fs::write(&script_path, script)?;
    let command = [
        "wrk".to_string(),
        format!("-t{}", args.wrk_threads),
        format!("-c{}", args.wrk_connections),
        format!("-d{}s", args.wrk_seconds),
        "--latency".to_string(),
        "-s".to_string(),
        format!("{label}.lua"),
        base.to_string(),
    ];
    let output = std::process::Command::new("wrk")
        .args(&command[1..6])
        .arg(&script_path)
        .arg(base)
        .output()
        .map_err(|e| format!("cannot run wrk (apt-get install wrk): {e}"))?;
    let _ = std::fs::remove_file(&script_path);
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "wrk failed: {}{}",
            out,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    eprintln!("{out}");
    Ok((parse_wrk(&out)?, command.join(" ")))
}

async fn api_under_wrk(args: &Args) -> Result<String> {
    let (devices, receipts) = (args.api_devices, args.api_receipts);
    progress(format!(
        "api: generating {devices} devices and {receipts} receipts with SQL"
    ));
    let db = Db::start("api")?;
    let url = db.url();
    let pg_version = db.version();
    let (generate_secs, counts, addresses) = tokio::task::block_in_place(|| -> Result<_> {
        drop(Store::connect(&url)?);
        let mut conn = PgConnection::establish(&url)?;
        let clock = Instant::now();
        generate(&mut conn, devices, receipts)?;
        let secs = clock.elapsed().as_secs_f64();
        let counts = row_counts(&mut conn)?;
        let addresses: Vec<Vec<u8>> = gpunet_indexer::schema::devices::table
            .select(gpunet_indexer::schema::devices::address)
            .order(gpunet_indexer::schema::devices::address)
            .load(&mut conn)?;
        Ok((secs, counts, addresses))
    })?;
    let addresses: Vec<String> = addresses
        .iter()
        .map(|a| bs58::encode(a).into_string())
        .collect();
    progress(format!(
        "api: generated in {generate_secs:.1} s; starting the API"
    ));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let pool = api::pool(&url, args.api_pool)?;
    let (api_stop, mut api_stopped) = watch::channel(false);
    let server = tokio::spawn(api::serve(
        listener,
        api::app(pool, ApiOptions::default()),
        async move {
            let _ = api_stopped.changed().await;
        },
    ));

    let endpoints = [
        (
            "device",
            "GET /v1/devices/{address}",
            addresses
                .iter()
                .map(|a| format!("/v1/devices/{a}"))
                .collect::<Vec<_>>(),
        ),
        (
            "receipts",
            "GET /v1/receipts?device={address}&limit=50",
            addresses
                .iter()
                .map(|a| format!("/v1/receipts?device={a}&limit=50"))
                .collect::<Vec<_>>(),
        ),
    ];
    // One request each first: the answers must be what a client expects.
    let http = reqwest::Client::new();
    let sample: serde_json::Value = http
        .get(format!("{base}{}", endpoints[0].2[0]))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    if sample["earnings"]["work"]["inferences"]
        .as_i64()
        .unwrap_or(0)
        == 0
    {
        return Err(format!("unexpected device answer: {sample}").into());
    }
    let sample: serde_json::Value = http
        .get(format!("{base}{}", endpoints[1].2[0]))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let page = sample["receipts"].as_array().map_or(0, Vec::len);
    if page != 50 {
        return Err(format!("expected 50 receipts, got {page}").into());
    }

    let mut rows = Vec::new();
    let mut commands = Vec::new();
    for (label, name, paths) in &endpoints {
        progress(format!("api: wrk on {name}"));
        let (result, command) = tokio::task::block_in_place(|| wrk(args, &base, paths, label))?;
        let at = |p: u32| {
            result
                .latency
                .iter()
                .find(|(q, _)| *q == p)
                .map_or(f64::NAN, |(_, ms)| *ms)
        };
        let ok = result.requests_per_second >= 2000.0 && at(99) <= 50.0;
        rows.push(format!(
            "| `{name}` | {rps:.0} | {p50:.2} | {p90:.2} | {p99:.2} | {requests} | {non_2xx} | {socket} | {verdict} |",
            rps = result.requests_per_second,
            p50 = at(50),
            p90 = at(90),
            p99 = at(99),
            requests = result.requests,
            non_2xx = result.non_2xx,
            socket = result.socket_errors,
            verdict = if ok { "yes" } else { "**no**" },
        ));
        commands.push(format!("{command}   # {label}.lua: {} paths", paths.len()));
    }
    let _ = api_stop.send(true);
    let _ = server.await;
    let count = |t: &str| counts.get(t).copied().unwrap_or(0);
    Ok(format!(
        "## API under load (1,000,000 receipts)\n\n\
         A fresh private PostgreSQL {pg_version} (schema by the migrations), filled with SQL \
         (`generate_series`) in {generate_secs:.1} s: {d} devices (and their `accounts` \
         rows), {s} stakes, {sl} slashes, {se} settlements, **{r} receipts** (evenly over \
         the devices, {per} per device; 20 models, 1 in 10 a lease job), {rt} \
         `receipt_totals`, {rc} `receipt_chains` and {dt} `device_totals` rows (the \
         aggregates as the indexer keeps them); then `VACUUM (ANALYZE)`. The API \
         (`api::app`, release build, rate limit off, pool of {pool} connections, tokio \
         multi-threaded runtime with one worker per core) in-process on 127.0.0.1; `wrk` \
         on the same machine, its Lua script walking all {d} device addresses (each thread \
         from a random start) so requests are spread over every device:\n\n\
         ```\n{commands}\n```\n\n\
         | endpoint | req/s | p50 ms | p90 ms | p99 ms | requests | non-2xx | socket errors | ≥ 2,000 req/s and p99 ≤ 50 ms |\n\
         |---|---:|---:|---:|---:|---:|---:|---|---|\n\
         {rows}\n",
        d = count("devices"),
        s = count("stakes"),
        sl = count("slashes"),
        se = count("settlements"),
        r = count("receipts"),
        per = count("receipts") / count("devices").max(1),
        rt = count("receipt_totals"),
        rc = count("receipt_chains"),
        dt = count("device_totals"),
        pool = args.api_pool,
        commands = commands.join("\n"),
        rows = rows.join("\n"),
    ))
}
