//! Every state change of staking, through `emit_cpi!`.

use anchor_lang::prelude::*;

use crate::state::{SlashReason, StakingParams};

#[event]
pub struct StakingConfigured {
    pub config: Pubkey,
    pub params: StakingParams,
}

#[event]
pub struct Staked {
    pub device: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
    pub active: u64,
}

#[event]
pub struct UnstakeRequested {
    pub device: Pubkey,
    pub amount: u64,
    pub active: u64,
    pub cooling: u64,
    pub unlock_at: i64,
}

#[event]
pub struct Withdrawn {
    pub device: Pubkey,
    pub amount: u64,
}

#[event]
pub struct WeightRegistered {
    pub device: Pubkey,
    pub epoch: u64,
    pub weight: u64,
    pub total_weight: u64,
    pub emission: u64,
}

#[event]
pub struct RewardsClaimed {
    pub device: Pubkey,
    pub owner: Pubkey,
    /// (epoch, amount) for every epoch paid.
    pub epochs: Vec<u64>,
    pub amounts: Vec<u64>,
    pub total: u64,
}

#[event]
pub struct SlashProposed {
    pub slash: Pubkey,
    pub device: Pubkey,
    pub slash_id: u64,
    pub amount: u64,
    pub reason: SlashReason,
    pub evidence: [u8; 32],
    pub beneficiary: Option<Pubkey>,
    pub challenge_ends_at: i64,
}

#[event]
pub struct SlashCancelled {
    pub slash: Pubkey,
    pub device: Pubkey,
}

#[event]
pub struct SlashFinalized {
    pub slash: Pubkey,
    pub device: Pubkey,
    pub taken: u64,
    pub to_renter: u64,
    pub to_treasury: u64,
}
