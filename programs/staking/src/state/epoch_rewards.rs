use anchor_lang::prelude::*;

use common::math::mul_div;

/// One epoch's block rewards, PDA `["epoch_rewards", epoch]`, created by the first weight
/// registered for it.
#[account]
#[derive(InitSpace, Debug)]
pub struct EpochRewards {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
    pub epoch: u64,
    /// Fixed when the account is created (schedule, cut by the cap).
    pub emission: u64,
    pub total_weight: u64,
    pub devices: u32,
    /// Paid out so far; never above `emission` (the rounding dust stays in the vault).
    pub claimed: u64,
    pub bump: u8,
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 32],
}

impl EpochRewards {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
}

/// Byte offsets of `EpochRewards` fields in account data (after the 8-byte discriminator
/// and the version byte; borsh lays fixed-size fields out in order). `claim_rewards` reads
/// and updates up to 48 of these accounts, so it touches the few bytes it needs instead of
/// decoding each one.
mod epoch_rewards_layout {
    // 8: the layout version (one byte).
    pub const EPOCH: usize = 9;
    pub const EMISSION: usize = 17;
    pub const TOTAL_WEIGHT: usize = 25;
    pub const CLAIMED: usize = 37;
    pub const LEN: usize = 8 + 1 + 8 + 8 + 8 + 4 + 8 + 1 + 32;
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
            crate::program_id::ID,
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
            version: EpochRewards::VERSION,
            epoch: 0x0102_0304_0506_0708,
            emission: 4_566_000_000_000,
            total_weight: 170_000,
            devices: 3,
            claimed: 12_345,
            bump: 254,
            reserved: [0; 32],
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
            &crate::program_id::ID,
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
