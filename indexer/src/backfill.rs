//! Rebuilding the account store from JSON-RPC, for an empty database or after a gap longer
//! than the gRPC provider's replay window: `getProgramAccounts` of each program, with the
//! slot it answered at, replaces what is stored (closed accounts removed).

use gpunet_sdk::Pubkey;
use serde_json::json;
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_request::RpcRequest;
use solana_client::rpc_response::{OptionalContext, RpcKeyedAccount};

use crate::store::{AccountRow, Store, StoreError, bigint};

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
        kind: gpunet_sdk::account_kind(&data)
            .unwrap_or("unknown")
            .to_string(),
        slot: bigint("slot", slot)?,
        // The end-of-slot state: newer than any write of that slot the stream delivers.
        write_version: i64::MAX,
        lamports: bigint("lamports", keyed.account.lamports)?,
        data,
        txn_signature: None,
        finalized: false,
    })
}
