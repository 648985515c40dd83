use anchor_lang::prelude::*;

use crate::constants::{BPS, MAX_URI_LEN};
use crate::errors::ProofError;

/// A model served on the network, PDA `["model", owner, model_id]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Model {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
    pub owner: Pubkey,
    pub model_id: u64,
    /// Share of every inference payment for the model owner.
    pub royalty_bps: u16,
    /// Payment-mint base units per compute unit (GPU-millisecond).
    pub price_per_unit: u64,
    #[max_len(MAX_URI_LEN)]
    pub metadata_uri: String,
    pub metadata_hash: [u8; 32],
    pub bump: u8,
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 32],
}

impl Model {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
}

pub fn validate_model(royalty_bps: u16, uri: &str) -> Result<()> {
    require!(u64::from(royalty_bps) <= BPS, ProofError::RoyaltyTooHigh);
    require!(uri.len() <= MAX_URI_LEN, ProofError::UriTooLong);
    Ok(())
}
