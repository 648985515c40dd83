//! The Geyser subscription: every account the gpunet programs own and every transaction
//! of the programs, at `confirmed`, stored a confirmed slot at a time with the cursor (a
//! group of slots in one transaction while catching up), marked finalized once rooted.
//! Any failure (stream, network, database) ends the session; the next one resumes from the
//! stored cursor, so an update is either stored or replayed, never lost.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};
use gpunet_sdk::Pubkey;
use tokio::sync::watch;
use yellowstone_grpc_client::GeyserGrpcClient;
use yellowstone_grpc_proto::prelude::{
    CommitmentLevel, SlotStatus, SubscribeRequest, SubscribeRequestFilterAccounts,
    SubscribeRequestFilterSlots, SubscribeRequestFilterTransactions, SubscribeUpdateAccount,
    SubscribeUpdateTransaction, subscribe_update::UpdateOneof,
};

use crate::metrics::Metrics;
use crate::store::{AccountRow, SlotData, Store, StoreError, bigint};
use crate::tx::{RawTx, TxView};

#[derive(Clone, Debug)]
pub struct IngestConfig {
    /// The Yellowstone gRPC endpoint (localnet's, or a provider's).
    pub endpoint: String,
    /// The provider's access token, if it needs one.
    pub x_token: Option<String>,
    pub database_url: String,
    pub metrics: Arc<Metrics>,
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

impl From<crate::tx::Malformed> for IngestError {
    fn from(e: crate::tx::Malformed) -> Self {
        IngestError::Malformed(e.0)
    }
}

/// Longest wait between two attempts after a failure.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Ingests until `shutdown` turns true, reconnecting after every failure.
pub async fn run(config: IngestConfig, mut shutdown: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(100);
    while !*shutdown.borrow() {
        match session(&config, &mut shutdown).await {
            Ok(()) => return,
            Err(e) => {
                config.metrics.reconnects.fetch_add(1, Relaxed);
                eprintln!("gpunet-indexer: {e}; resuming from the stored cursor")
            }
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

    // Updates of slots not yet confirmed, by slot.
    let mut pending: BTreeMap<u64, SlotData> = BTreeMap::new();
    // Confirmed slots not yet written, and the finalized slot not yet marked.
    let mut ready = Ready::default();
    let metrics = &config.metrics;
    loop {
        // Write what is complete as soon as no further update is waiting, or when a catch-up
        // (updates arriving back to back) has gathered enough: one transaction then covers
        // many slots, and a live stream still writes every slot as it confirms.
        let waiting = stream.next().now_or_never();
        if ready.due(waiting.is_none()) {
            let started = Instant::now();
            blocking(|| ready.write(&mut store))?;
            metrics.db_commit.observe(started.elapsed());
            metrics
                .indexed_slot
                .fetch_max(ready.written_through, Relaxed);
        }
        let update = match waiting {
            Some(update) => update,
            None => tokio::select! {
                update = stream.next() => update,
                _ = shutdown.changed() => return Ok(()),
            },
        };
        let update = update
            .ok_or(IngestError::StreamEnded)?
            .map_err(|status| IngestError::Grpc(status.to_string()))?;
        match update.update_oneof {
            Some(UpdateOneof::Account(account)) => {
                let slot = account.slot;
                metrics.account_updates.fetch_add(1, Relaxed);
                metrics.saw_slot(slot);
                pending.entry(slot).or_default().rows.push(row(account)?);
            }
            Some(UpdateOneof::Transaction(tx)) => {
                metrics.transaction_updates.fetch_add(1, Relaxed);
                let Some(tx) = view(tx)? else { continue };
                let data = pending.entry(tx.slot).or_default();
                data.batches.extend(tx.receipt_batches()?);
                data.events.extend(tx.events());
                data.closes.extend(tx.closes());
                data.tx_indexes.push((tx.signature, tx.index));
            }
            Some(UpdateOneof::Slot(slot)) => {
                metrics.saw_slot(slot.slot);
                match SlotStatus::try_from(slot.status) {
                    // At `confirmed` the server sends a slot's updates, then its Confirmed
                    // status: everything pending up to it is now complete. Pending updates of
                    // older slots that never confirmed (another fork) are dropped.
                    Ok(SlotStatus::SlotConfirmed) => {
                        let later = pending.split_off(&(slot.slot + 1));
                        let done = std::mem::replace(&mut pending, later)
                            .remove(&slot.slot)
                            .unwrap_or_default();
                        ready.confirmed(slot.slot, done);
                    }
                    Ok(SlotStatus::SlotFinalized) => ready.finalized(slot.slot),
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// Most confirmed slots, and most items, one database transaction gathers in a catch-up.
const MAX_GROUP_SLOTS: usize = 256;
const MAX_GROUP_ITEMS: usize = 20_000;
/// Longest a complete slot waits to be written while updates keep arriving.
const MAX_GROUP_AGE: Duration = Duration::from_millis(200);
/// Finalized marks are written at most this often on a live stream.
const FINALIZE_EVERY: Duration = Duration::from_secs(1);

/// Confirmed slots waiting to be written together.
#[derive(Default)]
struct Ready {
    data: SlotData,
    /// The newest confirmed slot gathered, and how many.
    slot: Option<u64>,
    slots: usize,
    since: Option<Instant>,
    /// The newest finalized slot not yet marked, and when marks were last written.
    finalized: Option<u64>,
    finalized_at: Option<Instant>,
    /// The cursor after the last write.
    written_through: u64,
}

impl Ready {
    fn confirmed(&mut self, slot: u64, data: SlotData) {
        let d = &mut self.data;
        d.rows.extend(data.rows);
        d.batches.extend(data.batches);
        d.events.extend(data.events);
        d.closes.extend(data.closes);
        d.tx_indexes.extend(data.tx_indexes);
        self.slot = Some(self.slot.map_or(slot, |s| s.max(slot)));
        self.slots += 1;
        self.since.get_or_insert_with(Instant::now);
    }

    fn finalized(&mut self, slot: u64) {
        self.finalized = Some(self.finalized.map_or(slot, |s| s.max(slot)));
    }

    fn items(&self) -> usize {
        let d = &self.data;
        d.rows.len()
            + d.events.len()
            + d.batches
                .iter()
                .map(|b| b.batch.batch.records.len())
                .sum::<usize>()
    }

    /// Whether to write now: `idle` (no update waiting) writes every complete slot; during a
    /// catch-up, a full or old enough group.
    fn due(&self, idle: bool) -> bool {
        let finalize_due = self.finalized.is_some()
            && self
                .finalized_at
                .is_none_or(|at| at.elapsed() >= FINALIZE_EVERY);
        if self.slot.is_none() {
            return idle && finalize_due;
        }
        idle || self.slots >= MAX_GROUP_SLOTS
            || self.items() >= MAX_GROUP_ITEMS
            || self
                .since
                .is_some_and(|since| since.elapsed() >= MAX_GROUP_AGE)
    }

    /// Writes the gathered slots (one transaction, with the cursor) and the finalized mark.
    fn write(&mut self, store: &mut Store) -> Result<(), StoreError> {
        if let Some(slot) = self.slot.take() {
            store.commit_slot(slot, &std::mem::take(&mut self.data))?;
            self.written_through = slot;
            self.slots = 0;
            self.since = None;
        }
        if let Some(finalized) = self.finalized
            && self
                .finalized_at
                .is_none_or(|at| at.elapsed() >= FINALIZE_EVERY)
        {
            store.finalize_through(finalized)?;
            self.finalized = None;
            self.finalized_at = Some(Instant::now());
        }
        Ok(())
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
    // Receipt batches, events and closes come from the programs' successful transactions.
    let transactions = SubscribeRequestFilterTransactions {
        account_include: gpunet_sdk::PROGRAM_IDS
            .iter()
            .map(|p| p.to_string())
            .collect(),
        failed: Some(false),
        vote: Some(false),
        ..Default::default()
    };
    SubscribeRequest {
        accounts: [("gpunet".to_string(), accounts)].into(),
        transactions: [("gpunet".to_string(), transactions)].into(),
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
    })
}

/// The transaction of a Geyser update, keys resolved (static, then loaded writable, then
/// loaded read-only, as the runtime orders them).
/// `None` for a failed transaction (nothing it did stayed).
fn view(update: SubscribeUpdateTransaction) -> Result<Option<TxView>, IngestError> {
    let malformed = |what: &str| IngestError::Malformed(format!("transaction without {what}"));
    let info = update.transaction.ok_or_else(|| malformed("info"))?;
    let meta = info.meta.ok_or_else(|| malformed("meta"))?;
    if meta.err.is_some() {
        return Ok(None);
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
    let top = message.instructions.iter().map(|ix| {
        (
            ix.program_id_index,
            ix.accounts.as_slice(),
            ix.data.clone(),
            false,
        )
    });
    let inner = meta
        .inner_instructions
        .iter()
        .flat_map(|i| &i.instructions)
        .map(|ix| {
            (
                ix.program_id_index,
                ix.accounts.as_slice(),
                ix.data.clone(),
                true,
            )
        });
    let raw = RawTx {
        signature: bs58::encode(&info.signature).into_string(),
        slot: update.slot,
        index: info.index,
        keys,
        instructions: top.chain(inner).collect(),
        pre_balances: &meta.pre_balances,
        post_balances: &meta.post_balances,
        logs: meta.log_messages.clone(),
    };
    Ok(Some(TxView::resolve(raw)?))
}

/// Runs a diesel call (synchronous) without stalling the async workers.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}
