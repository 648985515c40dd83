//! The Geyser subscription: every account the gpunet programs own and every transaction
//! of the programs, at `confirmed`, stored a confirmed slot at a time with the cursor (a
//! group of slots in one transaction while catching up), marked finalized once rooted.
//! One task reads the stream, a writer thread stores the groups in order meanwhile. Any
//! failure (stream, network, database) ends the session; the next one resumes from the
//! stored cursor, so an update is either stored or replayed, never lost.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use futures::StreamExt;
use gpunet_sdk::Pubkey;
use tokio::sync::watch;
use yellowstone_grpc_client::GeyserGrpcClient;
use yellowstone_grpc_proto::prelude::{
    CommitmentLevel, SlotStatus, SubscribeRequest, SubscribeRequestFilterAccounts,
    SubscribeRequestFilterSlots, SubscribeRequestFilterTransactions, SubscribeUpdate,
    SubscribeUpdateAccount, SubscribeUpdateTransaction, subscribe_update::UpdateOneof,
};
use yellowstone_grpc_proto::tonic::Status;

use crate::decode::{RawTx, TxView};
use crate::metrics::Metrics;
use crate::store::{AccountRow, SlotData, Store, StoreError, bigint};

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
    #[error("the database writer stopped: {0}")]
    Writer(String),
}

impl From<crate::decode::Malformed> for IngestError {
    fn from(e: crate::decode::Malformed) -> Self {
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

    // The database writes run on their own thread, one group at a time and in order, while
    // this task goes on reading the stream: a group is handed over when the writer can take
    // it (one waiting at most), and what arrives meanwhile joins the next group.
    let (to_writer, from_reader) = tokio::sync::mpsc::channel::<Group>(1);
    let writer = {
        let metrics = config.metrics.clone();
        tokio::task::spawn_blocking(move || write_groups(store, from_reader, &metrics))
    };
    let read = read_stream(&mut stream, &to_writer, &config.metrics, shutdown).await;
    // The writer finishes what it was given, then ends (its channel closed); its error, if
    // any, is the reason the reading stopped.
    drop(to_writer);
    let written = writer
        .await
        .map_err(|e| IngestError::Writer(e.to_string()))?;
    written?;
    read
}

/// Reads the stream into groups of confirmed slots for the writer until the stream fails,
/// the writer stops taking groups (it failed), or `shutdown`.
async fn read_stream<S>(
    stream: &mut S,
    to_writer: &tokio::sync::mpsc::Sender<Group>,
    metrics: &Metrics,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), IngestError>
where
    S: futures::Stream<Item = Result<SubscribeUpdate, Status>> + Unpin,
{
    // Updates of slots not yet confirmed, by slot.
    let mut pending: BTreeMap<u64, SlotData> = BTreeMap::new();
    // Confirmed slots not yet handed to the writer, and the finalized slot not yet marked.
    let mut ready = Ready::default();
    loop {
        // A full or old enough group goes before the next update (a catch-up); otherwise
        // whatever is complete goes as soon as no update is waiting (a live stream writes
        // every slot as it confirms).
        let full = ready.due(false);
        let update = tokio::select! {
            biased;
            permit = to_writer.reserve(), if full => {
                let Ok(permit) = permit else { return Ok(()) };
                permit.send(ready.take());
                continue;
            }
            update = stream.next(), if ready.items() < MAX_BACKLOG_ITEMS => update,
            permit = to_writer.reserve(), if ready.due(true) => {
                let Ok(permit) = permit else { return Ok(()) };
                permit.send(ready.take());
                continue;
            }
            _ = shutdown.changed() => return Ok(()),
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

/// The writer: each group in one database transaction with the cursor, then its finality
/// mark; ends when the reader hangs up, or at the first error (the next session resumes
/// from the stored cursor).
fn write_groups(
    mut store: Store,
    mut groups: tokio::sync::mpsc::Receiver<Group>,
    metrics: &Metrics,
) -> Result<(), StoreError> {
    while let Some(group) = groups.blocking_recv() {
        let started = Instant::now();
        if let Some((slot, data)) = &group.confirmed {
            store.commit_slot(*slot, data)?;
        }
        if let Some(finalized) = group.finalized {
            store.finalize_through(finalized)?;
        }
        metrics.db_commit.observe(started.elapsed());
        if let Some((slot, _)) = group.confirmed {
            metrics.indexed_slot.fetch_max(slot, Relaxed);
        }
    }
    Ok(())
}

/// What the writer stores in one go: confirmed slots through a slot, and a finality mark.
struct Group {
    confirmed: Option<(u64, SlotData)>,
    finalized: Option<u64>,
}

/// Most confirmed slots, and most items, one database transaction gathers in a catch-up.
const MAX_GROUP_SLOTS: usize = 256;
const MAX_GROUP_ITEMS: usize = 20_000;
/// Most items gathered while the writer is busy: beyond it the stream waits for the writer
/// (a slow database slows the reading instead of filling memory).
const MAX_BACKLOG_ITEMS: usize = 4 * MAX_GROUP_ITEMS;
/// Longest a complete slot waits to be written while updates keep arriving.
const MAX_GROUP_AGE: Duration = Duration::from_millis(200);
/// Finalized marks are written at most this often on a live stream.
const FINALIZE_EVERY: Duration = Duration::from_secs(1);

/// Confirmed slots waiting to be handed to the writer together.
#[derive(Default)]
struct Ready {
    data: SlotData,
    /// The newest confirmed slot gathered, and how many.
    slot: Option<u64>,
    slots: usize,
    since: Option<Instant>,
    /// The newest finalized slot not yet marked, and when marks were last handed over.
    finalized: Option<u64>,
    finalized_at: Option<Instant>,
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
        if self.slot.is_none() {
            return idle && self.finalize_due();
        }
        idle || self.slots >= MAX_GROUP_SLOTS
            || self.items() >= MAX_GROUP_ITEMS
            || self
                .since
                .is_some_and(|since| since.elapsed() >= MAX_GROUP_AGE)
    }

    fn finalize_due(&self) -> bool {
        self.finalized.is_some()
            && self
                .finalized_at
                .is_none_or(|at| at.elapsed() >= FINALIZE_EVERY)
    }

    /// Hands over the gathered slots and the finality mark when it is due.
    fn take(&mut self) -> Group {
        let confirmed = self
            .slot
            .take()
            .map(|slot| (slot, std::mem::take(&mut self.data)));
        self.slots = 0;
        self.since = None;
        let finalized = if self.finalize_due() {
            self.finalized_at = Some(Instant::now());
            self.finalized.take()
        } else {
            None
        };
        Group {
            confirmed,
            finalized,
        }
    }
}

/// The subscription the indexer makes: every account the gpunet programs own, their
/// successful transactions, and slot status, at `confirmed`, replayed from `from_slot`.
pub fn request(from_slot: Option<u64>) -> SubscribeRequest {
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
        kind: crate::store::kind(&info.owner, &info.data),
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
