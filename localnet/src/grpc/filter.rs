//! A subscription's filters (Yellowstone semantics): each named filter in a map matches on
//! its own and the update names every filter it matched. Within one filter the fields are
//! ANDed and the values in a list ORed (account data filters are all ANDed).

use std::collections::HashSet;

use gpunet_sdk::Pubkey;
use tonic::Status;
use yellowstone_grpc_proto::prelude::{
    self as proto, SubscribeRequest, SubscribeRequestFilterAccounts,
    SubscribeRequestFilterTransactions, SubscribeUpdate, subscribe_request_filter_accounts_filter,
    subscribe_request_filter_accounts_filter_lamports,
    subscribe_request_filter_accounts_filter_memcmp, subscribe_update::UpdateOneof,
};

use super::update::{AccountUpdate, SlotStatus, TransactionUpdate, Update};

/// Limits on what one request may ask for, so a client cannot make the server do
/// unbounded work per update.
const MAX_FILTERS: usize = 64;
const MAX_KEYS: usize = 10_000;

pub struct Filter {
    pub commitment: SlotStatus,
    accounts: Vec<(String, Accounts)>,
    slots: Vec<(String, bool)>,
    transactions: Vec<(String, Transactions)>,
    transactions_status: Vec<(String, Transactions)>,
    blocks_meta: Vec<String>,
    entries: Vec<String>,
    data_slices: Vec<(usize, usize)>,
}

struct Accounts {
    account: HashSet<Pubkey>,
    owner: HashSet<Pubkey>,
    data: Vec<DataFilter>,
    nonempty_txn_signature: Option<bool>,
}

enum DataFilter {
    Memcmp { offset: usize, bytes: Vec<u8> },
    DataSize(usize),
    TokenAccountState,
    Lamports(subscribe_request_filter_accounts_filter_lamports::Cmp),
}

struct Transactions {
    vote: Option<bool>,
    failed: Option<bool>,
    signature: Option<Vec<u8>>,
    include: HashSet<Pubkey>,
    exclude: HashSet<Pubkey>,
    required: HashSet<Pubkey>,
}

/// True for a request that only pings: it must not replace the subscription's filters.
pub fn is_ping_only(request: &SubscribeRequest) -> bool {
    request.ping.is_some()
        && request.accounts.is_empty()
        && request.slots.is_empty()
        && request.transactions.is_empty()
        && request.transactions_status.is_empty()
        && request.blocks.is_empty()
        && request.blocks_meta.is_empty()
        && request.entry.is_empty()
        && request.accounts_data_slice.is_empty()
        && request.commitment.is_none()
        && request.from_slot.is_none()
}

impl Filter {
    pub fn new(request: &SubscribeRequest) -> Result<Self, Status> {
        if !request.blocks.is_empty() {
            return Err(Status::unimplemented(
                "localnet does not stream whole blocks; subscribe to blocks_meta and transactions",
            ));
        }
        let count = request.accounts.len()
            + request.slots.len()
            + request.transactions.len()
            + request.transactions_status.len()
            + request.blocks_meta.len()
            + request.entry.len();
        if count > MAX_FILTERS {
            return Err(Status::invalid_argument(format!(
                "{count} filters requested; at most {MAX_FILTERS}"
            )));
        }
        let commitment = match request.commitment {
            None => SlotStatus::Processed,
            Some(level) => proto::CommitmentLevel::try_from(level)
                .map(SlotStatus::from_commitment)
                .map_err(|_| Status::invalid_argument(format!("unknown commitment {level}")))?,
        };
        Ok(Filter {
            commitment,
            accounts: named(&request.accounts, Accounts::new)?,
            slots: named(&request.slots, |f| {
                Ok(f.filter_by_commitment.unwrap_or(false))
            })?,
            transactions: named(&request.transactions, Transactions::new)?,
            transactions_status: named(&request.transactions_status, Transactions::new)?,
            blocks_meta: request.blocks_meta.keys().cloned().collect(),
            entries: request.entry.keys().cloned().collect(),
            data_slices: request
                .accounts_data_slice
                .iter()
                .map(|s| (s.offset as usize, s.length as usize))
                .collect(),
        })
    }

    /// The messages `update` produces for this subscription (none when nothing matches).
    pub fn messages(&self, update: &Update) -> Vec<SubscribeUpdate> {
        let mut out = Vec::new();
        match update {
            Update::Account(account) => {
                let names = matching(&self.accounts, |f| f.matches(account));
                if !names.is_empty() {
                    out.push(message(names, UpdateOneof::Account(self.account(account))));
                }
            }
            Update::Transaction(tx) => {
                let names = matching(&self.transactions, |f| f.matches(tx));
                if !names.is_empty() {
                    let info = proto::SubscribeUpdateTransaction {
                        transaction: Some(tx.info.clone()),
                        slot: tx.slot,
                        bank_id: 0,
                    };
                    out.push(message(names, UpdateOneof::Transaction(info)));
                }
                let names = matching(&self.transactions_status, |f| f.matches(tx));
                if !names.is_empty() {
                    let status = proto::SubscribeUpdateTransactionStatus {
                        slot: tx.slot,
                        signature: tx.signature.clone(),
                        is_vote: tx.is_vote,
                        index: tx.index,
                        err: tx.err.clone(),
                        bank_id: 0,
                    };
                    out.push(message(names, UpdateOneof::TransactionStatus(status)));
                }
            }
            Update::Slot {
                slot,
                parent,
                status,
            } => {
                let names = matching(&self.slots, |by_commitment| {
                    !by_commitment || *status == self.commitment
                });
                if !names.is_empty() {
                    let slot = proto::SubscribeUpdateSlot {
                        slot: *slot,
                        parent: *parent,
                        status: status.proto().into(),
                        dead_error: None,
                        bank_id: None,
                    };
                    out.push(message(names, UpdateOneof::Slot(slot)));
                }
            }
            Update::BlockMeta(meta) if !self.blocks_meta.is_empty() => out.push(message(
                self.blocks_meta.clone(),
                UpdateOneof::BlockMeta(meta.clone()),
            )),
            Update::Entry(entry) if !self.entries.is_empty() => out.push(message(
                self.entries.clone(),
                UpdateOneof::Entry(entry.clone()),
            )),
            Update::BlockMeta(_) | Update::Entry(_) => {}
        }
        out
    }

    fn account(&self, account: &AccountUpdate) -> proto::SubscribeUpdateAccount {
        let mut info = account.info.clone();
        if !self.data_slices.is_empty() {
            let data = std::mem::take(&mut info.data);
            for &(offset, length) in &self.data_slices {
                let start = offset.min(data.len());
                let end = offset.saturating_add(length).min(data.len());
                info.data.extend_from_slice(&data[start..end]);
            }
        }
        proto::SubscribeUpdateAccount {
            account: Some(info),
            slot: account.slot,
            is_startup: account.is_startup,
            bank_id: None,
        }
    }
}

fn message(filters: Vec<String>, update: UpdateOneof) -> SubscribeUpdate {
    SubscribeUpdate {
        filters,
        update_oneof: Some(update),
        created_at: Some(std::time::SystemTime::now().into()),
    }
}

fn named<F, T>(
    filters: &std::collections::HashMap<String, F>,
    parse: impl Fn(&F) -> Result<T, Status>,
) -> Result<Vec<(String, T)>, Status> {
    filters
        .iter()
        .map(|(name, f)| {
            parse(f)
                .map(|f| (name.clone(), f))
                .map_err(|e| Status::invalid_argument(format!("filter {name:?}: {}", e.message())))
        })
        .collect()
}

fn matching<T>(filters: &[(String, T)], matches: impl Fn(&T) -> bool) -> Vec<String> {
    filters
        .iter()
        .filter(|(_, f)| matches(f))
        .map(|(name, _)| name.clone())
        .collect()
}

fn keys(values: &[String], field: &str) -> Result<HashSet<Pubkey>, Status> {
    if values.len() > MAX_KEYS {
        return Err(Status::invalid_argument(format!(
            "{field}: {} keys; at most {MAX_KEYS}",
            values.len()
        )));
    }
    values
        .iter()
        .map(|v| {
            v.parse()
                .map_err(|_| Status::invalid_argument(format!("{field}: {v:?} is not a pubkey")))
        })
        .collect()
}

impl Accounts {
    fn new(f: &SubscribeRequestFilterAccounts) -> Result<Self, Status> {
        if f.cuckoo_accounts_filter.is_some() {
            return Err(Status::unimplemented("cuckoo account filters"));
        }
        Ok(Accounts {
            account: keys(&f.account, "account")?,
            owner: keys(&f.owner, "owner")?,
            data: f
                .filters
                .iter()
                .map(DataFilter::new)
                .collect::<Result<_, _>>()?,
            nonempty_txn_signature: f.nonempty_txn_signature,
        })
    }

    fn matches(&self, update: &AccountUpdate) -> bool {
        (self.account.is_empty() || self.account.contains(&update.pubkey))
            && (self.owner.is_empty() || self.owner.contains(&update.owner))
            && self
                .nonempty_txn_signature
                .is_none_or(|nonempty| nonempty == update.info.txn_signature.is_some())
            && self.data.iter().all(|f| f.matches(update))
    }
}

impl DataFilter {
    fn new(f: &proto::SubscribeRequestFilterAccountsFilter) -> Result<Self, Status> {
        use subscribe_request_filter_accounts_filter::Filter as F;
        use subscribe_request_filter_accounts_filter_memcmp::Data;
        Ok(match &f.filter {
            None => return Err(Status::invalid_argument("empty account data filter")),
            Some(F::Datasize(size)) => DataFilter::DataSize(*size as usize),
            Some(F::TokenAccountState(_)) => DataFilter::TokenAccountState,
            Some(F::Lamports(l)) => DataFilter::Lamports(
                l.cmp
                    .ok_or_else(|| Status::invalid_argument("empty lamports filter"))?,
            ),
            Some(F::Memcmp(m)) => DataFilter::Memcmp {
                offset: m.offset as usize,
                bytes: match &m.data {
                    None => return Err(Status::invalid_argument("empty memcmp filter")),
                    Some(Data::Bytes(b)) => b.clone(),
                    Some(Data::Base58(s)) => bs58_decode(s)?,
                    Some(Data::Base64(s)) => base64_decode(s)?,
                },
            },
        })
    }

    fn matches(&self, update: &AccountUpdate) -> bool {
        use subscribe_request_filter_accounts_filter_lamports::Cmp;
        let data = &update.info.data;
        let lamports = update.info.lamports;
        match self {
            DataFilter::Memcmp { offset, bytes } => data
                .get(*offset..offset.saturating_add(bytes.len()))
                .is_some_and(|d| d == bytes.as_slice()),
            DataFilter::DataSize(size) => data.len() == *size,
            DataFilter::TokenAccountState => is_token_account(update),
            DataFilter::Lamports(Cmp::Eq(v)) => lamports == *v,
            DataFilter::Lamports(Cmp::Ne(v)) => lamports != *v,
            DataFilter::Lamports(Cmp::Lt(v)) => lamports < *v,
            DataFilter::Lamports(Cmp::Gt(v)) => lamports > *v,
        }
    }
}

/// An initialised SPL Token (or Token-2022) account: owned by a token program, at least
/// the 165-byte base layout, state byte (offset 108) not `Uninitialized`.
fn is_token_account(update: &AccountUpdate) -> bool {
    const TOKEN: Pubkey = Pubkey::from_str_const("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
    const TOKEN_2022: Pubkey =
        Pubkey::from_str_const("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb");
    let data = &update.info.data;
    (update.owner == TOKEN || update.owner == TOKEN_2022)
        && data.len() >= 165
        && (data.len() == 165 || data.get(165) == Some(&2))
        && data[108] != 0
}

impl Transactions {
    fn new(f: &SubscribeRequestFilterTransactions) -> Result<Self, Status> {
        if f.cuckoo_account_include.is_some() {
            return Err(Status::unimplemented("cuckoo account filters"));
        }
        Ok(Transactions {
            vote: f.vote,
            failed: f.failed,
            signature: f.signature.as_deref().map(bs58_decode).transpose()?,
            include: keys(&f.account_include, "account_include")?,
            exclude: keys(&f.account_exclude, "account_exclude")?,
            required: keys(&f.account_required, "account_required")?,
        })
    }

    fn matches(&self, tx: &TransactionUpdate) -> bool {
        self.vote.is_none_or(|vote| vote == tx.is_vote)
            && self.failed.is_none_or(|failed| failed == tx.err.is_some())
            && self.signature.as_ref().is_none_or(|s| *s == tx.signature)
            && (self.include.is_empty() || tx.accounts.iter().any(|k| self.include.contains(k)))
            && !tx.accounts.iter().any(|k| self.exclude.contains(k))
            && self.required.iter().all(|k| tx.accounts.contains(k))
    }
}

fn bs58_decode(s: &str) -> Result<Vec<u8>, Status> {
    bs58::decode(s)
        .into_vec()
        .map_err(|_| Status::invalid_argument(format!("{s:?} is not base58")))
}

fn base64_decode(s: &str) -> Result<Vec<u8>, Status> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| Status::invalid_argument(format!("{s:?} is not base64")))
}
