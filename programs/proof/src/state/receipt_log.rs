use anchor_lang::prelude::*;

use crate::state::Split;

/// Per device, PDA `["receipts", device]`: counters, totals and the head of a hash chain
/// over every batch, so that anyone can rebuild every record from the transactions and
/// check it against this account.
#[account]
#[derive(InitSpace, Debug)]
pub struct ReceiptLog {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
    pub device: Pubkey,
    /// Records so far; the next batch starts at this sequence number.
    pub count: u64,
    pub compute_units: u64,
    pub totals: Split,
    /// `chain_next(previous head, batch context, batch)` after every batch; zero at first.
    pub head: [u8; 32],
    pub bump: u8,
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 32],
}

impl ReceiptLog {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
}
