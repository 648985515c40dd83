//! What the chain produced, once, in the form every subscription filters: the protobuf
//! payload plus the fields filters match on.

use gpunet_sdk::Pubkey;
use yellowstone_grpc_proto::prelude as proto;

/// Slot statuses in commitment order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SlotStatus {
    Processed,
    Confirmed,
    Finalized,
}

impl SlotStatus {
    pub fn proto(self) -> proto::SlotStatus {
        match self {
            SlotStatus::Processed => proto::SlotStatus::SlotProcessed,
            SlotStatus::Confirmed => proto::SlotStatus::SlotConfirmed,
            SlotStatus::Finalized => proto::SlotStatus::SlotFinalized,
        }
    }

    pub fn from_commitment(level: proto::CommitmentLevel) -> Self {
        match level {
            proto::CommitmentLevel::Processed => SlotStatus::Processed,
            proto::CommitmentLevel::Confirmed => SlotStatus::Confirmed,
            proto::CommitmentLevel::Finalized => SlotStatus::Finalized,
        }
    }
}

#[derive(Debug)]
pub struct AccountUpdate {
    pub slot: u64,
    pub is_startup: bool,
    pub pubkey: Pubkey,
    pub owner: Pubkey,
    pub info: proto::SubscribeUpdateAccountInfo,
}

#[derive(Debug)]
pub struct TransactionUpdate {
    pub slot: u64,
    pub signature: Vec<u8>,
    pub is_vote: bool,
    pub index: u64,
    /// Static keys, then loaded writable, then loaded read-only addresses.
    pub accounts: Vec<Pubkey>,
    pub err: Option<proto::TransactionError>,
    pub info: proto::SubscribeUpdateTransactionInfo,
}

#[derive(Debug)]
pub enum Update {
    Account(AccountUpdate),
    Transaction(Box<TransactionUpdate>),
    Slot {
        slot: u64,
        parent: Option<u64>,
        status: SlotStatus,
    },
    BlockMeta(proto::SubscribeUpdateBlockMeta),
    Entry(proto::SubscribeUpdateEntry),
}

impl Update {
    pub fn slot(&self) -> u64 {
        match self {
            Update::Account(a) => a.slot,
            Update::Transaction(t) => t.slot,
            Update::Slot { slot, .. } => *slot,
            Update::BlockMeta(m) => m.slot,
            Update::Entry(e) => e.slot,
        }
    }
}
