//! The main job's tour (`gpunet demo`) against a localnet, and what the chain says about its
//! receipts, rebuilt by the sdk from getSignaturesForAddress + getTransaction.

use std::path::Path;
use std::time::Duration;

use clap::Parser;
use gpunet_cli::args::NetworkInitArgs;
use gpunet_cli::demo::{self, DemoOptions};
use gpunet_cli::output::Output;
use gpunet_cli::setup::{self, Defaults, Endpoints};
use gpunet_indexer::store::Store;
use gpunet_indexer::store::receipts::ReceiptRow;
use gpunet_localnet::Localnet;
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::GpunetClient;
use gpunet_sdk::proof::{self, ProofInstruction, ReceiptLog, Record};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_config::{CommitmentConfig, RpcTransactionConfig};
use solana_keypair::Keypair;
use solana_transaction_status_client_types::UiTransactionEncoding;

#[derive(Parser)]
struct Init {
    #[command(flatten)]
    network: NetworkInitArgs,
}

/// Initialises the network (4 s epochs) and runs the tour: devices registered and staked, a
/// lease with hires, epochs attested, a missed epoch, inference and job receipts,
/// settlement, rewards claimed.
pub async fn run(localnet: &Localnet, authority: Keypair, dir: &Path) {
    let admin = GpunetClient::new(localnet.rpc_url.clone(), authority);
    admin
        .airdrop(&admin.pubkey(), 1_000_000_000_000)
        .await
        .unwrap();
    let state = dir.join("state.json");
    let args = Init::parse_from([
        "init",
        "--state",
        state.to_str().unwrap(),
        // Each step of the tour must land within an epoch (an attestation is valid only
        // during its epoch and the next): 4 s leave room on a loaded machine.
        "--epoch-seconds",
        "4",
    ]);
    let quiet = Output { json: true };
    let endpoints = Endpoints {
        rpc_url: localnet.rpc_url.clone(),
        ws_url: None,
        grpc_url: Some(localnet.grpc_url.clone()),
    };
    let state = setup::init_network(
        &admin,
        &args.network,
        Defaults::LOCAL,
        endpoints,
        true,
        &quiet,
    )
    .await
    .expect("network initialised");
    let options = DemoOptions::from_state(&state, 2, 1).expect("demo options");
    demo::run(&admin, &options, &quiet)
        .await
        .expect("the tour runs");
}

/// A tour run while the indexer (in-process) follows it into a private PostgreSQL.
/// Fields drop in order: the indexer stops before the chain and the database it uses.
pub struct Followed {
    _indexer: (
        tokio::sync::watch::Sender<bool>,
        tokio::task::JoinHandle<()>,
    ),
    pub url: String,
    pub localnet: Localnet,
    /// At confirmed commitment.
    pub rpc: RpcClient,
    _pg: gpunet_indexer::postgres::PrivatePostgres,
    pub dir: super::TempDir,
}

/// Starts PostgreSQL, localnet and the indexer, and runs the tour.
pub async fn followed(label: &str) -> Followed {
    let dir = super::TempDir::new(label);
    let pg = gpunet_indexer::postgres::PrivatePostgres::start(
        &dir.0.join("pg"),
        gpunet_localnet::free_port(),
    )
    .expect("PostgreSQL");
    let url = pg.url();
    let authority = Keypair::new();
    let localnet = super::fast_localnet(&authority);
    let indexer = super::follow(&localnet, &url);
    run(&localnet, authority, &dir.0).await;
    let rpc =
        RpcClient::new_with_commitment(localnet.rpc_url.clone(), CommitmentConfig::confirmed());
    Followed {
        _indexer: indexer,
        url,
        localnet,
        rpc,
        _pg: pg,
        dir,
    }
}

/// Every record on the chain, by (device, seq): for each device's `ReceiptLog`, its records
/// rebuilt by the sdk from the transactions that touched the log, verified against it.
pub async fn receipts_on_chain(rpc: &RpcClient) -> Vec<Record> {
    let logs = rpc.get_program_accounts(&proof::PROGRAM_ID).await.unwrap();
    let logs: Vec<ReceiptLog> = logs
        .iter()
        .filter_map(|(_, a)| gpunet_sdk::decode_account::<ReceiptLog>(&a.data).ok())
        .collect();
    let mut records = Vec::new();
    for log in &logs {
        records.extend(rebuilt_from_chain(rpc, &log.device, log).await);
    }
    records.sort_by_key(|r| (r.device.to_bytes(), r.seq));
    records
}

async fn rebuilt_from_chain(rpc: &RpcClient, device: &Pubkey, log: &ReceiptLog) -> Vec<Record> {
    let log_address = proof::receipt_log_address(device);
    let config = RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Base64),
        commitment: Some(CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    };
    let mut instructions = Vec::new();
    for status in rpc.get_signatures_for_address(&log_address).await.unwrap() {
        if status.err.is_some() {
            continue;
        }
        let signature = status.signature.parse().unwrap();
        let tx = rpc
            .get_transaction_with_config(&signature, config)
            .await
            .unwrap()
            .transaction
            .transaction
            .decode()
            .expect("a base64 transaction");
        let keys = tx.message.static_account_keys();
        for ix in tx.message.instructions() {
            if keys[ix.program_id_index as usize] == proof::PROGRAM_ID {
                instructions.push(ProofInstruction {
                    signature: status.signature.clone(),
                    accounts: ix.accounts.iter().map(|&i| keys[i as usize]).collect(),
                    data: ix.data.clone(),
                });
            }
        }
    }
    proof::rebuild_and_verify(device, &instructions, log).expect("the chain verifies")
}

/// Waits (60 s at most) until `url` holds `count` receipts, all verified.
pub async fn until_receipts(url: &str, count: usize) -> Vec<ReceiptRow> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let stored =
            tokio::task::block_in_place(|| Store::connect(url).unwrap().receipts()).unwrap();
        if stored.len() == count && stored.iter().all(|r| r.verified) {
            return stored;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {count} receipts stored, {} verified",
            stored.len(),
            stored.iter().filter(|r| r.verified).count()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Asserts the stored receipts are the chain's records, field by field.
pub fn assert_receipts_equal(stored: &[ReceiptRow], expected: &[Record]) {
    assert_eq!(stored.len(), expected.len());
    for (row, record) in stored.iter().zip(expected) {
        assert_eq!(row.device, record.device.to_bytes());
        assert_eq!(row.seq as u64, record.seq);
        let kind = match record.kind {
            proof::ReceiptKind::Inference => "inference",
            proof::ReceiptKind::LeaseJob => "lease_job",
        };
        assert_eq!(row.kind, kind);
        assert_eq!(row.reference, record.reference.to_bytes());
        assert_eq!(row.model, record.model.to_bytes());
        assert_eq!(row.compute_units as u32, record.compute_units);
        let split = &record.split;
        assert_eq!(
            (row.amount, row.worker, row.royalty, row.fee),
            (
                split.amount as i64,
                split.worker as i64,
                split.royalty as i64,
                split.fee as i64
            )
        );
        assert_eq!(row.timestamp, record.timestamp);
        assert_eq!(row.result_hash, record.result_hash);
        assert_eq!(row.signature, record.signature);
    }
}
