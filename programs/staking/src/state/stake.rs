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
}

/// One epoch's block rewards, PDA `["epoch_rewards", epoch]`, created by the first weight
/// registered for it.
#[account]
#[derive(InitSpace, Debug)]
pub struct EpochRewards {
    pub epoch: u64,
    /// Fixed when the account is created (schedule, cut by the cap).
    pub emission: u64,
    pub total_weight: u64,
    pub devices: u32,
    /// Paid out so far; never above `emission` (the rounding dust stays in the vault).
    pub claimed: u64,
    pub bump: u8,
}

impl EpochRewards {
    /// A device's share: `emission × weight / total_weight`, rounded down.
    pub fn share(&self, weight: u64) -> u64 {
        if self.total_weight == 0 {
            return 0;
        }
        (u128::from(self.emission) * u128::from(weight) / u128::from(self.total_weight)) as u64
    }
}

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlashStatus {
    Pending,
    Cancelled,
    Finalized,
}

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlashReason {
    /// Hired epochs the device did not attest, proposed by escrow settlement.
    MissedEpochs { count: u64 },
    /// Fraud, proposed by the verifier quorum.
    Fraud,
}

/// A proposed slash, PDA `["slash", stake, slash_id]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Slash {
    pub stake: Pubkey,
    pub device: Pubkey,
    pub slash_id: u64,
    pub amount: u64,
    pub reason: SlashReason,
    /// Lease, hire or off-chain evidence this slash refers to.
    pub evidence: [u8; 32],
    /// Wallet that receives the renter share (the wronged renter), if any.
    pub beneficiary: Option<Pubkey>,
    pub proposed_at: i64,
    pub status: SlashStatus,
    /// Actually taken at finalisation (at most `amount`, at most what was staked).
    pub taken: u64,
    pub bump: u8,
}
