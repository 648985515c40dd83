use anchor_lang::prelude::*;

use crate::constants::MAX_PENDING_REWARDS;

/// A registered, unclaimed epoch of a device: its weight in that epoch.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingReward {
    pub epoch: u64,
    pub weight: u64,
}

/// A device's stake, PDA `["stake", device]`; tokens in `["stake_vault", device]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct StakeAccount {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
    pub device: Pubkey,
    /// The device's owner wallet: stakes, unstakes, withdraws, receives rewards.
    pub owner: Pubkey,
    /// Counts towards the minimum stake.
    pub active: u64,
    /// Requested for withdrawal: no longer counts, still slashable.
    pub cooling: u64,
    /// When `cooling` can be withdrawn.
    pub unlock_at: i64,
    pub pending_slashes: u32,
    pub pending_slash_amount: u64,
    /// Slashes ever proposed; the next slash's id.
    pub slashes_proposed: u64,
    pub slashed_total: u64,
    pub rewards_claimed: u64,
    #[max_len(MAX_PENDING_REWARDS)]
    pub pending_rewards: Vec<PendingReward>,
    pub bump: u8,
    pub vault_bump: u8,
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 32],
}

impl StakeAccount {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
}
