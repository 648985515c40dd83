use anchor_lang::prelude::*;
use common::math::mul_div;
use registry::state::DeviceSpecs;

use crate::constants::{BPS, MAX_MULTIPLIERS};
use crate::errors::StakingError;

/// How much a GPU model weighs, in basis points of one plain GPU (10,000 = 1×).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct HardwareMultiplier {
    pub gpu_model: u16,
    pub multiplier_bps: u32,
}

/// Block rewards: `per_epoch` from `start_epoch`, multiplied by `(1 − decay_bps)` every
/// `decay_period_epochs`, never more than `cap` in total.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmissionSchedule {
    pub start_epoch: u64,
    pub per_epoch: u64,
    pub decay_bps: u16,
    pub decay_period_epochs: u32,
    pub cap: u64,
}

impl EmissionSchedule {
    pub fn validate(&self) -> Result<()> {
        require!(u64::from(self.decay_bps) <= BPS, StakingError::RateTooHigh);
        require!(self.decay_period_epochs > 0, StakingError::InvalidEmission);
        Ok(())
    }

    /// The scheduled emission of `epoch`, before the cap: `per_epoch × (1 − d)^k` with
    /// `k` decay periods elapsed, in 1e18 fixed point by squaring (rounded down).
    pub fn scheduled(&self, epoch: u64) -> u64 {
        if epoch < self.start_epoch || self.per_epoch == 0 {
            return 0;
        }
        if self.decay_bps == 0 {
            // No 128-bit arithmetic (a software loop on SBF) when nothing decays.
            return self.per_epoch;
        }
        let mut k = (epoch - self.start_epoch) / u64::from(self.decay_period_epochs);
        const ONE: u128 = 1_000_000_000_000_000_000;
        let mut base = ONE * u128::from(BPS - u64::from(self.decay_bps)) / u128::from(BPS);
        let mut factor = ONE;
        while k > 0 && factor > 0 {
            if k & 1 == 1 {
                factor = factor * base / ONE;
            }
            base = base * base / ONE;
            k >>= 1;
        }
        (u128::from(self.per_epoch) * factor / ONE) as u64
    }
}

/// What a missed hired epoch costs and where slashed stake goes.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlashPolicy {
    /// Slashed per missed hired epoch, in bps of the device's minimum stake.
    pub missed_epoch_bps: u16,
    /// Share of a slash that goes to the wronged renter (the rest to the treasury).
    pub renter_share_bps: u16,
}

/// Staking parameters, PDA `["staking"]`. Governed by the registry's network admin.
#[account]
#[derive(InitSpace, Debug)]
pub struct StakingConfig {
    /// The layout version (docs/accounts.md); the byte right after the discriminator.
    pub version: u8,
    pub stake_mint: Pubkey,
    /// Minimum stake per plain GPU, in stake-mint base units.
    pub base_stake_per_gpu: u64,
    /// Multiplier for GPU models not in `multipliers`.
    pub default_multiplier_bps: u32,
    #[max_len(MAX_MULTIPLIERS)]
    pub multipliers: Vec<HardwareMultiplier>,
    pub cooldown_seconds: u32,
    /// Slashes can be cancelled by governance during this window; always < cooldown.
    pub challenge_window_seconds: u32,
    pub slash: SlashPolicy,
    pub emission: EmissionSchedule,
    /// Weights for epoch e can be registered while the current epoch ≤ e + 1 + grace.
    pub grace_epochs: u32,
    /// The escrow PDA allowed to propose slashes for missed hired epochs.
    pub escrow_authority: Pubkey,
    /// Emission assigned to epochs so far (never above `emission.cap`).
    pub allocated: u64,
    pub bump: u8,
    pub emission_vault_bump: u8,
    /// Zero: room for the fields a later layout version adds (docs/accounts.md).
    pub reserved: [u8; 64],
}

impl StakingConfig {
    /// The layout this program writes.
    pub const VERSION: u8 = 1;
}

/// Every tunable parameter, validated together.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct StakingParams {
    pub base_stake_per_gpu: u64,
    pub default_multiplier_bps: u32,
    pub multipliers: Vec<HardwareMultiplier>,
    pub cooldown_seconds: u32,
    pub challenge_window_seconds: u32,
    pub slash: SlashPolicy,
    pub emission: EmissionSchedule,
    pub grace_epochs: u32,
    pub escrow_authority: Pubkey,
}

impl StakingParams {
    pub fn validate(&self) -> Result<()> {
        require!(
            self.multipliers.len() <= MAX_MULTIPLIERS,
            StakingError::TooManyMultipliers
        );
        require!(
            self.default_multiplier_bps > 0,
            StakingError::InvalidMultiplier
        );
        for (i, m) in self.multipliers.iter().enumerate() {
            require!(m.multiplier_bps > 0, StakingError::InvalidMultiplier);
            require!(
                !self.multipliers[..i]
                    .iter()
                    .any(|o| o.gpu_model == m.gpu_model),
                StakingError::DuplicateMultiplier
            );
        }
        require!(
            self.challenge_window_seconds > 0
                && self.challenge_window_seconds < self.cooldown_seconds,
            StakingError::InvalidWindows
        );
        require!(
            u64::from(self.slash.missed_epoch_bps) <= BPS
                && u64::from(self.slash.renter_share_bps) <= BPS,
            StakingError::RateTooHigh
        );
        self.emission.validate()?;
        require!(
            self.escrow_authority != Pubkey::default(),
            StakingError::InvalidEscrowAuthority
        );
        Ok(())
    }
}

impl StakingConfig {
    pub fn apply(&mut self, p: StakingParams) {
        self.base_stake_per_gpu = p.base_stake_per_gpu;
        self.default_multiplier_bps = p.default_multiplier_bps;
        self.multipliers = p.multipliers;
        self.cooldown_seconds = p.cooldown_seconds;
        self.challenge_window_seconds = p.challenge_window_seconds;
        self.slash = p.slash;
        self.emission = p.emission;
        self.grace_epochs = p.grace_epochs;
        self.escrow_authority = p.escrow_authority;
    }

    pub fn multiplier_bps(&self, gpu_model: u16) -> u32 {
        self.multipliers
            .iter()
            .find(|m| m.gpu_model == gpu_model)
            .map_or(self.default_multiplier_bps, |m| m.multiplier_bps)
    }

    /// Reward weight of a device: multiplier (bps) × GPUs.
    pub fn weight(&self, specs: &DeviceSpecs) -> u64 {
        u64::from(self.multiplier_bps(specs.gpu_model)) * u64::from(specs.gpu_count)
    }

    /// Minimum stake: base per GPU × multiplier × GPUs.
    pub fn min_stake(&self, specs: &DeviceSpecs) -> Result<u64> {
        let v =
            u128::from(self.base_stake_per_gpu) * u128::from(self.weight(specs)) / u128::from(BPS);
        Ok(u64::try_from(v).map_err(|_| StakingError::Overflow)?)
    }

    /// Slash for `missed` hired epochs of a device.
    pub fn missed_slash(&self, specs: &DeviceSpecs, missed: u64) -> Result<u64> {
        let per_epoch = mul_div(
            self.min_stake(specs)?,
            u64::from(self.slash.missed_epoch_bps),
            BPS,
        )
        .ok_or(StakingError::Overflow)?;
        Ok(per_epoch
            .checked_mul(missed)
            .ok_or(StakingError::Overflow)?)
    }

    /// Assigns `epoch` its emission: the schedule, cut to what the cap still allows.
    pub fn allocate(&mut self, epoch: u64) -> u64 {
        let left = self.emission.cap.saturating_sub(self.allocated);
        let emission = self.emission.scheduled(epoch).min(left);
        self.allocated += emission;
        emission
    }

    /// Weights for `epoch` are accepted while the current epoch is at most this.
    pub fn registration_last_epoch(&self, epoch: u64) -> u64 {
        epoch
            .saturating_add(1)
            .saturating_add(u64::from(self.grace_epochs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(per_epoch: u64, decay_bps: u16, period: u32) -> EmissionSchedule {
        EmissionSchedule {
            start_epoch: 10,
            per_epoch,
            decay_bps,
            decay_period_epochs: period,
            cap: u64::MAX,
        }
    }

    #[test]
    fn emission_decays_per_period_from_the_start() {
        let s = schedule(1_000_000, 1_000, 5); // −10 % every 5 epochs
        assert_eq!(s.scheduled(9), 0);
        assert_eq!(s.scheduled(10), 1_000_000);
        assert_eq!(s.scheduled(14), 1_000_000);
        assert_eq!(s.scheduled(15), 900_000);
        assert_eq!(s.scheduled(20), 810_000);
        assert_eq!(s.scheduled(10 + 5 * 10), 348_678); // 0.9^10 = 0.3486784401
        assert_eq!(schedule(7, 0, 1).scheduled(u64::MAX), 7, "no decay");
        assert_eq!(schedule(7, 10_000, 1).scheduled(11), 0, "full decay");
        // Far in the future the squaring loop stays short and the value reaches zero.
        assert_eq!(s.scheduled(u64::MAX), 0);
    }
}
