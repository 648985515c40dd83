//! The tour of the main job, run against localnet while the indexer follows it: every
//! proof-of-compute record lands in `receipts` exactly as the sdk rebuilds it from the
//! chain (getSignaturesForAddress + getTransaction), with its transaction, verified.

use std::time::Duration;

mod common;

use clap::Parser;
use common::{TempDir, fast_localnet, follow};
use gpunet_cli::args::NetworkInitArgs;
use gpunet_cli::demo::{self, DemoOptions};
use gpunet_cli::output::Output;
use gpunet_cli::setup::{self, Defaults, Endpoints};
use gpunet_indexer::postgres::PrivatePostgres;
use gpunet_indexer::store::Store;
use gpunet_localnet::free_port;
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::GpunetClient;
use gpunet_sdk::proof::{self, ProofInstruction, ReceiptKind, ReceiptLog, Record};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_config::{CommitmentConfig, RpcTransactionConfig};
use solana_keypair::Keypair;
use solana_transaction_status_client_types::UiTransactionEncoding;

#[derive(Parser)]
struct Init {
    #[command(flatten)]
    network: NetworkInitArgs,
}

/// Every record of `device`, rebuilt by the sdk from the transactions that touched its
/// receipt log, and checked against the log.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_receipt_of_the_tour_is_stored_as_the_sdk_rebuilds_it_and_verified() {
    let dir = TempDir::new("receipts");
    let pg = PrivatePostgres::start(&dir.0.join("pg"), free_port()).expect("PostgreSQL");
    let url = pg.url();
    let authority = Keypair::new();
    let localnet = fast_localnet(&authority);
    let (_stop, _indexer) = follow(&localnet, &url);

    // The main job's tour: devices, a lease, epochs, inference and job receipts.
    let admin = GpunetClient::new(localnet.rpc_url.clone(), authority);
    admin
        .airdrop(&admin.pubkey(), 1_000_000_000_000)
        .await
        .unwrap();
    let state = dir.0.join("state.json");
    let args = Init::parse_from([
        "init",
        "--state",
        state.to_str().unwrap(),
        "--epoch-seconds",
        "2",
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

    // Every device with a receipt log: the stored records equal the rebuilt ones.
    let rpc =
        RpcClient::new_with_commitment(localnet.rpc_url.clone(), CommitmentConfig::confirmed());
    let logs = rpc.get_program_accounts(&proof::PROGRAM_ID).await.unwrap();
    let logs: Vec<ReceiptLog> = logs
        .iter()
        .filter_map(|(_, a)| gpunet_sdk::decode_account::<ReceiptLog>(&a.data).ok())
        .collect();
    assert!(!logs.is_empty(), "the tour submits receipts");
    let mut expected = Vec::new();
    for log in &logs {
        expected.extend(rebuilt_from_chain(&rpc, &log.device, log).await);
    }
    assert!(expected.iter().any(|r| r.kind == ReceiptKind::Inference));
    assert!(expected.iter().any(|r| r.kind == ReceiptKind::LeaseJob));
    expected.sort_by_key(|r| (r.device.to_bytes(), r.seq));

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let stored = loop {
        let stored =
            tokio::task::block_in_place(|| Store::connect(&url).unwrap().receipts()).unwrap();
        if stored.len() == expected.len() && stored.iter().all(|r| r.verified) {
            break stored;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {} receipts stored, {} verified",
            stored.len(),
            expected.len(),
            stored.iter().filter(|r| r.verified).count()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for (row, record) in stored.iter().zip(&expected) {
        assert_eq!(row.device, record.device.to_bytes());
        assert_eq!(row.seq as u64, record.seq);
        let kind = match record.kind {
            ReceiptKind::Inference => "inference",
            ReceiptKind::LeaseJob => "lease_job",
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
    // Inference amounts add up: what workers, model owners and the network got.
    let paid: i64 = stored.iter().map(|r| r.amount).sum();
    let parts: i64 = stored.iter().map(|r| r.worker + r.royalty + r.fee).sum();
    assert!(paid > 0);
    assert_eq!(paid, parts);
}
