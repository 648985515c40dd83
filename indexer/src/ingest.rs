//! The Geyser subscription: every account the gpunet programs own, at `confirmed`,
//! stored one slot at a time with the cursor, marked finalized when its slot is rooted.
//! Any failure (stream, network, database) ends the session; the next one resumes from the
//! stored cursor, so an update is either stored or replayed, never lost.

use std::time::Duration;

use futures::StreamExt;
use gpunet_sdk::Pubkey;
use gpunet_sdk::proof::{ProofInstruction, SubmittedBatch};
use tokio::sync::watch;
use yellowstone_grpc_client::GeyserGrpcClient;
use yellowstone_grpc_proto::prelude::{
    CommitmentLevel, SlotStatus, SubscribeRequest, SubscribeRequestFilterAccounts,
    SubscribeRequestFilterSlots, SubscribeRequestFilterTransactions, SubscribeUpdateAccount,
    SubscribeUpdateTransaction, subscribe_update::UpdateOneof,
};

use crate::receipts::SlotBatch;
use crate::store::{AccountRow, Store, StoreError, bigint};

#[derive(Clone, Debug)]
pub struct IngestConfig {
    /// The Yellowstone gRPC endpoint (localnet's, or a provider's).
    pub endpoint: String,
    /// The provider's access token, if it needs one.
    pub x_token: Option<String>,
    pub database_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("gRPC: {0}")]
    Grpc(String),
    #[error("the gRPC stream ended")]
    StreamEnded,
    #[error("malformed update: {0}")]
    Malformed(String),
}

/// Longest wait between two attempts after a failure.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Ingests until `shutdown` turns true, reconnecting after every failure.
pub async fn run(config: IngestConfig, mut shutdown: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(100);
    while !*shutdown.borrow() {
        match session(&config, &mut shutdown).await {
            Ok(()) => return,
            Err(e) => eprintln!("gpunet-indexer: {e}; resuming from the stored cursor"),
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection to the database and one subscription, until either fails.
async fn session(
    config: &IngestConfig,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), IngestError> {
    let mut store = blocking(|| Store::connect(&config.database_url))?;
    let mut client = GeyserGrpcClient::build_from_shared(config.endpoint.clone())
        .and_then(|b| b.x_token(config.x_token.clone()))
        .map_err(|e| IngestError::Grpc(e.to_string()))?
        .connect()
        .await
        .map_err(|e| IngestError::Grpc(e.to_string()))?;
    // Resume at the stored cursor (its slot again: the guard makes repeats no-ops); with no
    // cursor, from the oldest slot the provider can replay.
    let from_slot = match blocking(|| store.cursor())? {
        Some(slot) => Some(slot),
        None => {
            client
                .subscribe_replay_info()
                .await
                .map_err(|e| IngestError::Grpc(e.to_string()))?
                .first_available
        }
    };
    let (_sink, mut stream) = client
        .subscribe_with_request(Some(request(from_slot)))
        .await
        .map_err(|e| IngestError::Grpc(e.to_string()))?;

    let mut pending: Vec<AccountRow> = Vec::new();
    let mut pending_batches: Vec<SlotBatch> = Vec::new();
    loop {
        let update = tokio::select! {
            update = stream.next() => update,
            _ = shutdown.changed() => return Ok(()),
        };
        let update = update
            .ok_or(IngestError::StreamEnded)?
            .map_err(|status| IngestError::Grpc(status.to_string()))?;
        match update.update_oneof {
            Some(UpdateOneof::Account(account)) => pending.push(row(account)?),
            Some(UpdateOneof::Transaction(tx)) => pending_batches.extend(receipt_batches(tx)?),
            Some(UpdateOneof::Slot(slot)) => match SlotStatus::try_from(slot.status) {
                // At `confirmed` the server sends a slot's updates, then its Confirmed
                // status: everything pending up to it is now complete.
                Ok(SlotStatus::SlotConfirmed) => {
                    let (done, later): (Vec<_>, Vec<_>) =
                        pending.drain(..).partition(|r| r.slot <= slot.slot as i64);
                    pending = later;
                    let (batches, later): (Vec<_>, Vec<_>) =
                        pending_batches.drain(..).partition(|b| b.slot <= slot.slot);
                    pending_batches = later;
                    blocking(|| store.commit_slot(slot.slot, &done, &batches))?;
                }
                Ok(SlotStatus::SlotFinalized) => {
                    blocking(|| store.finalize_through(slot.slot))?;
                }
                _ => {}
            },
            _ => {}
        }
    }
}

fn request(from_slot: Option<u64>) -> SubscribeRequest {
    let accounts = SubscribeRequestFilterAccounts {
        owner: gpunet_sdk::PROGRAM_IDS
            .iter()
            .map(|p| p.to_string())
            .collect(),
        ..Default::default()
    };
    let slots = SubscribeRequestFilterSlots {
        filter_by_commitment: Some(false),
        ..Default::default()
    };
    // Receipt batches come from the proof program's successful transactions.
    let transactions = SubscribeRequestFilterTransactions {
        account_include: vec![gpunet_sdk::proof::PROGRAM_ID.to_string()],
        failed: Some(false),
        vote: Some(false),
        ..Default::default()
    };
    SubscribeRequest {
        accounts: [("gpunet".to_string(), accounts)].into(),
        transactions: [("proof".to_string(), transactions)].into(),
        slots: [("slots".to_string(), slots)].into(),
        commitment: Some(CommitmentLevel::Confirmed as i32),
        from_slot,
        ..Default::default()
    }
}

fn row(update: SubscribeUpdateAccount) -> Result<AccountRow, IngestError> {
    let info = update
        .account
        .ok_or_else(|| IngestError::Malformed("account update without account".into()))?;
    Ok(AccountRow {
        kind: gpunet_sdk::account_kind(&info.data)
            .unwrap_or("unknown")
            .to_string(),
        slot: bigint("slot", update.slot)?,
        write_version: bigint("write_version", info.write_version)?,
        lamports: bigint("lamports", info.lamports)?,
        pubkey: info.pubkey,
        owner: info.owner,
        data: info.data,
        txn_signature: info.txn_signature,
        finalized: false,
    })
}

/// The receipt batches of a transaction: its proof-program instructions, top-level and
/// inner (a batch submitted through another program counts too).
fn receipt_batches(update: SubscribeUpdateTransaction) -> Result<Vec<SlotBatch>, IngestError> {
    let malformed = |what: &str| IngestError::Malformed(format!("transaction without {what}"));
    let info = update.transaction.ok_or_else(|| malformed("info"))?;
    let meta = info.meta.ok_or_else(|| malformed("meta"))?;
    if meta.err.is_some() {
        return Ok(Vec::new());
    }
    let message = info
        .transaction
        .and_then(|t| t.message)
        .ok_or_else(|| malformed("message"))?;
    let keys: Vec<Pubkey> = message
        .account_keys
        .iter()
        .chain(&meta.loaded_writable_addresses)
        .chain(&meta.loaded_readonly_addresses)
        .map(|k| Pubkey::try_from(k.as_slice()).map_err(|_| malformed("valid keys")))
        .collect::<Result<_, _>>()?;
    let signature = bs58::encode(&info.signature).into_string();
    let top = message
        .instructions
        .iter()
        .map(|ix| (ix.program_id_index, &ix.accounts, &ix.data));
    let inner = meta
        .inner_instructions
        .iter()
        .flat_map(|i| &i.instructions)
        .map(|ix| (ix.program_id_index, &ix.accounts, &ix.data));
    let mut batches = Vec::new();
    for (program, accounts, data) in top.chain(inner) {
        if keys.get(program as usize) != Some(&gpunet_sdk::proof::PROGRAM_ID) {
            continue;
        }
        let ix = ProofInstruction {
            signature: signature.clone(),
            accounts: accounts
                .iter()
                .map(|&i| {
                    keys.get(i as usize)
                        .copied()
                        .ok_or_else(|| malformed("valid indexes"))
                })
                .collect::<Result<_, _>>()?,
            data: data.clone(),
        };
        let decoded =
            SubmittedBatch::decode(&ix).map_err(|e| IngestError::Malformed(format!("{e:?}")))?;
        if let Some(batch) = decoded {
            batches.push(SlotBatch {
                slot: update.slot,
                batch,
            });
        }
    }
    Ok(batches)
}

/// Runs a diesel call (synchronous) without stalling the async workers.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}
