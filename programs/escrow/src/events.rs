//! Every state change of the escrow, emitted through `emit_cpi!` (a self-invocation whose
//! data the runtime records as an inner instruction, so no log truncation can lose it).
//! Together they let an indexer rebuild leases, hires and every settlement.

use anchor_lang::prelude::*;

use crate::state::EpochTerms;

#[event]
pub struct LeaseCreated {
    pub lease: Pubkey,
    pub renter: Pubkey,
    pub lease_id: u64,
    pub name: String,
    pub job: String,
    pub payment_mint: Pubkey,
    pub vault: Pubkey,
    pub max_price_per_gpu_hour: u64,
    pub created_at: i64,
}

#[event]
pub struct HireAdded {
    pub lease: Pubkey,
    pub hire: Pubkey,
    pub device: Pubkey,
    pub owner: Pubkey,
    pub gpu_count: u16,
    pub price_per_gpu_hour: u64,
    pub terms: EpochTerms,
    pub start_epoch: u64,
    pub end_epoch: u64,
    pub deposit: u64,
}

#[event]
pub struct HireExtended {
    pub lease: Pubkey,
    pub hire: Pubkey,
    pub device: Pubkey,
    pub end_epoch: u64,
    pub deposit: u64,
}

#[event]
pub struct HireSettled {
    pub lease: Pubkey,
    pub hire: Pubkey,
    pub device: Pubkey,
    pub from_epoch: u64,
    /// Exclusive.
    pub to_epoch: u64,
    pub attested: u64,
    pub missed: u64,
    /// Bit i: epoch `from_epoch + i` was missed.
    pub missed_mask: u64,
    pub to_owner: u64,
    pub to_treasury: u64,
    pub to_renter: u64,
}

#[event]
pub struct HireReleased {
    pub lease: Pubkey,
    pub hire: Pubkey,
    pub device: Pubkey,
    /// The hire's end after the release (exclusive).
    pub end_epoch: u64,
    pub refunded: u64,
}

#[event]
pub struct LeaseTerminated {
    pub lease: Pubkey,
    pub terminated_at_epoch: u64,
}

#[event]
pub struct HireClosed {
    pub lease: Pubkey,
    pub hire: Pubkey,
    pub device: Pubkey,
    pub epochs_paid: u64,
    pub epochs_missed: u64,
    pub paid_to_owner: u64,
    pub fees: u64,
    pub refunded: u64,
}

#[event]
pub struct LeaseClosed {
    pub lease: Pubkey,
    /// Anything left in the vault (tokens sent to it directly), returned to the renter.
    pub swept: u64,
}
