use anchor_lang::prelude::*;

use registry::math::mul_div;

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

/// Byte offsets of `EpochRewards` fields in account data (after the 8-byte discriminator;
/// borsh lays fixed-size fields out in order). `claim_rewards` reads and updates up to 48
/// of these accounts, so it touches the few bytes it needs instead of decoding each one.
mod epoch_rewards_layout {
    pub const EPOCH: usize = 8;
    pub const EMISSION: usize = 16;
    pub const TOTAL_WEIGHT: usize = 24;
    pub const CLAIMED: usize = 36;
    pub const LEN: usize = 45;
}

/// The fields of an `EpochRewards` account that a claim needs, read in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochRewardsView {
    pub epoch: u64,
    pub emission: u64,
    pub total_weight: u64,
    pub claimed: u64,
}

impl EpochRewardsView {
    /// Reads an account that must be a writable `EpochRewards` of this program (owner and
    /// discriminator checked: only `register_weight` creates one, at its PDA).
    pub fn read(info: &AccountInfo) -> Result<Self> {
        use anchor_lang::Discriminator;
        use epoch_rewards_layout as l;
        require_keys_eq!(
            *info.owner,
            crate::ID,
            crate::errors::StakingError::WrongEpochRewards
        );
        require!(
            info.is_writable,
            crate::errors::StakingError::WrongEpochRewards
        );
        let data = info.try_borrow_data()?;
        require!(
            data.len() >= l::LEN && &data[..8] == EpochRewards::DISCRIMINATOR,
            crate::errors::StakingError::WrongEpochRewards
        );
        let u64_at = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap());
        Ok(EpochRewardsView {
            epoch: u64_at(l::EPOCH),
            emission: u64_at(l::EMISSION),
            total_weight: u64_at(l::TOTAL_WEIGHT),
            claimed: u64_at(l::CLAIMED),
        })
    }

    /// Writes `claimed` back into the account read by `read`.
    pub fn write_claimed(info: &AccountInfo, claimed: u64) -> Result<()> {
        use epoch_rewards_layout as l;
        info.try_borrow_mut_data()?[l::CLAIMED..l::CLAIMED + 8]
            .copy_from_slice(&claimed.to_le_bytes());
        Ok(())
    }

    /// A device's share: `emission × weight / total_weight`, rounded down (zero when
    /// nobody registered; never above `emission`, since `weight ≤ total_weight`).
    pub fn share(&self, weight: u64) -> u64 {
        mul_div(self.emission, weight, self.total_weight).unwrap_or(0)
    }
}

impl EpochRewards {
    /// A device's share: `emission × weight / total_weight`, rounded down.
    pub fn share(&self, weight: u64) -> u64 {
        EpochRewardsView {
            epoch: self.epoch,
            emission: self.emission,
            total_weight: self.total_weight,
            claimed: self.claimed,
        }
        .share(weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::AccountSerialize;

    #[test]
    fn the_in_place_view_matches_the_borsh_layout() {
        let rewards = EpochRewards {
            epoch: 0x0102_0304_0506_0708,
            emission: 4_566_000_000_000,
            total_weight: 170_000,
            devices: 3,
            claimed: 12_345,
            bump: 254,
        };
        let mut data = Vec::new();
        rewards.try_serialize(&mut data).unwrap();
        assert_eq!(data.len(), epoch_rewards_layout::LEN);
        let key = Pubkey::new_unique();
        let mut lamports = 0;
        let info = AccountInfo::new(
            &key,
            false,
            true,
            &mut lamports,
            &mut data,
            &crate::ID,
            false,
        );
        let view = EpochRewardsView::read(&info).unwrap();
        assert_eq!(
            (view.epoch, view.emission, view.total_weight, view.claimed),
            (
                rewards.epoch,
                rewards.emission,
                rewards.total_weight,
                rewards.claimed
            )
        );
        EpochRewardsView::write_claimed(&info, 99).unwrap();
        // Both division paths agree.
        assert_eq!(view.share(80_000), 4_566_000_000_000 * 80_000 / 170_000);
        let huge = EpochRewardsView {
            emission: u64::MAX,
            ..view
        };
        assert_eq!(
            huge.share(85_000),
            (u128::from(u64::MAX) * 85_000 / 170_000) as u64
        );
        drop(info);
        let back = EpochRewards::try_deserialize(&mut &data[..]).unwrap();
        assert_eq!((back.claimed, back.devices, back.bump), (99, 3, 254));
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
