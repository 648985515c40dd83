//! Rebuilding the database from JSON-RPC, for an empty database or after a gap longer than
//! the gRPC provider's replay window: `getProgramAccounts` of each program, with the slot it
//! answered at, replaces the stored state (closed accounts removed); every successful
//! transaction of the programs (`getSignaturesForAddress` + `getTransaction`) gives back the
//! history — receipts and events — that state alone does not hold.

use gpunet_sdk::Pubkey;
use serde_json::json;
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_request::RpcRequest;
use solana_client::rpc_response::{OptionalContext, RpcKeyedAccount};

use futures::StreamExt;
use solana_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_client::rpc_config::{CommitmentConfig, RpcTransactionConfig};
use solana_signature::Signature;
use solana_transaction_status_client_types::option_serializer::OptionSerializer;
use solana_transaction_status_client_types::{
    EncodedConfirmedTransactionWithStatusMeta, UiInstruction, UiTransactionEncoding,
};

use crate::decode::{RawTx, TxView};
use crate::store::{AccountRow, SlotData, Store, StoreError, bigint};

#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("RPC: {0}")]
    Rpc(String),
    #[error("RPC returned a malformed account {0}")]
    Malformed(String),
}

/// What a backfill did, per program.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Backfilled {
    pub accounts: usize,
    pub written: usize,
    pub deleted: usize,
}

/// Replaces the stored state of every gpunet program by the chain's at `confirmed`.
pub async fn accounts(rpc_url: &str, store: &mut Store) -> Result<Backfilled, BackfillError> {
    let rpc = RpcClient::new(rpc_url.to_string());
    let mut total = Backfilled::default();
    for program in gpunet_sdk::PROGRAM_IDS {
        let (slot, accounts) = program_accounts(&rpc, &program).await?;
        let rows = accounts
            .into_iter()
            .map(|keyed| row(&program, slot, keyed))
            .collect::<Result<Vec<_>, _>>()?;
        let owner = program.to_bytes();
        let (written, deleted) =
            tokio::task::block_in_place(|| store.replace_snapshot(&owner, slot, &rows))?;
        total.accounts += rows.len();
        total.written += written;
        total.deleted += deleted;
    }
    Ok(total)
}

/// `getProgramAccounts` with the slot of the answer (`withContext`).
async fn program_accounts(
    rpc: &RpcClient,
    program: &Pubkey,
) -> Result<(u64, Vec<RpcKeyedAccount>), BackfillError> {
    let params = json!([
        program.to_string(),
        { "encoding": "base64", "commitment": "confirmed", "withContext": true }
    ]);
    let answer: OptionalContext<Vec<RpcKeyedAccount>> = rpc
        .send(RpcRequest::GetProgramAccounts, params)
        .await
        .map_err(|e| BackfillError::Rpc(e.to_string()))?;
    match answer {
        OptionalContext::Context(response) => Ok((response.context.slot, response.value)),
        // A server that ignores withContext: the state is at least as new as this slot.
        OptionalContext::NoContext(accounts) => {
            let slot = rpc
                .get_slot()
                .await
                .map_err(|e| BackfillError::Rpc(e.to_string()))?;
            Ok((slot, accounts))
        }
    }
}

fn row(owner: &Pubkey, slot: u64, keyed: RpcKeyedAccount) -> Result<AccountRow, BackfillError> {
    let pubkey: Pubkey = keyed
        .pubkey
        .parse()
        .map_err(|_| BackfillError::Malformed(keyed.pubkey.clone()))?;
    let data = keyed
        .account
        .data
        .decode()
        .ok_or_else(|| BackfillError::Malformed(keyed.pubkey.clone()))?;
    Ok(AccountRow {
        pubkey: pubkey.to_bytes().to_vec(),
        owner: owner.to_bytes().to_vec(),
        kind: crate::store::kind(owner.as_ref(), &data),
        slot: bigint("slot", slot)?,
        // The end-of-slot state: newer than any write of that slot the stream delivers.
        write_version: i64::MAX,
        lamports: bigint("lamports", keyed.account.lamports)?,
        data,
        txn_signature: None,
    })
}

/// What a history backfill read and stored.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HistoryBackfilled {
    pub transactions: usize,
    pub receipts: usize,
    pub events: usize,
}

/// Transactions fetched at once.
const FETCH_CONCURRENCY: usize = 16;

/// Reads every successful transaction of the gpunet programs the node still has and stores
/// its receipts and events (those already stored are no-ops). `progress` is told
/// (fetched, total) as transactions arrive.
pub async fn history(
    rpc_url: &str,
    store: &mut Store,
    mut progress: impl FnMut(usize, usize),
) -> Result<HistoryBackfilled, BackfillError> {
    let rpc = RpcClient::new(rpc_url.to_string());
    let mut signatures: Vec<Signature> = Vec::new();
    for program in gpunet_sdk::PROGRAM_IDS {
        for signature in program_signatures(&rpc, &program).await? {
            if !signatures.contains(&signature) {
                signatures.push(signature);
            }
        }
    }
    let total = signatures.len();
    let config = RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Base64),
        commitment: Some(CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    };
    let mut fetches = futures::stream::iter(signatures)
        .map(|signature| {
            let rpc = &rpc;
            async move {
                rpc.get_transaction_with_config(&signature, config)
                    .await
                    .map_err(|e| BackfillError::Rpc(format!("getTransaction {signature}: {e}")))
                    .and_then(|tx| view(&signature, tx))
            }
        })
        .buffer_unordered(FETCH_CONCURRENCY);
    let mut data = SlotData::default();
    let mut fetched = 0;
    while let Some(tx) = fetches.next().await {
        fetched += 1;
        progress(fetched, total);
        if let Some(tx) = tx? {
            data.batches.extend(
                tx.receipt_batches()
                    .map_err(|e| BackfillError::Malformed(e.to_string()))?,
            );
            data.events.extend(tx.events());
        }
    }
    tokio::task::block_in_place(|| store.commit_history(&data))?;
    Ok(HistoryBackfilled {
        transactions: total,
        receipts: data
            .batches
            .iter()
            .map(|b| b.batch.batch.records.len())
            .sum(),
        events: data.events.len(),
    })
}

/// Every successful transaction signature mentioning `program`, newest first, page by page.
async fn program_signatures(
    rpc: &RpcClient,
    program: &Pubkey,
) -> Result<Vec<Signature>, BackfillError> {
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let config = GetConfirmedSignaturesForAddress2Config {
            before,
            until: None,
            limit: Some(1000),
            commitment: Some(CommitmentConfig::confirmed()),
        };
        let page = rpc
            .get_signatures_for_address_with_config(program, config)
            .await
            .map_err(|e| BackfillError::Rpc(format!("getSignaturesForAddress: {e}")))?;
        let Some(last) = page.last() else { break };
        before = Some(
            last.signature
                .parse()
                .map_err(|_| BackfillError::Malformed(last.signature.clone()))?,
        );
        for status in page.iter().filter(|s| s.err.is_none()) {
            all.push(
                status
                    .signature
                    .parse()
                    .map_err(|_| BackfillError::Malformed(status.signature.clone()))?,
            );
        }
    }
    Ok(all)
}

/// The transaction of a `getTransaction` answer (`None` when it failed).
fn view(
    signature: &Signature,
    answer: EncodedConfirmedTransactionWithStatusMeta,
) -> Result<Option<TxView>, BackfillError> {
    let malformed = |what: &str| BackfillError::Malformed(format!("{signature}: {what}"));
    let meta = answer
        .transaction
        .meta
        .ok_or_else(|| malformed("no status meta"))?;
    if meta.err.is_some() {
        return Ok(None);
    }
    let tx = answer
        .transaction
        .transaction
        .decode()
        .ok_or_else(|| malformed("undecodable transaction"))?;
    let parse = |k: &String| {
        k.parse::<Pubkey>()
            .map_err(|_| malformed("bad loaded address"))
    };
    let mut keys: Vec<Pubkey> = tx.message.static_account_keys().to_vec();
    if let OptionSerializer::Some(loaded) = &meta.loaded_addresses {
        for k in loaded.writable.iter().chain(&loaded.readonly) {
            keys.push(parse(k)?);
        }
    }
    let mut instructions: Vec<(u32, &[u8], Vec<u8>, bool)> = tx
        .message
        .instructions()
        .iter()
        .map(|ix| {
            (
                u32::from(ix.program_id_index),
                ix.accounts.as_slice(),
                ix.data.clone(),
                false,
            )
        })
        .collect();
    let inner: Vec<(u32, Vec<u8>, Vec<u8>)> = match &meta.inner_instructions {
        OptionSerializer::Some(groups) => groups
            .iter()
            .flat_map(|g| &g.instructions)
            .map(|ix| match ix {
                UiInstruction::Compiled(c) => Ok((
                    u32::from(c.program_id_index),
                    c.accounts.clone(),
                    bs58::decode(&c.data)
                        .into_vec()
                        .map_err(|_| malformed("inner instruction data is not base58"))?,
                )),
                UiInstruction::Parsed(_) => Err(malformed("parsed inner instruction")),
            })
            .collect::<Result<_, _>>()?,
        _ => Vec::new(),
    };
    instructions.extend(
        inner
            .iter()
            .map(|(program, accounts, data)| (*program, accounts.as_slice(), data.clone(), true)),
    );
    let raw = RawTx {
        signature: signature.to_string(),
        slot: answer.slot,
        index: 0,
        keys,
        instructions,
        pre_balances: &meta.pre_balances,
        post_balances: &meta.post_balances,
        logs: match &meta.log_messages {
            OptionSerializer::Some(logs) => logs.clone(),
            _ => Vec::new(),
        },
    };
    TxView::resolve(raw)
        .map(Some)
        .map_err(|e| BackfillError::Malformed(e.to_string()))
}
