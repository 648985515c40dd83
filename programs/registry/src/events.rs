use anchor_lang::prelude::*;

use crate::state::FeeSchedule;

#[event]
pub struct NetworkInitialized {
    pub config: Pubkey,
    pub admin: Pubkey,
    pub payment_mint: Pubkey,
    pub stake_mint: Pubkey,
    pub treasury: Pubkey,
    pub fees: FeeSchedule,
    pub epoch_seconds: u32,
    pub genesis_timestamp: i64,
    pub verifier_quorum: u8,
    pub verifiers: Vec<Pubkey>,
}

/// Emitted with the complete configuration after every `update_config`, so a reader
/// never has to merge partial changes.
#[event]
pub struct ConfigUpdated {
    pub config: Pubkey,
    pub admin: Pubkey,
    pub pending_admin: Option<Pubkey>,
    pub treasury: Pubkey,
    pub fees: FeeSchedule,
    pub epoch_seconds: u32,
    pub epoch_anchor: u64,
    pub epoch_anchor_timestamp: i64,
    pub verifier_quorum: u8,
    pub verifiers: Vec<Pubkey>,
    pub paused: bool,
}

#[event]
pub struct AdminTransferred {
    pub config: Pubkey,
    pub previous_admin: Pubkey,
    pub admin: Pubkey,
}
