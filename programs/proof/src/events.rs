//! Every state change of proof-of-compute. Receipt records themselves travel in the
//! instruction data of `submit_*_receipts` (the sdk rebuilds them from transactions); the
//! `ReceiptsSubmitted` event carries the batch's summary and the new chain head.

use anchor_lang::prelude::*;

use crate::state::{ReceiptKind, Split};

#[event]
pub struct ModelRegistered {
    pub model: Pubkey,
    pub owner: Pubkey,
    pub model_id: u64,
    pub royalty_bps: u16,
    pub price_per_unit: u64,
    pub metadata_uri: String,
    pub metadata_hash: [u8; 32],
}

/// The model after an update (complete, not a diff).
#[event]
pub struct ModelUpdated {
    pub model: Pubkey,
    pub royalty_bps: u16,
    pub price_per_unit: u64,
    pub metadata_uri: String,
    pub metadata_hash: [u8; 32],
}

#[event]
pub struct SessionOpened {
    pub session: Pubkey,
    pub consumer: Pubkey,
    pub model: Pubkey,
    pub authorizer: Pubkey,
    pub deposit: u64,
}

#[event]
pub struct SessionCloseRequested {
    pub session: Pubkey,
    pub closing_at: i64,
}

#[event]
pub struct SessionClosed {
    pub session: Pubkey,
    pub refunded: u64,
}

#[event]
pub struct ReceiptsSubmitted {
    pub device: Pubkey,
    pub kind: ReceiptKind,
    /// The hire (lease job) or the session (inference).
    pub reference: Pubkey,
    pub model: Pubkey,
    pub first_seq: u64,
    pub records: u32,
    pub compute_units: u64,
    pub split: Split,
    pub head: [u8; 32],
}
